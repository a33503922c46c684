import {
  enqueueTransactionalMail,
  type JobQueue,
  type RequestContext,
  type TransactionalMailKind,
} from "@honour/platform";
import { escapeHtml } from "../password/password-mail";

// The account mails of issue 14 besides the password's: welcome with the verification link, a new
// verification link, the email change's link and notices, and the confirmation of a closure. Each
// is plain text plus the same as HTML (links as buttons), queued in the caller's transaction, so it
// goes out only if the change commits; the token is in the link and nowhere the server keeps.

/** How long an email verification link works: 24 hours. */
export const EMAIL_VERIFICATION_TTL_HOURS = 24;
/** How long an email change's confirmation link works: 24 hours. */
export const EMAIL_CHANGE_TTL_HOURS = 24;

/** What one kind of account mail says: its subject, its paragraphs after the greeting, and its button. */
interface AccountMailKind {
  subject: string;
  paragraphs: readonly string[];
  /** The link's button, after the paragraph of index `after`; kinds without one take no link. */
  button?: { label: string; after: number };
  /** The queue's once-only key, from the reference (a link's id, or the account's). */
  key: (ref: string) => string;
}

const IF_NOT_YOU = "If this was not you, reset your password and contact us at once.";

/** Every account mail, by kind (the transactional mail's `kind`). */
const ACCOUNT_MAILS = {
  // Registration's welcome, with the link that verifies the address.
  WELCOME: {
    subject: "Welcome: please confirm your email address",
    paragraphs: [
      "welcome, and thank you for registering. Please confirm that this address is yours: open this link " +
        `within ${EMAIL_VERIFICATION_TTL_HOURS} hours and press the button on the page.`,
      "Until you do, your account works, but we send you none of the newsletters or offers you chose.",
      "If you did not register, ignore this message: nothing will be sent to you.",
    ],
    button: { label: "Confirm my email address", after: 0 },
    key: (ref) => `welcome:${ref}`,
  },
  // A new verification link (asked for with resendEmailVerification).
  EMAIL_VERIFICATION: {
    subject: "Confirm your email address",
    paragraphs: [
      `please confirm that this address is yours: open this link within ${EMAIL_VERIFICATION_TTL_HOURS} hours ` +
        "and press the button on the page. Links mailed before this one no longer work.",
      "If you did not ask for it, ignore this message.",
    ],
    button: { label: "Confirm my email address", after: 0 },
    key: (ref) => `email-verification:${ref}`,
  },
  // The email change's confirmation link, to the new address.
  EMAIL_CHANGE_CONFIRMATION: {
    subject: "Confirm your new email address",
    paragraphs: [
      "you asked to use this address for your account. To confirm, open this link within " +
        `${EMAIL_CHANGE_TTL_HOURS} hours and press the button on the page:`,
      "Until then your account keeps its current address. If you did not ask for this, ignore this message.",
    ],
    button: { label: "Use this address", after: 0 },
    key: (ref) => `email-change:${ref}`,
  },
  // The notice to the address in use that a change was asked for.
  EMAIL_CHANGE_REQUESTED: {
    subject: "A change of your email address was requested",
    paragraphs: [
      "someone signed in to your account, with your password, asked to change its email address. We mailed a " +
        "confirmation link to the new address; this address stays in use until that link is used.",
      "If this was not you, change your password at once and contact us: the link then stops working.",
    ],
    key: (ref) => `email-change-requested:${ref}`,
  },
  // After an email change, to the address the account had.
  EMAIL_CHANGED_OLD: {
    subject: "Your email address was changed",
    paragraphs: [
      "the email address of your account was changed just now. This address receives nothing more from us " +
        "about the account.",
      IF_NOT_YOU,
    ],
    key: (ref) => `email-changed:${ref}:old`,
  },
  // After an email change, to the address it has now.
  EMAIL_CHANGED_NEW: {
    subject: "Your email address was changed",
    paragraphs: ["this is now the email address of your account, and it is confirmed.", IF_NOT_YOU],
    key: (ref) => `email-changed:${ref}:new`,
  },
  // The confirmation of a closure.
  ACCOUNT_CLOSED: {
    subject: "Your account is closed",
    paragraphs: [
      "your account is closed, as you asked. We erased your profile and sessions; orders keep only what " +
        "invoices need, and your address is on our list of addresses that receive no marketing.",
      "This is the last message about the account. If you did not ask for this, contact us at once.",
    ],
    key: (ref) => `account-closed:${ref}`,
  },
} satisfies Record<string, AccountMailKind>;

export type AccountMail = keyof typeof ACCOUNT_MAILS;

/** The transactional mail kind each table entry is sent as (both EMAIL_CHANGED notices are one kind). */
const SENT_AS: Partial<Record<AccountMail, TransactionalMailKind>> = {
  EMAIL_CHANGED_OLD: "EMAIL_CHANGED",
  EMAIL_CHANGED_NEW: "EMAIL_CHANGED",
};

/** Who an account mail goes to: `accountId` when the account's data export may copy it. */
export interface AccountMailRecipient {
  name: string;
  address: string;
  accountId?: string;
}

/**
 * Queues the account mail `kind` to `to`, in the caller's transaction, greeting them by name, with
 * `link` as its button when the kind has one. `ref` makes it once-only (a link's id, or for a
 * closure the account's). A closure's confirmation is queued after the erasure (which deletes
 * every mail naming the address or account), so without `accountId`.
 */
export async function enqueueAccountMail(
  tx: RequestContext,
  jobs: JobQueue,
  kind: AccountMail,
  to: AccountMailRecipient,
  ref: string,
  link?: string,
): Promise<void> {
  const mail: AccountMailKind = ACCOUNT_MAILS[kind];
  const paragraphs = [`Hello ${to.name},`, ...mail.paragraphs];
  const textParts = [...paragraphs];
  const htmlParts = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`);
  if (mail.button && link) {
    // After the greeting and the paragraph the button follows.
    textParts.splice(mail.button.after + 2, 0, link);
    htmlParts.splice(
      mail.button.after + 2,
      0,
      `<p><a href="${escapeHtml(link)}">${escapeHtml(mail.button.label)}</a></p>`,
    );
  }
  await enqueueTransactionalMail(
    tx,
    jobs,
    {
      kind: SENT_AS[kind] ?? (kind as TransactionalMailKind),
      to: { name: to.name, address: to.address },
      ...(to.accountId ? { accountId: to.accountId } : {}),
      subject: mail.subject,
      text: `${textParts.join("\n\n")}\n`,
      html: `<html><body>${htmlParts.join("")}</body></html>`,
    },
    mail.key(ref),
  );
}
