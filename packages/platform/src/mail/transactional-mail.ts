import type { RequestContext } from "../context/request-context";
import type { JobQueue } from "../jobs/job-queue";

/**
 * The job that sends one transactional message (consent's mailer handles it). Declared here so
 * that users and orders can send mail without depending on consent.
 */
export const TRANSACTIONAL_MAIL_JOB = "mail.transactional";

/** Why a transactional message is sent; no marketing opt-out stops these. */
export type TransactionalMailKind = "PASSWORD_CHANGED" | "PASSWORD_RESET" | "ORDER_CONFIRMATION";

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
