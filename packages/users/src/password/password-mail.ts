import { enqueueTransactionalMail, type JobQueue, type RequestContext } from "@honour/platform";
import type { UserEntity } from "../user/user.entity";

/** How long a password reset link works: 30 minutes. */
export const PASSWORD_RESET_TTL_MINUTES = 30;

export type Recipient = Pick<UserEntity, "id" | "name" | "email">;

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Queues the "your password was changed" notice in the caller's transaction (a change through
 * the profile or a reset link): if it was not them, the owner learns of it and what to do.
 */
export async function enqueuePasswordChangedMail(
  tx: RequestContext,
  jobs: JobQueue,
  user: Recipient,
  sessionsNote: string,
): Promise<void> {
  await enqueueTransactionalMail(
    tx,
    jobs,
    {
      kind: "PASSWORD_CHANGED",
      to: { name: user.name, address: user.email },
      // About this account: its data export copies the message.
      accountId: user.id,
      subject: "Your password was changed",
      text:
        `Hello ${user.name},\n\nthe password of your account was changed just now, and ${sessionsNote}.\n\n` +
        "If this was not you, reset your password and contact us at once.\n",
    },
    `password-changed:${user.id}:${tx.clock.now().getTime()}`,
  );
}

/**
 * Queues the mail with a password reset link, in plain text and HTML, in the caller's transaction.
 * `resetId` makes it once-only; the token is in the link and nowhere else the server keeps.
 */
export async function enqueuePasswordResetMail(
  tx: RequestContext,
  jobs: JobQueue,
  user: Recipient,
  link: string,
  resetId: string,
): Promise<void> {
  const name = escapeHtml(user.name);
  const href = escapeHtml(link);
  await enqueueTransactionalMail(
    tx,
    jobs,
    {
      kind: "PASSWORD_RESET",
      to: { name: user.name, address: user.email },
      accountId: user.id,
      subject: "Reset your password",
      text:
        `Hello ${user.name},\n\nsomeone (we hope you) asked to reset the password of your account. ` +
        `To choose a new password, open this link within ${PASSWORD_RESET_TTL_MINUTES} minutes:\n\n${link}\n\n` +
        "The link works once. If you did not ask for it, ignore this message: your password stays as it is.\n",
      html:
        `<html><body><p>Hello ${name},</p><p>someone (we hope you) asked to reset the password of your account. ` +
        `To choose a new password, open this link within ${PASSWORD_RESET_TTL_MINUTES} minutes:</p>` +
        `<p><a href="${href}">Choose a new password</a></p>` +
        "<p>The link works once. If you did not ask for it, ignore this message: your password stays as it is.</p>" +
        "</body></html>",
    },
    `password-reset:${resetId}`,
  );
}
