import {
  hmac,
  isDuplicateKeyError,
  MINUTE_MS,
  requireUser,
  SecurityEventKind,
  type DomainEvents,
  type JobQueue,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import type { AuthenticationService } from "../auth/authentication.service";
import { enqueueAccountMail } from "../email-verification/account-mail";
import type { EmailVerificationService } from "../email-verification/email-verification.service";
import { throttleRequest } from "../password/request-throttle";
import { FieldChecks } from "../user/field-checks";
import { UserEntity } from "../user/user.entity";
import { assertOutsideTransaction, findWithHash, withoutHash } from "../user/user-records";
import {
  EmailTakenException,
  InvalidLinkTokenException,
  UserNotFoundException,
  UsersErrorCode,
} from "../users.exception";
import { IsNull } from "typeorm";
import type { SingleUseLinks } from "../single-use-link/single-use-link";
import { endAddressLinks } from "./address-links";
import { EmailChangeEntity } from "./email-change.entity";

/** Where an email change's link leads; the mail builds `${PUBLIC_URL}${EMAIL_CHANGE_PATH}?token=…`. */
export const EMAIL_CHANGE_PATH = "/account/email";
/** Email changes one account may ask for within {@link EMAIL_CHANGE_WINDOW_MS} (each mails two addresses). */
export const EMAIL_CHANGE_LIMIT = 5;
export const EMAIL_CHANGE_WINDOW_MS = 60 * MINUTE_MS;

/** What `requestEmailChange` takes (`EmailChangeInput`). */
export interface EmailChangeDetails {
  newEmail: string;
  currentPassword: string;
}

/**
 * Changing the account's email address: the signed-in person asks with their password, a link goes
 * to the new address (and a notice to the old one), and only that link switches the address, which
 * is then verified. Whoever borrows a signed-in browser cannot take the account over, and nobody can
 * give an account an address they cannot read. The old address stays until the link is used.
 */
export class EmailChangeService {
  constructor(
    private readonly secret: string,
    /** Of {@link EmailChangeEntity}, to {@link EMAIL_CHANGE_PATH}, living 24 hours. */
    private readonly links: SingleUseLinks<EmailChangeEntity>,
    private readonly authentication: AuthenticationService,
    private readonly verifications: EmailVerificationService,
    private readonly jobs: JobQueue,
    private readonly events: DomainEvents,
    private readonly securityLog: SecurityLog,
  ) {}

  /**
   * Mails a confirmation link (24 hours, once) to `newEmail` and a notice to the current address,
   * ending the links of earlier requests. Every invalid field in one `BAD_USER_INPUT` (the new
   * address the same as the current one among them); a wrong `currentPassword` is `BAD_USER_INPUT`
   * on it, throttled like sign-in; `RATE_LIMITED` (reason EMAIL_CHANGE_THROTTLED) beyond
   * {@link EMAIL_CHANGE_LIMIT} an hour. Whether another account has the address is not said here
   * (that would tell anyone with a password who else has an account): confirming answers it.
   * Outside a transaction.
   */
  async request(ctx: RequestContext, details: EmailChangeDetails): Promise<void> {
    assertOutsideTransaction(ctx, "requestEmailChange");
    const { userId } = requireUser(ctx);
    const checks = new FieldChecks();
    const newEmail = checks.email(details.newEmail, "newEmail");
    checks.givenPassword("currentPassword", details.currentPassword, true);
    checks.throwIfAny();
    const user = await findWithHash(ctx, { id: userId, closedAt: IsNull() });
    if (!user) throw new UserNotFoundException();
    if (newEmail === user.email) {
      checks.fail("newEmail", "is your address already");
      checks.throwIfAny();
    }
    await this.authentication.checkCurrentPassword(ctx, user, details.currentPassword, "requestEmailChange");
    await throttleRequest(ctx, hmac(this.secret, "users.email-change", userId), {
      limit: EMAIL_CHANGE_LIMIT,
      windowMs: EMAIL_CHANGE_WINDOW_MS,
      reason: UsersErrorCode.EMAIL_CHANGE_THROTTLED,
      message: "Too many email changes asked for. Try again later.",
    });

    await ctx.transaction(async (tx) => {
      const { row: change, url: link } = await this.links.issue(tx, user.id, { newEmail, confirmedAt: null });
      const to = (address: string) => ({ name: user.name, address, accountId: user.id });
      await enqueueAccountMail(tx, this.jobs, "EMAIL_CHANGE_CONFIRMATION", to(newEmail), change.id, link);
      await enqueueAccountMail(tx, this.jobs, "EMAIL_CHANGE_REQUESTED", to(user.email), change.id);
    });
  }

  /**
   * Switches the account to the address of a change link and verifies it (the link proved the
   * mailbox): the links of the old address die (verification, other changes, password resets), the
   * security log records EMAIL_CHANGED and EMAIL_VERIFIED, `users.emailChanged` lets consent carry
   * the person's opt-outs over, and both addresses get a notice. A dead token: `BAD_USER_INPUT` on
   * `token` (reason INVALID_EMAIL_CHANGE_TOKEN). Another account has the address by now: `CONFLICT`
   * (EMAIL_TAKEN) and nothing changes. Opens its own transaction (or joins the caller's).
   */
  async confirm(ctx: RequestContext, rawToken: string): Promise<UserEntity> {
    try {
      return await ctx.transaction(async (tx) => {
        const now = tx.clock.now();
        const live = await this.links.redeem(tx, rawToken, { confirmedAt: now });
        if (!live) throw new InvalidLinkTokenException(UsersErrorCode.INVALID_EMAIL_CHANGE_TOKEN);
        const user = await tx.manager.findOneBy(UserEntity, { id: live.userId, closedAt: IsNull() });
        if (!user) throw new InvalidLinkTokenException(UsersErrorCode.INVALID_EMAIL_CHANGE_TOKEN);
        if (await tx.manager.existsBy(UserEntity, { email: live.newEmail })) throw new EmailTakenException("token");
        const previousEmail = user.email;
        await tx.manager.update(UserEntity, { id: user.id }, { email: live.newEmail, updatedAt: now });
        user.email = live.newEmail;
        // Links mailed to the old address (resets among them) no longer speak for the account.
        await endAddressLinks(tx, user.id);
        await this.securityLog.record(tx, { kind: SecurityEventKind.EMAIL_CHANGED, userId: user.id });
        await this.events.publish(tx, "users.emailChanged", { userId: user.id, previousEmail, email: user.email });
        const verified = await this.verifications.markVerified(tx, user, `email-change:${live.id}`);
        const to = (address: string) => ({ name: user.name, address, accountId: user.id });
        await enqueueAccountMail(tx, this.jobs, "EMAIL_CHANGED_OLD", to(previousEmail), live.id);
        await enqueueAccountMail(tx, this.jobs, "EMAIL_CHANGED_NEW", to(user.email), live.id);
        return withoutHash(verified);
      });
    } catch (error) {
      // Someone took the address between the check and the write.
      if (isDuplicateKeyError(error)) throw new EmailTakenException("token");
      throw error;
    }
  }

  /** The email changes `userId` asked for, oldest first (data export; never tokens). */
  async requestsOf(ctx: RequestContext, userId: string): Promise<EmailChangeEntity[]> {
    return ctx.manager.find(EmailChangeEntity, {
      select: { id: true, newEmail: true, createdAt: true, expiresAt: true, endedAt: true, confirmedAt: true },
      where: { userId },
      order: { createdAt: "ASC", id: "ASC" },
    });
  }

  /** Deletes every email change of `userId` (account closure). */
  forget(ctx: RequestContext, userId: string): Promise<void> {
    return this.links.forget(ctx, userId);
  }
}
