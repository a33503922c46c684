import { useState, type FormEvent } from "react";
import { ApiError, request } from "../api/client";
import { ErrorMessage, PageTitle } from "../components/common";
import {
  ConsoleCompleteLoginDocument,
  ConsoleLoginDocument,
  ConsoleLogoutDocument,
  type ConsoleLoginMutation,
} from "../generated/graphql";

type User = ConsoleLoginMutation["login"]["user"];

/**
 * Staff sign in with their account's email and password; when the account has two-factor on, the
 * server answers MFA_REQUIRED with a challenge, and a second step asks for the authenticator's
 * code (or a recovery code). The gateway sets the session cookie.
 */
export function SignIn({
  onSignedIn,
  notStaff,
  error: initialError,
}: {
  onSignedIn(user: User): void;
  notStaff: boolean;
  error: unknown;
}) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [challenge, setChallenge] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(initialError);

  const signedIn = async (user: User) => {
    setPassword("");
    setCode("");
    setChallenge(null);
    // A customer account has nothing here: end the session the sign-in just started.
    if (user.role === "CUSTOMER") await request(ConsoleLogoutDocument);
    onSignedIn(user);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (challenge) {
        const data = await request(ConsoleCompleteLoginDocument, { input: { challenge, code: code.trim() } });
        await signedIn(data.completeLogin.user);
      } else {
        const data = await request(ConsoleLoginDocument, { input: { email, password } });
        await signedIn(data.login.user);
      }
    } catch (failure) {
      if (
        failure instanceof ApiError &&
        failure.code === "MFA_REQUIRED" &&
        typeof failure.extensions.challenge === "string"
      ) {
        setChallenge(failure.extensions.challenge);
      } else {
        // An expired or used challenge starts again from the password.
        if (failure instanceof ApiError && failure.reason === "INVALID_MFA_CHALLENGE") setChallenge(null);
        setError(failure);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <PageTitle>Sign in</PageTitle>
      <p>The Honour console is for staff. Sign in with your account.</p>
      {notStaff && (
        <p className="error" role="alert">
          This account is a customer account: the console is for staff only.
        </p>
      )}
      <form onSubmit={submit}>
        {challenge ? (
          <>
            <p id="mfa-hint">Two-factor authentication is on for this account.</p>
            <label>
              Code from your authenticator app, or a recovery code
              <input
                autoComplete="one-time-code"
                inputMode="text"
                required
                autoFocus
                aria-describedby="mfa-hint"
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            </label>
            <button type="submit" disabled={busy}>
              {busy ? "Checking…" : "Continue"}
            </button>{" "}
            <button type="button" className="secondary" onClick={() => setChallenge(null)}>
              Start again
            </button>
          </>
        ) : (
          <>
            <label>
              Email
              <input
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            </label>
            <label>
              Password
              <input
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            <button type="submit" disabled={busy}>
              {busy ? "Signing in…" : "Sign in"}
            </button>
          </>
        )}
        <ErrorMessage error={error} />
      </form>
    </main>
  );
}
