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
import { IsNull, LessThanOrEqual, MoreThan } from "typeorm";
import type { SignedIn } from "../auth/authentication.service";
import {
  enqueuePasswordChangedMail,
  enqueuePasswordResetMail,
  PASSWORD_RESET_TTL_MINUTES,
} from "../password/password-mail";
import type { PasswordService } from "../password/password.service";
import type { SessionService } from "../session/session.service";
import { SignInAttemptEntity } from "../sign-in/sign-in-attempt.entity";
import { UserEntity } from "../user/user.entity";
import { assertOutsideTransaction, withoutHash } from "../user/user-records";
import { FieldChecks } from "../user/field-checks";
import { InvalidResetTokenException, UsersErrorCode, UsersException } from "../users.exception";
import { PasswordResetEntity } from "./password-reset.entity";

/** Reset requests allowed per address, and per client IP, within {@link PASSWORD_RESET_WINDOW_MS}. */
export const PASSWORD_RESET_LIMITS = Object.freeze({ perAddress: 3, perIp: 20 });
/** The throttling window of reset requests: 15 minutes (the sign-in attempts' table and job keep them). */
export const PASSWORD_RESET_WINDOW_MS = 15 * MINUTE_MS;
/** Reset requests are kept this long after they were made (data export), then deleted. */
export const PASSWORD_RESET_RETENTION_MS = 24 * 60 * MINUTE_MS;

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
  await ctx.manager.update(PasswordResetEntity, { userId, endedAt: IsNull() }, { endedAt: ctx.clock.now() });
}

/**
 * "Forgot my password": a link by mail that sets a new password once, within 30 minutes.
 *
 * `request` answers the same, in about the same time, for every address: the token and its keyed
 * hash are always computed and the same transaction always runs; only an open account's row, mail
 * and security log entry differ inside it, and an unknown address then waits as long as those took
 * for the latest known ones (the median of the last 31). Requests are throttled per address and per client IP (keyed
 * hashes in the sign-in attempts' table), for known and unknown addresses alike.
 */
export class PasswordResetService {
  /** How long the transaction took for the latest known addresses. */
  private readonly accountWork = new RecentDurations(31);

  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly jobs: JobQueue,
    private readonly securityLog: SecurityLog,
  ) {}

  /**
   * Mails a reset link to `email` if an open account has it; always resolves (no answer reveals
   * whether the address has an account). `RATE_LIMITED` (with `retryAfterSeconds`) after
   * {@link PASSWORD_RESET_LIMITS} requests within {@link PASSWORD_RESET_WINDOW_MS}.
   * Outside a transaction: the throttle's record must survive a refusal.
   */
  async request(ctx: RequestContext, email: string): Promise<void> {
    assertOutsideTransaction(ctx, "requestPasswordReset");
    const address = normaliseEmail(email ?? "").slice(0, 320);
    if (ctx.ip) await this.throttle(ctx, "ip", ctx.ip, PASSWORD_RESET_LIMITS.perIp);
    await this.throttle(ctx, "address", address, PASSWORD_RESET_LIMITS.perAddress);

    const token = randomToken(32);
    const tokenHash = this.hashOf(token);
    const started = performance.now();
    const known = await ctx.transaction(async (tx) => {
      const now = tx.clock.now();
      const user = await tx.manager.findOne(UserEntity, {
        select: { id: true, name: true, email: true, closedAt: true },
        where: { email: address, closedAt: IsNull() },
      });
      // Unknown addresses run the same statements with an id that matches nothing.
      const userId = user?.id ?? newId(now.getTime());
      await endPasswordResets(tx, userId);
      if (!user) return false;
      const reset: PasswordResetEntity = Object.assign(new PasswordResetEntity(), {
        id: newId(now.getTime()),
        tokenHash,
        userId: user.id,
        createdAt: now,
        expiresAt: new Date(now.getTime() + PASSWORD_RESET_TTL_MINUTES * MINUTE_MS),
        endedAt: null,
      });
      await tx.manager.insert(PasswordResetEntity, reset);
      const link = `${this.publicUrl}/account/reset?token=${encodeURIComponent(token)}`;
      await enqueuePasswordResetMail(tx, this.jobs, user, link, reset.id);
      await this.securityLog.record(tx, { kind: SecurityEventKind.PASSWORD_RESET_REQUESTED, userId: user.id });
      return true;
    });
    // An account's row, mail and log entry take a few writes more than an unknown address; measured,
    // a known address took twice as long (README). So an unknown address waits as long as known ones recently took.
    const took = performance.now() - started;
    if (known) this.accountWork.add(took);
    else await waitUntil(started + this.accountWork.median());
  }

  /**
   * Sets a new password with a reset link's token, ends every session of the account and every
   * other reset link, starts a session for this browser, and mails the "password changed" notice.
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

    const tokenHash = this.hashOf(token);
    const live = await this.findLive(ctx, tokenHash);
    if (!live) throw new InvalidResetTokenException();
    // Hashed before the transaction: scrypt takes a while, and holds no lock meanwhile.
    const passwordHash = await this.passwords.hash(details.newPassword);
    return ctx.transaction(async (tx) => {
      const now = tx.clock.now();
      // Single use: of two requests with the same link, one ends it and the other finds it ended.
      const ended = await tx.manager.update(
        PasswordResetEntity,
        { id: live.id, endedAt: IsNull(), expiresAt: MoreThan(now) },
        { endedAt: now },
      );
      if (!ended.affected) throw new InvalidResetTokenException();
      const user = await tx.manager.findOne(UserEntity, { where: { id: live.userId, closedAt: IsNull() } });
      if (!user) throw new InvalidResetTokenException();
      await tx.manager.update(UserEntity, { id: user.id }, { passwordHash, updatedAt: now });
      await endPasswordResets(tx, user.id);
      // Whoever had got in (perhaps the reason for the reset) is out, everywhere.
      await this.sessions.revokeAll(tx, user.id);
      const session = await this.sessions.create(tx, user.id, userAgent);
      await this.securityLog.record(tx, {
        kind: SecurityEventKind.PASSWORD_CHANGED,
        userId: user.id,
        detail: "resetPassword",
      });
      await enqueuePasswordChangedMail(tx, this.jobs, user, "every session of yours was signed out");
      return { user: withoutHash(Object.assign(user, { updatedAt: now })), session };
    });
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
    await ctx.manager.delete(PasswordResetEntity, { userId });
    await ctx.manager.delete(SignInAttemptEntity, { keyHash: this.throttleKey("address", normalisedEmail) });
  }

  /** Deletes reset requests older than {@link PASSWORD_RESET_RETENTION_MS}; returns how many. */
  async deleteStale(ctx: RequestContext): Promise<number> {
    const cutoff = new Date(ctx.clock.now().getTime() - PASSWORD_RESET_RETENTION_MS);
    const result = await ctx.manager.delete(PasswordResetEntity, { createdAt: LessThanOrEqual(cutoff) });
    return result.affected ?? 0;
  }

  private async findLive(ctx: RequestContext, tokenHash: string): Promise<PasswordResetEntity | null> {
    return ctx.manager.findOne(PasswordResetEntity, {
      where: { tokenHash, endedAt: IsNull(), expiresAt: MoreThan(ctx.clock.now()) },
    });
  }

  private hashOf(token: string): string {
    return hmac(this.secret, "users.password-reset", token);
  }

  private throttleKey(kind: "ip" | "address", value: string): string {
    return hmac(this.secret, `users.password-reset.${kind}`, value);
  }

  /** Counts this request against `value`, or refuses it; refused requests are not counted. */
  private async throttle(ctx: RequestContext, kind: "ip" | "address", value: string, limit: number): Promise<void> {
    const keyHash = this.throttleKey(kind, value);
    const now = ctx.clock.now();
    const id = newId(now.getTime());
    await ctx.manager.insert(SignInAttemptEntity, { id, keyHash, attemptedAt: now });
    const inWindow = { keyHash, attemptedAt: MoreThan(new Date(now.getTime() - PASSWORD_RESET_WINDOW_MS)) };
    if ((await ctx.manager.countBy(SignInAttemptEntity, inWindow)) <= limit) return;
    await ctx.manager.delete(SignInAttemptEntity, { id });
    const oldest = await ctx.manager.findOne(SignInAttemptEntity, { where: inWindow, order: { attemptedAt: "ASC" } });
    const freeAt = (oldest?.attemptedAt.getTime() ?? now.getTime()) + PASSWORD_RESET_WINDOW_MS;
    throw new UsersException(
      UsersErrorCode.PASSWORD_RESET_THROTTLED,
      "Too many password reset requests. Try again later.",
      [],
      { retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000)) },
    );
  }
}

/** The last `size` durations (ms) and their median: robust to the odd pause of the collector. */
class RecentDurations {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  add(ms: number): void {
    if (this.samples.length < this.size) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  median(): number {
    if (this.samples.length === 0) return 0;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  }
}

/** Resolves at `deadline` (a `performance.now()` time), to well under a millisecond, yielding meanwhile. */
async function waitUntil(deadline: number): Promise<void> {
  const left = deadline - performance.now();
  if (left > 2) await new Promise((resolve) => setTimeout(resolve, Math.floor(left) - 1));
  while (performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
}
