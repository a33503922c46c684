import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { ApiError } from "../api/client";

/** An error answer in words, announced to screen readers. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <p className="error" role="alert" data-code={code}>
      {text}
    </p>
  );
}

/** A status line announced politely (saved, sent, copied). */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <p className="notice" role="status">
      {children}
    </p>
  );
}

/** The page's title: the one <h1>, focused on arrival so keyboard and screen-reader users start there. */
export function PageTitle({ children }: { children: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${children} · Honour console`;
    ref.current?.focus();
  }, [children]);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

/** Date and time in the reader's locale, with the instant in a <time> element. */
export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span>—</span>;
  return <time dateTime={at}>{new Date(at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" })}</time>;
}

export interface Page<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

/**
 * A list that pages with the schema's cursors: loads the first page, then "Next page" asks for
 * the page after the last endCursor and "Previous page" goes back to a cursor already seen.
 * `reload` starts again from the first page (after a filter change or a mutation).
 */
export function useCursorPages<T>(load: (after: string | null) => Promise<Page<T>>, deps: readonly unknown[]) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<T> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const after = cursors[cursors.length - 1];
  const loader = useCallback(load, deps);
  useEffect(() => setCursors([null]), [loader]);
  useEffect(() => {
    let live = true;
    setLoading(true);
    loader(after).then(
      (result) => {
        if (!live) return;
        setPage(result);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!live) return;
        setError(failure);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [loader, after, version]);
  return {
    nodes: page?.nodes ?? [],
    error,
    loading,
    pageNumber: cursors.length,
    hasNext: page?.pageInfo.hasNextPage ?? false,
    hasPrevious: cursors.length > 1,
    next: () => page?.pageInfo.endCursor && setCursors((c) => [...c, page.pageInfo.endCursor ?? null]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reload: () => setVersion((v) => v + 1),
    replace: (update: (nodes: T[]) => T[]) => setPage((p) => (p ? { ...p, nodes: update(p.nodes) } : p)),
  };
}

/** Previous / next buttons for {@link useCursorPages}. */
export function Pager({
  pages,
  label,
}: {
  pages: {
    previous(): void;
    next(): void;
    hasPrevious: boolean;
    hasNext: boolean;
    loading: boolean;
    pageNumber: number;
  };
  label: string;
}) {
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={pages.previous} disabled={!pages.hasPrevious || pages.loading}>
        Previous page
      </button>
      <span>Page {pages.pageNumber}</span>
      <button type="button" onClick={pages.next} disabled={!pages.hasNext || pages.loading}>
        Next page
      </button>
    </nav>
  );
}

/** Runs one mutation at a time for a form or button: busy while it runs, its error kept for display. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <R,>(work: () => Promise<R>): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await work();
    } catch (failure) {
      setError(failure);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(null) };
}
