import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { request, whenMfaEnrolmentRequired, whenSignedOut } from "./api/client";
import { ConsoleLogoutDocument, ConsoleMeDocument, type ConsoleMeQuery } from "./generated/graphql";
import { pagesFor, PAGES, type PageId } from "./lib/roles";
import { Link, navigate, useLocation } from "./lib/router";
import { graphqlIdeOn } from "./lib/site";
import { MfaEnrolment } from "./pages/mfa-enrolment";
import { SignIn } from "./pages/sign-in";

export type SignedInUser = NonNullable<ConsoleMeQuery["me"]>;

// Each page is its own chunk: the first load carries the shell and one page, not all seven.
const pageComponents: Record<PageId, ReturnType<typeof lazy<React.ComponentType<{ user: SignedInUser }>>>> = {
  statistics: lazy(() => import("./pages/statistics").then((m) => ({ default: m.StatisticsPage }))),
  campaigns: lazy(() => import("./pages/campaigns").then((m) => ({ default: m.CampaignsPage }))),
  "privacy-requests": lazy(() => import("./pages/privacy-requests").then((m) => ({ default: m.PrivacyRequestsPage }))),
  "audit-log": lazy(() => import("./pages/audit-log").then((m) => ({ default: m.AuditLogPage }))),
  "security-log": lazy(() => import("./pages/security-log").then((m) => ({ default: m.SecurityLogPage }))),
  partners: lazy(() => import("./pages/partners").then((m) => ({ default: m.PartnersPage }))),
  users: lazy(() => import("./pages/users").then((m) => ({ default: m.UsersPage }))),
};

export function App() {
  const [user, setUser] = useState<SignedInUser | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [mfaEnrolment, setMfaEnrolment] = useState(false);
  const [pageKey, setPageKey] = useState(0);
  const { pathname } = useLocation();

  const refresh = useCallback(() => {
    request(ConsoleMeDocument).then(
      (data) => setUser(data.me),
      (failure: unknown) => {
        setError(failure);
        setUser(null);
      },
    );
  }, []);
  useEffect(() => {
    whenSignedOut(() => setUser(null));
    whenMfaEnrolmentRequired(() => setMfaEnrolment(true));
    refresh();
  }, [refresh]);

  if (user === undefined) return <p className="loading">Loading…</p>;
  if (user === null || user.role === "CUSTOMER") {
    return (
      <SignIn
        notStaff={user?.role === "CUSTOMER"}
        error={error}
        onSignedIn={(signedIn) => {
          setError(null);
          setUser(signedIn);
          if (signedIn.role !== "CUSTOMER") {
            const pages = pagesFor(signedIn.role);
            const wanted = pages.find((p) => pathname.startsWith(p.path));
            navigate((wanted ?? pages[0])?.path ?? "/console", { replace: true });
          }
        }}
      />
    );
  }

  const allowed = pagesFor(user.role);
  const current = PAGES.find((p) => pathname === p.path || pathname.startsWith(`${p.path}/`));
  // The console's root, or a page this role may not use, leads to the first page it may.
  if (!current || !allowed.includes(current)) {
    if (allowed[0] && (!current || pathname === "/console")) {
      queueMicrotask(() => navigate(allowed[0]!.path, { replace: true }));
      return null;
    }
  }
  const Page = current && allowed.includes(current) ? pageComponents[current.id] : null;

  const signOut = async () => {
    try {
      await request(ConsoleLogoutDocument);
    } finally {
      setUser(null);
      navigate("/console", { replace: true });
    }
  };

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Honour console</span>
        <nav aria-label="Console">
          <ul>
            {allowed.map((page) => (
              <li key={page.id}>
                <Link href={page.path} aria-current={page === current ? "page" : undefined}>
                  {page.title}
                </Link>
              </li>
            ))}
            {graphqlIdeOn() && (
              <li>
                <a href="/graphql">GraphQL IDE</a>
              </li>
            )}
          </ul>
        </nav>
        <div className="who">
          <span>
            {user.name} <span className="role">({user.role.toLowerCase()})</span>
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        {mfaEnrolment ? (
          <MfaEnrolment
            onDone={() => {
              setMfaEnrolment(false);
              setPageKey((k) => k + 1);
            }}
          />
        ) : Page ? (
          <Suspense fallback={<p className="loading">Loading…</p>}>
            <Page key={pageKey} user={user} />
          </Suspense>
        ) : (
          <>
            <h1>Nothing here for your role</h1>
            <p>Your role ({user.role.toLowerCase()}) has no page in the console at this address.</p>
          </>
        )}
      </main>
    </div>
  );
}
