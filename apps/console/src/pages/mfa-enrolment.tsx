import { useState, type FormEvent } from "react";
import { request } from "../api/client";
import { ErrorMessage, PageTitle, useAction } from "../components/common";
import { ConsoleConfirmTotpEnrolmentDocument, ConsoleStartTotpEnrolmentDocument } from "../generated/graphql";

/**
 * Where staff land when the server requires two-factor for staff (STAFF_MFA) and their account
 * has none yet: every staff call answers MFA_ENROLMENT_REQUIRED until an authenticator is added.
 */
export function MfaEnrolment({ onDone }: { onDone(): void }) {
  const [enrolment, setEnrolment] = useState<{ secret: string; qrCodeSvg: string } | null>(null);
  const [code, setCode] = useState("");
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const action = useAction();

  const start = async () => {
    const data = await action.run(() => request(ConsoleStartTotpEnrolmentDocument));
    if (data) setEnrolment(data.startTotpEnrolment);
  };
  const confirm = async (event: FormEvent) => {
    event.preventDefault();
    const data = await action.run(() => request(ConsoleConfirmTotpEnrolmentDocument, { code: code.trim() }));
    if (data) setRecoveryCodes(data.confirmTotpEnrolment);
  };

  return (
    <section>
      <PageTitle>Turn on two-factor authentication</PageTitle>
      <p>This server asks every staff account for a second factor. Add an authenticator app to continue.</p>
      {!enrolment && (
        <button type="button" onClick={start} disabled={action.busy}>
          Add an authenticator app
        </button>
      )}
      {enrolment && !recoveryCodes && (
        <form onSubmit={confirm} className="editor">
          <p>Scan this code with the app, or type the secret into it.</p>
          <img
            className="qr"
            alt="QR code of the authenticator secret"
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrCodeSvg)}`}
          />
          <p className="secret" data-testid="totp-secret">
            {enrolment.secret}
          </p>
          <label>
            The 6-digit code the app shows now
            <input
              autoComplete="one-time-code"
              inputMode="numeric"
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          <button type="submit" disabled={action.busy}>
            Turn it on
          </button>
        </form>
      )}
      {recoveryCodes && (
        <>
          <p>
            <strong>Two-factor is on.</strong> Keep these recovery codes somewhere safe: each one signs you in once if
            you lose the app. They are shown this once.
          </p>
          <ul className="secret">
            {recoveryCodes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
          <button type="button" onClick={onDone}>
            Continue to the console
          </button>
        </>
      )}
      <ErrorMessage error={action.error} />
    </section>
  );
}
