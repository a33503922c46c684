import { DAY_MS, type RequestContext } from "@honour/platform";
import { EmailVerificationEntity } from "../email-verification/email-verification.entity";
import { PasswordResetEntity } from "../password-reset/password-reset.entity";
import { deleteStaleLinks, endLinks } from "../single-use-link/single-use-link";
import { EmailChangeEntity } from "./email-change.entity";

/** How long an email verification or email change link is kept after it expired or was used (or ended). */
export const ADDRESS_LINK_RETENTION_MS = 7 * DAY_MS;

/**
 * Ends every link mailed about the account's address (verification, email change, password reset)
 * when the address changes: they went to a mailbox that no longer speaks for the account. In the
 * caller's transaction.
 */
export async function endAddressLinks(ctx: RequestContext, userId: string): Promise<void> {
  for (const entity of [EmailVerificationEntity, EmailChangeEntity, PasswordResetEntity]) {
    await endLinks(ctx, entity, userId);
  }
}

/**
 * Deletes the email verification and email change links that expired, or were used or ended, more
 * than {@link ADDRESS_LINK_RETENTION_MS} ago (a job; password resets have their own, shorter one).
 * Returns how many.
 */
export function deleteStaleAddressLinks(ctx: RequestContext): Promise<number> {
  return deleteStaleLinks(ctx, [EmailVerificationEntity, EmailChangeEntity], ADDRESS_LINK_RETENTION_MS);
}
