import type { RequestContext } from "../context/request-context";
import type { JobQueue } from "../jobs/job-queue";

/**
 * The job that sends one transactional message (consent's mailer handles it). Declared here so
 * that users and orders can send mail without depending on consent.
 */
export const TRANSACTIONAL_MAIL_JOB = "mail.transactional";

/** Why a transactional message is sent; no marketing opt-out stops these. */
export type TransactionalMailKind =
  | "PASSWORD_CHANGED"
  | "PASSWORD_RESET"
  | "ORDER_CONFIRMATION"
  /** Registration: welcome, with the address's verification link. */
  | "WELCOME"
  /** A new verification link (resendEmailVerification). */
  | "EMAIL_VERIFICATION"
  /** An email change: the confirmation link, to the new address. */
  | "EMAIL_CHANGE_CONFIRMATION"
  /** An email change was asked for: the notice to the address in use. */
  | "EMAIL_CHANGE_REQUESTED"
  /** An email change took effect: the notice to the old and the new address. */
  | "EMAIL_CHANGED"
  /** The account was closed: the confirmation to the address it had. */
  | "ACCOUNT_CLOSED"
  /** A partner's webhook endpoint was disabled after failing for too long: to the partner's contact. */
  | "WEBHOOK_DISABLED"
  /** A person's copy of their data is ready: the link to the download page. */
  | "DATA_EXPORT_READY"
  /** Staff extended a person's privacy request: the new due date and the reason. */
  | "PRIVACY_REQUEST_EXTENDED"
  /** A guest's access request answered: the copy of what we hold about their address. */
  | "GUEST_DATA_COPY"
  /** A fresh preference link, asked for from the page of an expired one: to the account's address. */
  | "PREFERENCE_LINK";

export interface TransactionalMailPayload extends Record<string, unknown> {
  kind: TransactionalMailKind;
  to: { name: string; address: string };
  subject: string;
  /** Plain text. Never a password, token or card data. */
  text: string;
  /** The same message as HTML, when it has one (links as buttons); the text part always goes too. */
  html?: string;
  /**
   * The account the message is about, when it is one. Only messages that name it appear in that
   * account's data export: an account does not prove that its holder owns the address, so mail
   * sent to the address for anything else (a guest order) is not theirs to read.
   */
  accountId?: string;
}

/**
 * Queues a transactional message in the caller's transaction: it goes out once the change it
 * reports has committed, and never for a change that rolled back. `uniqueKey` makes it once-only.
 */
export async function enqueueTransactionalMail(
  ctx: RequestContext,
  jobs: JobQueue,
  mail: TransactionalMailPayload,
  uniqueKey: string,
): Promise<void> {
  await jobs.enqueue(ctx, TRANSACTIONAL_MAIL_JOB, mail, { uniqueKey: `mail:${uniqueKey}`, maxAttempts: 8 });
}
