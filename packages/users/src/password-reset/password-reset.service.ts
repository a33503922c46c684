import {
  hmac,
  MINUTE_MS,
  newId,
  normaliseEmail,
  randomToken,
  SecurityEventKind,
  type JobQueue,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import { IsNull, LessThanOrEqual } from "typeorm";
import type { SignedIn } from "../auth/authentication.service";
import { enqueuePasswordChangedMail, enqueuePasswordResetMail } from "../password/password-mail";
import type { PasswordService } from "../password/password.service";
import type { SessionService } from "../session/session.service";
import { SignInAttemptEntity } from "../sign-in/sign-in-attempt.entity";
import { UserEntity } from "../user/user.entity";
import { assertOutsideTransaction, withoutHash } from "../user/user-records";
import { FieldChecks } from "../user/field-checks";
import type { MfaService } from "../mfa/mfa.service";
import { InvalidResetTokenException, UsersErrorCode, UsersException } from "../users.exception";
import type { PasswordPolicy } from "../password/password-policy";
import { throttleRequest } from "../password/request-throttle";
import { endLinks, type SingleUseLinks } from "../single-use-link/single-use-link";
import { PasswordResetEntity } from "./password-reset.entity";
import { ResponseTiming } from "./response-timing";

/** Reset requests allowed per address, and per client IP, within {@link PASSWORD_RESET_WINDOW_MS}. */
export const PASSWORD_RESET_LIMITS = Object.freeze({ perAddress: 3, perIp: 20 });
/** The throttling window of reset requests: 15 minutes (the sign-in attempts' table and job keep them). */
export const PASSWORD_RESET_WINDOW_MS = 15 * MINUTE_MS;
/** Reset requests are kept this long after they were made (data export), then deleted. */
export const PASSWORD_RESET_RETENTION_MS = 24 * 60 * MINUTE_MS;

/** Where a reset link leads; the mail builds `${PUBLIC_URL}${RESET_PASSWORD_PATH}?token=…`. */
export const RESET_PASSWORD_PATH = "/account/reset";

/** What `resetPassword` takes (the `ResetPasswordInput` and the reset form). */
export interface PasswordResetDetails {
  token: string;
  newPassword: string;
}

/**
 * Ends every live reset link of `userId` (a newer request, a password change). Call inside the
 * transaction of the change.
 */
export async function endPasswordResets(ctx: RequestContext, userId: string): Promise<void> {
  await endLinks(ctx, PasswordResetEntity, userId);
}

/**
 * "Forgot my password": a link by mail that sets a new password once, within 30 minutes.
 *
 * `request` answers the same, in about the same time, for every address. The token and its keyed
 * hash are always made and a transaction of as many statements, writing and syncing alike, always
 * runs: an open account's gets the link row, the mail job and the security log entry; an unknown
 * address's stores nothing. Then every request, known or not, ends at one common time after it
 * began ({@link ResponseTiming}: the 90th percentile of how long each kind recently took, the
 * larger), so neither kind waits for the other. Requests are throttled per address and per
 * client IP (keyed hashes in the sign-in attempts' table), counted before the address is looked
 * up, for known and unknown addresses alike.
 */
export class PasswordResetService {
  /** Ends known and unknown addresses' requests at one common time after they began. */
  private readonly timing = new ResponseTiming(["known", "unknown"] as const);

  constructor(
    private readonly secret: string,
    /** Of {@link PasswordResetEntity}, to {@link RESET_PASSWORD_PATH}, living 30 minutes. */
    private readonly links: SingleUseLinks<PasswordResetEntity>,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly jobs: JobQueue,
    private readonly securityLog: SecurityLog,
    private readonly passwordPolicy: PasswordPolicy,
    private readonly mfa: MfaService,
  ) {}

  /**
   * Mails a reset link to `email` if an open account has it; always resolves (no answer reveals
   * whether the address has an account). `RATE_LIMITED` (with `retryAfterSeconds`) after
   * {@link PASSWORD_RESET_LIMITS} requests within {@link PASSWORD_RESET_WINDOW_MS}.
   * Outside a transaction: the throttle's record must survive a refusal.
   */
  async request(ctx: RequestContext, email: string): Promise<void> {
    assertOutsideTransaction(ctx, "requestPasswordReset");
    const started = performance.now();
    const address = normaliseEmail(email ?? "").slice(0, 320);
    if (ctx.ip) await this.throttle(ctx, "ip", ctx.ip, PASSWORD_RESET_LIMITS.perIp);
    await this.throttle(ctx, "address", address, PASSWORD_RESET_LIMITS.perAddress);

    const token = randomToken(32);
    const known = await ctx.transaction(async (tx) => {
      const user = await tx.manager.findOne(UserEntity, {
        select: { id: true, name: true, email: true, closedAt: true },
        where: { email: address, closedAt: IsNull() },
      });
      if (!user) {
        await this.sameWorkAsAnAccount(tx, token);
        return false;
      }
      const { row: reset, url: link } = await this.links.issue(tx, user.id, {}, token);
      await enqueuePasswordResetMail(tx, this.jobs, user, link, reset.id);
      await this.securityLog.record(tx, { kind: SecurityEventKind.PASSWORD_RESET_REQUESTED, userId: user.id });
      return true;
    });
    await this.timing.settle(known ? "known" : "unknown", started);
  }

  /**
   * What an unknown address does instead of an account's link, mail and log entry: as many
   * statements on the same tables, storing nothing. The older links' UPDATE runs with an id that
   * matches nothing; the token's keyed hash is computed and looked up (where the new link's row
   * would go); and a throttle row with a key of nobody (the token's hash under a label of its own)
   * is written and deleted again, so that the commit writes, and on SQLite syncs, as an account's
   * does. Without it an unknown address's work took half as long as an account's (README).
   */
  private async sameWorkAsAnAccount(tx: RequestContext, token: string): Promise<void> {
    const now = tx.clock.now();
    await endPasswordResets(tx, newId(now.getTime()));
    await this.links.findLive(tx, token);
    const id = newId(now.getTime());
    const keyHash = hmac(this.secret, "users.password-reset.no-account", token);
    await tx.manager.insert(SignInAttemptEntity, { id, keyHash, attemptedAt: now });
    await tx.manager.delete(SignInAttemptEntity, { id });
  }

  /**
   * Sets a new password with a reset link's token, ends every session of the account and every
   * other reset link, starts a session for this browser, and mails the "password changed" notice.
   * With two-factor on, the link alone signs nobody in (whoever reads the mailbox must not get
   * past the second factor): the password is changed and the sessions ended all the same, then
   * `MFA_REQUIRED` with a `challenge` for `completeLogin`, as `login` answers.
   * Every invalid field in one `BAD_USER_INPUT`; an unknown, used, expired or superseded token is
   * `BAD_USER_INPUT` on `input.token` (reason `INVALID_RESET_TOKEN`). Outside a transaction.
   */
  async reset(ctx: RequestContext, details: PasswordResetDetails, userAgent?: string): Promise<SignedIn> {
    assertOutsideTransaction(ctx, "resetPassword");
    const checks = new FieldChecks();
    const token = typeof details.token === "string" ? details.token.trim() : "";
    if (token === "") checks.fail("token", "must not be empty");
    else if (token.length > 200) checks.fail("token", "is not valid any more");
    checks.password("newPassword", typeof details.newPassword === "string" ? details.newPassword : "");
    checks.throwIfAny();

    if (!(await this.links.findLive(ctx, token))) throw new InvalidResetTokenException();
    await this.passwordPolicy.check("input.newPassword", details.newPassword);
    // Hashed before the transaction: scrypt takes a while, and holds no lock meanwhile.
    const passwordHash = await this.passwords.hash(details.newPassword);
    const changed = await ctx.transaction(async (tx) => {
      const now = tx.clock.now();
      // Single use: of two requests with the same link, one ends it and the other finds it ended.
      const live = await this.links.redeem(tx, token);
      if (!live) throw new InvalidResetTokenException();
      const user = await tx.manager.findOne(UserEntity, { where: { id: live.userId, closedAt: IsNull() } });
      if (!user) throw new InvalidResetTokenException();
      await tx.manager.update(UserEntity, { id: user.id }, { passwordHash, updatedAt: now });
      await endPasswordResets(tx, user.id);
      // Whoever had got in (perhaps the reason for the reset) is out, everywhere.
      await this.sessions.revokeAll(tx, user.id);
      const secondFactor = await this.mfa.isEnabled(tx, user.id);
      const session = secondFactor ? null : await this.sessions.create(tx, user.id, userAgent);
      await this.securityLog.record(tx, {
        kind: SecurityEventKind.PASSWORD_CHANGED,
        userId: user.id,
        detail: "resetPassword",
      });
      await enqueuePasswordChangedMail(tx, this.jobs, user, "every session of yours was signed out");
      return { user: withoutHash(Object.assign(user, { updatedAt: now })), session };
    });
    if (changed.session) return { user: changed.user, session: changed.session };
    const challenge = await this.mfa.issueChallenge(ctx, changed.user.id);
    throw new UsersException(
      UsersErrorCode.MFA_REQUIRED,
      "Your password was changed. Enter a code from your authenticator app (or a recovery code) to finish signing in.",
      [],
      { challenge },
    );
  }

  /** When the reset requests of `userId` still kept were made, oldest first (data export; never tokens). */
  async requestsOf(ctx: RequestContext, userId: string): Promise<Date[]> {
    const rows = await ctx.manager.find(PasswordResetEntity, {
      select: { id: true, createdAt: true },
      where: { userId },
      order: { createdAt: "ASC", id: "ASC" },
    });
    return rows.map((r) => r.createdAt);
  }

  /** Deletes every reset request of `userId` (account closure). */
  async forget(ctx: RequestContext, userId: string, normalisedEmail: string): Promise<void> {
    await this.links.forget(ctx, userId);
    await ctx.manager.delete(SignInAttemptEntity, { keyHash: this.throttleKey("address", normalisedEmail) });
  }

  /** Deletes reset requests older than {@link PASSWORD_RESET_RETENTION_MS}; returns how many. */
  async deleteStale(ctx: RequestContext): Promise<number> {
    const cutoff = new Date(ctx.clock.now().getTime() - PASSWORD_RESET_RETENTION_MS);
    const result = await ctx.manager.delete(PasswordResetEntity, { createdAt: LessThanOrEqual(cutoff) });
    return result.affected ?? 0;
  }

  private throttleKey(kind: "ip" | "address", value: string): string {
    return hmac(this.secret, `users.password-reset.${kind}`, value);
  }

  /** Counts this request against `value`, or refuses it; refused requests are not counted. */
  private async throttle(ctx: RequestContext, kind: "ip" | "address", value: string, limit: number): Promise<void> {
    await throttleRequest(ctx, this.throttleKey(kind, value), {
      limit,
      windowMs: PASSWORD_RESET_WINDOW_MS,
      reason: UsersErrorCode.PASSWORD_RESET_THROTTLED,
      message: "Too many password reset requests. Try again later.",
    });
  }
}
