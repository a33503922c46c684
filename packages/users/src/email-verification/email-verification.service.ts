import {
  hmac,
  MINUTE_MS,
  requireUser,
  SecurityEventKind,
  type DomainEvents,
  type JobQueue,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import { IsNull } from "typeorm";
import type { Recipient } from "../password/password-mail";
import { throttleRequest } from "../password/request-throttle";
import { endLinks, type SingleUseLinks } from "../single-use-link/single-use-link";
import { UserEntity } from "../user/user.entity";
import { assertOutsideTransaction } from "../user/user-records";
import { InvalidLinkTokenException, UserNotFoundException, UsersErrorCode } from "../users.exception";
import { enqueueAccountMail } from "./account-mail";
import { EmailVerificationEntity } from "./email-verification.entity";

/** Where a verification link leads; the mail builds `${PUBLIC_URL}${VERIFY_EMAIL_PATH}?token=…`. */
export const VERIFY_EMAIL_PATH = "/account/verify";
/** Verification mails one account may ask for within {@link EMAIL_VERIFICATION_WINDOW_MS}. */
export const EMAIL_VERIFICATION_RESEND_LIMIT = 3;
export const EMAIL_VERIFICATION_WINDOW_MS = 15 * MINUTE_MS;

/**
 * Email verification (double opt-in): registration mails a link that proves the address is the
 * holder's; until it is used the account works, but what waits for the proof (the marketing topics
 * chosen at registration, kept by consent) waits. A link is a 256-bit random token of which only a
 * keyed hash is stored; it works once, for 24 hours, for the address it was mailed to, and dies
 * when used, when a newer one is mailed, and when the address changes.
 */
export class EmailVerificationService {
  constructor(
    private readonly secret: string,
    /** Of {@link EmailVerificationEntity}, to {@link VERIFY_EMAIL_PATH}, living 24 hours. */
    private readonly links: SingleUseLinks<EmailVerificationEntity>,
    private readonly jobs: JobQueue,
    private readonly events: DomainEvents,
    private readonly securityLog: SecurityLog,
  ) {}

  /**
   * Mails `user` a new verification link (the welcome at registration, else a plain verification
   * mail), ending the links mailed before. In the caller's transaction.
   */
  async issue(tx: RequestContext, user: Recipient, mail: "WELCOME" | "EMAIL_VERIFICATION"): Promise<void> {
    const { row, url: link } = await this.links.issue(tx, user.id, { email: user.email, verifiedAt: null });
    await enqueueAccountMail(
      tx,
      this.jobs,
      mail,
      { name: user.name, address: user.email, accountId: user.id },
      row.id,
      link,
    );
  }

  /**
   * Mails the signed-in person a new verification link; false (and no mail) when the address is
   * verified already. `RATE_LIMITED` (reason EMAIL_VERIFICATION_THROTTLED, `retryAfterSeconds`)
   * after {@link EMAIL_VERIFICATION_RESEND_LIMIT} within the window. Outside a transaction.
   */
  async resend(ctx: RequestContext): Promise<boolean> {
    assertOutsideTransaction(ctx, "resendEmailVerification");
    const { userId } = requireUser(ctx);
    const user = await ctx.manager.findOneBy(UserEntity, { id: userId, closedAt: IsNull() });
    if (!user) throw new UserNotFoundException();
    if (user.emailVerifiedAt) return false;
    await throttleRequest(ctx, hmac(this.secret, "users.email-verification.resend", userId), {
      limit: EMAIL_VERIFICATION_RESEND_LIMIT,
      windowMs: EMAIL_VERIFICATION_WINDOW_MS,
      reason: UsersErrorCode.EMAIL_VERIFICATION_THROTTLED,
      message: "Too many verification mails asked for. Try again later.",
    });
    await ctx.transaction((tx) => this.issue(tx, user, "EMAIL_VERIFICATION"));
    return true;
  }

  /**
   * Verifies the address with a link's token and returns the account. A token that is unknown,
   * used, expired, superseded or for an address the account no longer has: `BAD_USER_INPUT` on
   * `token` (reason INVALID_VERIFICATION_TOKEN), nothing changed. Opens its own transaction (or
   * joins the caller's).
   */
  async verify(ctx: RequestContext, rawToken: string): Promise<UserEntity> {
    return ctx.transaction(async (tx) => {
      // Single use: of two requests with the same link, one ends it and the other finds it ended.
      const live = await this.links.redeem(tx, rawToken, { verifiedAt: tx.clock.now() });
      if (!live) throw new InvalidLinkTokenException(UsersErrorCode.INVALID_VERIFICATION_TOKEN);
      const user = await tx.manager.findOneBy(UserEntity, { id: live.userId, closedAt: IsNull() });
      if (!user || user.email !== live.email) {
        throw new InvalidLinkTokenException(UsersErrorCode.INVALID_VERIFICATION_TOKEN);
      }
      return this.markVerified(tx, user, `email-verification:${live.id}`);
    });
  }

  /**
   * Records that `user.email` is proved the holder's (by `proof`): sets `emailVerifiedAt`, ends the
   * verification links still live, logs EMAIL_VERIFIED and publishes `users.emailVerified`, upon
   * which consent grants what waited for it. In the caller's transaction; returns the account.
   */
  async markVerified(tx: RequestContext, user: UserEntity, proof: string): Promise<UserEntity> {
    const now = tx.clock.now();
    await tx.manager.update(UserEntity, { id: user.id }, { emailVerifiedAt: now, updatedAt: now });
    await endLinks(tx, EmailVerificationEntity, user.id);
    await this.securityLog.record(tx, { kind: SecurityEventKind.EMAIL_VERIFIED, userId: user.id });
    await this.events.publish(tx, "users.emailVerified", { userId: user.id, email: user.email, proof });
    return Object.assign(user, { emailVerifiedAt: now, updatedAt: now });
  }

  /** The verification links mailed to `userId`, oldest first (data export; never tokens). */
  async linksOf(ctx: RequestContext, userId: string): Promise<EmailVerificationEntity[]> {
    return ctx.manager.find(EmailVerificationEntity, {
      select: { id: true, email: true, createdAt: true, expiresAt: true, endedAt: true, verifiedAt: true },
      where: { userId },
      order: { createdAt: "ASC", id: "ASC" },
    });
  }

  /** Deletes every verification link of `userId` (account closure). */
  forget(ctx: RequestContext, userId: string): Promise<void> {
    return this.links.forget(ctx, userId);
  }
}
