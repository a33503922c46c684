import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { Kind, print, type DocumentNode } from "graphql";
import {
  MyOrdersDocument,
  PartnerErasureNoticesDocument,
  PartnerOrdersDocument,
  type MyOrdersQuery,
  type OrderStatus,
  type PartnerErasureNoticesQuery,
  type PartnerOrdersQuery,
} from "./generated/graphql";
import { persistedDocumentIds } from "./generated/persisted-documents";
import { errorFromGraphQL, errorFromHttp, type GraphQLErrorPayload } from "./honour-error";
import { SessionCookies } from "./session-cookies";

/** An order as its buyer sees it in `myOrders`. */
export type MyOrder = MyOrdersQuery["myOrders"]["nodes"][number];
/** An order as the partner assigned to it sees it in `partnerOrders`, contact included. */
export type PartnerOrder = PartnerOrdersQuery["partnerOrders"]["nodes"][number];
/** One erasure notice: erase your copies of these orders' contacts. */
export type ErasureNotice = PartnerErasureNoticesQuery["partnerErasureNotices"][number];

/** One page of a Relay connection. */
export interface Page<TNode> {
  nodes: TNode[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

export interface HonourClientOptions {
  /** The gateway's GraphQL endpoint: `https://shop.example.com/graphql`, or `/graphql` in the site's pages. */
  url: string;
  /** A partner's API key, sent as `Authorization: Bearer <key>`. Leave out for people (the session cookie). */
  apiKey?: string;
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch;
  /** Sent with each request; `"include"` (the default) lets a browser send the session cookie. */
  credentials?: RequestInit["credentials"];
  /**
   * Keep the session cookie from `Set-Cookie` in memory and send it back, as a browser would. On by
   * default outside browsers (Node), where fetch keeps no cookies; off in browsers, which keep them.
   */
  keepSessionCookie?: boolean;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /**
   * Send the shipped documents as trusted documents (`documentId`, from the manifest the gateway
   * loads) rather than as text: on by default, and required for partner keys by default
   * (PARTNER_TRUSTED_DOCUMENTS_ONLY). A gateway that does not know an id gets the text once.
   * Documents of your own are always sent as text.
   */
  trustedDocuments?: boolean;
}

/** The variables argument: optional when the operation needs none. */
export type VariablesOf<TVariables> =
  Record<never, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

export interface PageOptions {
  /** Page size, 1–100 (the gateway's default is 20). */
  pageSize?: number;
  /** Start after this cursor (a page's `pageInfo.endCursor`); from the start when left out. */
  after?: string | null;
}

export interface PartnerOrdersOptions extends PageOptions {
  /**
   * Only orders in this status; `ASSIGNED` by default, the only status whose contact a partner may
   * read. Pass `null` for every status (the contact of the others then answers FORBIDDEN).
   */
  status?: OrderStatus | null;
}

export interface HonourClient {
  /**
   * Runs one operation and returns its data. Throws {@link HonourError} when the answer has any
   * error (with the partial `data` on it), and fetch's own error when the gateway cannot be reached.
   */
  request<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...variables: VariablesOf<TVariables>
  ): Promise<TData>;
  /** The signed-in person's orders, newest first, page after page. */
  myOrders(options?: PageOptions): AsyncIterable<MyOrder>;
  /** The same, a page at a time: keep `pageInfo.endCursor` to resume. */
  myOrderPages(options?: PageOptions): AsyncIterable<Page<MyOrder>>;
  /** The calling partner's orders (API key), newest first, page after page. Each contact read is a disclosure. */
  partnerOrders(options?: PartnerOrdersOptions): AsyncIterable<PartnerOrder>;
  /** The same, a page at a time: keep `pageInfo.endCursor` to resume. */
  partnerOrderPages(options?: PartnerOrdersOptions): AsyncIterable<Page<PartnerOrder>>;
  /**
   * The calling partner's erasure notices erased after `since` (exclusive), oldest first, each once,
   * across as many answers as it takes. To poll, pass the newest `erasedAt` you have seen minus five
   * minutes and skip ids you have already applied: a notice can appear late.
   */
  partnerErasureNotices(options?: { since?: string | null }): AsyncIterable<ErasureNotice>;
  /** Forgets the session cookie kept outside browsers (signing out locally). */
  clearSession(): void;
}

/** The most notices one answer holds before the gateway wants another call. */
const NOTICES_PER_ANSWER = 100;

function isBrowser(): boolean {
  return typeof (globalThis as { document?: unknown }).document !== "undefined";
}

const printed = new WeakMap<DocumentNode, { query: string; operationName?: string }>();

function requestText(document: DocumentNode): { query: string; operationName?: string } {
  let text = printed.get(document);
  if (!text) {
    const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    text = { query: print(document), operationName: operation?.name?.value };
    printed.set(document, text);
  }
  return text;
}

function setCookiesOf(headers: Headers): string[] {
  // Node's fetch (undici) and current browsers have getSetCookie; browsers hide Set-Cookie anyway.
  const all = (headers as Headers & { getSetCookie?: () => string[] }).getSetCookie?.();
  if (all) return all;
  const one = headers.get("set-cookie");
  return one ? [one] : [];
}

/**
 * A small client for the Honour gateway with no dependency beyond `graphql`. Sends the session
 * cookie for people (kept by the browser, or in memory under Node) or the partner's API key, and
 * always `content-type: application/json` (the gateway refuses other requests as possible CSRF).
 *
 * @example
 * const honour = createHonourClient({ url: "https://shop.example.com/graphql" });
 * await honour.request(LoginDocument, { input: { email, password } });
 * const { me } = await honour.request(MeDocument);
 */
export function createHonourClient(options: HonourClientOptions): HonourClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== "function") throw new TypeError("createHonourClient: no fetch available; pass options.fetch");
  const jar = (options.keepSessionCookie ?? !isBrowser()) ? new SessionCookies() : undefined;

  async function request<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...[variables]: VariablesOf<TVariables>
  ): Promise<TData> {
    const { query, operationName } = requestText(document);
    const headers: Record<string, string> = {
      ...options.headers,
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
    };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    const cookie = jar?.header();
    if (cookie) headers.cookie = cookie;

    const documentId = options.trustedDocuments === false ? undefined : persistedDocumentIds.get(document);
    const send = (body: Record<string, unknown>) =>
      doFetch(options.url, {
        method: "POST",
        headers,
        body: JSON.stringify({ ...body, variables: variables ?? {}, operationName }),
        credentials: options.credentials ?? "include",
      });
    let response = await send(documentId ? { documentId } : { query });
    if (documentId && response.status === 400) {
      // A gateway without this id in its manifest (older or newer than this client): send the text.
      const refusal = await response.clone().text();
      if (refusal.includes('"PERSISTED_QUERY_NOT_FOUND"')) response = await send({ query });
    }
    jar?.store(setCookiesOf(response.headers));

    const retryAfter = response.headers.get("retry-after");
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw errorFromHttp(response.status, undefined, retryAfter);
    }
    const answer = (typeof body === "object" && body !== null ? body : {}) as {
      data?: TData | null;
      errors?: GraphQLErrorPayload[];
    };
    if (Array.isArray(answer.errors) && answer.errors.length > 0) {
      throw errorFromGraphQL(answer.errors, { status: response.status, retryAfter, data: answer.data });
    }
    if (!response.ok || answer.data === undefined || answer.data === null) {
      throw errorFromHttp(response.status, body, retryAfter);
    }
    return answer.data;
  }

  async function* pages<TNode>(
    after: string | null | undefined,
    fetchPage: (after: string | null) => Promise<Page<TNode>>,
  ): AsyncGenerator<Page<TNode>> {
    let cursor = after ?? null;
    for (;;) {
      const page = await fetchPage(cursor);
      yield page;
      const next = page.pageInfo.endCursor ?? null;
      // A page that says there is more but gives no new cursor would repeat forever.
      if (!page.pageInfo.hasNextPage || next === null || next === cursor) return;
      cursor = next;
    }
  }

  async function* nodes<TNode>(source: AsyncIterable<Page<TNode>>): AsyncGenerator<TNode> {
    for await (const page of source) yield* page.nodes;
  }

  const myOrderPages = (opts: PageOptions = {}) =>
    pages(opts.after, async (after) => {
      const data = await request(MyOrdersDocument, { first: opts.pageSize, after });
      return data.myOrders;
    });

  const partnerOrderPages = (opts: PartnerOrdersOptions = {}) =>
    pages(opts.after, async (after) => {
      const status = opts.status === undefined ? "ASSIGNED" : opts.status;
      const data = await request(PartnerOrdersDocument, { first: opts.pageSize, after, status });
      return data.partnerOrders;
    });

  async function* partnerErasureNotices(opts: { since?: string | null } = {}): AsyncGenerator<ErasureNotice> {
    let since = opts.since ?? null;
    const seen = new Set<string>();
    for (;;) {
      const { partnerErasureNotices: notices } = await request(PartnerErasureNoticesDocument, { since });
      let fresh = 0;
      for (const notice of notices) {
        if (seen.has(notice.id)) continue;
        seen.add(notice.id);
        fresh += 1;
        yield notice;
      }
      // A full answer means more may follow after its last erasedAt (the gateway includes every
      // notice sharing that instant, so asking after it skips none).
      const last = notices.at(-1)?.erasedAt ?? null;
      if (notices.length < NOTICES_PER_ANSWER || fresh === 0 || last === null || last === since) return;
      since = last;
    }
  }

  return {
    request,
    myOrderPages,
    myOrders: (opts) => nodes(myOrderPages(opts)),
    partnerOrderPages,
    partnerOrders: (opts) => nodes(partnerOrderPages(opts)),
    partnerErasureNotices,
    clearSession: () => jar?.clear(),
  };
}
