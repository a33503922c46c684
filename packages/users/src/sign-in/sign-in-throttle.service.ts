import { hmac, newId, type RequestContext } from "@honour/platform";
import { LessThanOrEqual, MoreThan } from "typeorm";
import { UsersErrorCode, UsersException } from "../users.exception";
import { SignInAttemptEntity } from "./sign-in-attempt.entity";

/** Failed attempts allowed for one email within {@link SIGN_IN_WINDOW_MS}. */
export const SIGN_IN_MAX_FAILURES = 5;
/** The throttling window: 15 minutes. */
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

/**
 * Throttles password checks per email address: after {@link SIGN_IN_MAX_FAILURES} failures
 * within {@link SIGN_IN_WINDOW_MS}, every further attempt is refused with `RATE_LIMITED`, even with
 * the right password, until the oldest failure leaves the window.
 *
 * Every statement commits on its own, so callers must not hold a transaction open around it: a
 * failed attempt ends in an exception, and a rollback would erase the record of it.
 */
export class SignInThrottleService {
  constructor(private readonly secret: string) {}

  /**
   * Records an attempt for `normalisedEmail` before its password is checked, or refuses it.
   * Recording first means that a burst of parallel attempts cannot all pass the check before any
   * of them is counted: whoever counts more than the limit backs out.
   * Returns the key to pass to {@link succeeded}.
   */
  async begin(ctx: RequestContext, normalisedEmail: string): Promise<string> {
    const keyHash = this.key(normalisedEmail);
    const now = ctx.clock.now();
    const id = newId(now.getTime());
    await ctx.manager.insert(SignInAttemptEntity, { id, keyHash, attemptedAt: now });
    const windowStart = new Date(now.getTime() - SIGN_IN_WINDOW_MS);
    const inWindow = { keyHash, attemptedAt: MoreThan(windowStart) };
    const attempts = await ctx.manager.countBy(SignInAttemptEntity, inWindow);
    if (attempts <= SIGN_IN_MAX_FAILURES) return keyHash;

    // A refused attempt is not counted: otherwise someone hammering an address would keep its
    // owner locked out for as long as they keep going.
    await ctx.manager.delete(SignInAttemptEntity, { id });
    const oldest = await ctx.manager.findOne(SignInAttemptEntity, {
      where: inWindow,
      order: { attemptedAt: "ASC" },
    });
    const freeAt = (oldest?.attemptedAt.getTime() ?? now.getTime()) + SIGN_IN_WINDOW_MS;
    throw new UsersException(
      UsersErrorCode.SIGN_IN_THROTTLED,
      "Too many failed sign-in attempts for this email address. Try again later.",
      [],
      { retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000)) },
    );
  }

  /** Clears the failures of `keyHash` after a correct password: a few typos are forgiven. */
  async succeeded(ctx: RequestContext, keyHash: string): Promise<void> {
    await ctx.manager.delete(SignInAttemptEntity, { keyHash });
  }

  /** When the attempts on `normalisedEmail` still on record were made, oldest first (data export). */
  async attemptsFor(ctx: RequestContext, normalisedEmail: string): Promise<Date[]> {
    const rows = await ctx.manager.find(SignInAttemptEntity, {
      where: { keyHash: this.key(normalisedEmail) },
      order: { attemptedAt: "ASC", id: "ASC" },
    });
    return rows.map((r) => r.attemptedAt);
  }

  /** Deletes every attempt on `normalisedEmail` (account closure). */
  async forget(ctx: RequestContext, normalisedEmail: string): Promise<void> {
    await ctx.manager.delete(SignInAttemptEntity, { keyHash: this.key(normalisedEmail) });
  }

  /** Deletes attempts that have left the window; they no longer count. Returns how many. */
  async deleteStale(ctx: RequestContext): Promise<number> {
    const cutoff = new Date(ctx.clock.now().getTime() - SIGN_IN_WINDOW_MS);
    const result = await ctx.manager.delete(SignInAttemptEntity, { attemptedAt: LessThanOrEqual(cutoff) });
    return result.affected ?? 0;
  }

  private key(normalisedEmail: string): string {
    // A label separates these keys from any other HMAC made with the same secret.
    return hmac(this.secret, "users.sign-in-attempt", normalisedEmail);
  }
}
