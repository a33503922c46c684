import { hmac, MINUTE_MS, SecurityEventKind, type RequestContext, type SecurityLog } from "@honour/platform";
import { UsersErrorCode, UsersException } from "../users.exception";
import type { ThrottleStore } from "./throttle-store";

/**
 * How failures on one key slow further checks: the first `freeFailures` cost nothing; after that
 * each further check must wait `baseDelayMs`, doubled with every failure, at most `maxDelayMs`,
 * after the last failure. Failures are forgotten `forgetAfterMs` after the last one, and cleared
 * by a success (per account, never per client IP).
 */
export interface ThrottlePolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
}

/**
 * Per account (its email, known or not, or its second factor): five free failures, then 30 s, 1, 2,
 * 4, 8 minutes, then 15 minutes between tries; forgotten 12 hours after the last failure (the shape
 * of Keycloak's brute-force detection).
 */
export const ACCOUNT_THROTTLE: ThrottlePolicy = Object.freeze({
  freeFailures: 5,
  baseDelayMs: 30_000,
  maxDelayMs: 15 * MINUTE_MS,
  forgetAfterMs: 12 * 60 * MINUTE_MS,
});

/**
 * Per client IP, over every account: twenty free failures (an office behind one address has typos
 * too), then 1 s doubling to 15 minutes; forgotten an hour after the last failure.
 */
export const CLIENT_THROTTLE: ThrottlePolicy = Object.freeze({
  freeFailures: 20,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * MINUTE_MS,
  forgetAfterMs: 60 * MINUTE_MS,
});

/** An in-progress check is forgotten after this long (a gateway that died mid-check). */
const PENDING_TTL_MS = 60_000;
/** How long a check waits for earlier checks of the same key to finish before it is refused. */
const PENDING_WAIT_MS = 30_000;
const PENDING_POLL_MS = 20;

/** The delay that `failures` impose after the last one, under `policy`. */
export function delayAfter(policy: ThrottlePolicy, failures: number): number {
  if (failures < policy.freeFailures) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - policy.freeFailures));
}

/** One check under the throttle, begun by {@link SignInThrottle}: settle it exactly once. */
export interface ThrottledCheck {
  /** The password or code was wrong: counts a failure on every key of the check. */
  failed(): Promise<void>;
  /** It was right: clears the account's failures (never the client's). */
  succeeded(): Promise<void>;
  /** It ended without an answer (the database went away): nothing is counted. */
  abandon(): Promise<void>;
}

/** A key of one check: what it throttles and how. */
interface Gate {
  key: string;
  policy: ThrottlePolicy;
  /** Cleared by a success (accounts), or only counted (clients). */
  clearOnSuccess: boolean;
  /** The security log's detail when this gate refuses. */
  what: string;
}

/**
 * Throttles password and second-factor checks with growing delays per account and per client IP,
 * so that nobody can lock anyone out: a stranger's wrong passwords slow further password tries on
 * the account (with two-factor on as well: the password is worth guessing even then, and a right
 * one must not be told from a wrong one while the delay runs), but never a reset link (which, with
 * two-factor on, leads straight to the code step), never the owner's passkey, never the code step
 * (throttled per account on its own counter), and never other accounts.
 *
 * Only wrong answers count: a check is recorded as in progress while it runs, and counted as a
 * failure after the password or code was found wrong, so concurrent right passwords are never
 * refused and checks that fail for want of a database count nothing. Checks of one key beyond its
 * remaining free failures wait for the earlier ones to finish, so a burst of guesses in parallel
 * cannot slip past the count. A refusal is `RATE_LIMITED` (reason SIGN_IN_THROTTLED) with
 * `retryAfterSeconds`, and a RATE_LIMITED entry in the security log.
 *
 * The counters live in a {@link ThrottleStore} that every gateway shares. Outside transactions.
 */
export class SignInThrottle {
  constructor(
    private readonly secret: string,
    private readonly store: ThrottleStore,
    private readonly securityLog: SecurityLog,
  ) {}

  /**
   * Begins a password check for `normalisedEmail` from the request's client, whether the account
   * has two-factor on or not. Refuses with `RATE_LIMITED` while a delay runs.
   */
  beginPasswordCheck(
    ctx: RequestContext,
    normalisedEmail: string,
    options: { userId?: string } = {},
  ): Promise<ThrottledCheck> {
    const gates: Gate[] = [];
    if (ctx.ip)
      gates.push({ key: this.key("ip", ctx.ip), policy: CLIENT_THROTTLE, clearOnSuccess: false, what: "client" });
    gates.push({
      key: this.key("account", normalisedEmail),
      policy: ACCOUNT_THROTTLE,
      clearOnSuccess: true,
      what: "account",
    });
    return this.begin(ctx, gates, options.userId ?? null, "sign-in");
  }

  /** Begins a second-factor code check for account `userId` (TOTP or recovery code). */
  beginCodeCheck(ctx: RequestContext, userId: string): Promise<ThrottledCheck> {
    const gates: Gate[] = [];
    if (ctx.ip)
      gates.push({ key: this.key("ip", ctx.ip), policy: CLIENT_THROTTLE, clearOnSuccess: false, what: "client" });
    gates.push({ key: this.key("mfa", userId), policy: ACCOUNT_THROTTLE, clearOnSuccess: true, what: "second factor" });
    return this.begin(ctx, gates, userId, "two-factor code");
  }

  /** The failures on record against `normalisedEmail` and when the last was (data export). */
  async failuresOf(
    ctx: RequestContext,
    normalisedEmail: string,
  ): Promise<{ failures: number; lastFailureAt: Date | null }> {
    return this.store.read(ctx, this.key("account", normalisedEmail), this.forgetBefore(ctx, ACCOUNT_THROTTLE));
  }

  /** Forgets the failures on `normalisedEmail` and on account `userId`'s second factor (closure). */
  async forget(ctx: RequestContext, normalisedEmail: string, userId: string): Promise<void> {
    await this.store.clear(ctx, this.key("account", normalisedEmail));
    await this.store.clear(ctx, this.key("mfa", userId));
  }

  /** Deletes counters that no longer count. Returns how many. */
  async deleteStale(ctx: RequestContext): Promise<number> {
    const longest = Math.max(ACCOUNT_THROTTLE.forgetAfterMs, CLIENT_THROTTLE.forgetAfterMs);
    return this.store.deleteStale(ctx, new Date(ctx.clock.now().getTime() - longest));
  }

  private async begin(
    ctx: RequestContext,
    gates: Gate[],
    userId: string | null,
    what: string,
  ): Promise<ThrottledCheck> {
    const entered: Gate[] = [];
    try {
      for (const gate of gates) {
        await this.enter(ctx, gate);
        entered.push(gate);
      }
    } catch (error) {
      for (const gate of entered) await this.store.settle(ctx, gate.key, "none", ctx.clock.now());
      if (error instanceof Refusal) {
        await this.securityLog.record(ctx, {
          kind: SecurityEventKind.RATE_LIMITED,
          userId,
          detail: `${what} throttled (${error.gate.what})`,
        });
        throw new UsersException(
          UsersErrorCode.SIGN_IN_THROTTLED,
          "Too many failed attempts. Try again later, or reset your password.",
          [],
          { retryAfterSeconds: Math.max(1, Math.ceil(error.waitMs / 1000)) },
        );
      }
      throw error;
    }
    let settled = false;
    const settle = async (outcome: "failed" | "succeeded" | "abandoned") => {
      if (settled) return;
      settled = true;
      const now = ctx.clock.now();
      for (const gate of entered) {
        const change =
          outcome === "failed" ? "failed" : outcome === "succeeded" && gate.clearOnSuccess ? "cleared" : "none";
        await this.store.settle(ctx, gate.key, change, now);
      }
    };
    return {
      failed: () => settle("failed"),
      succeeded: () => settle("succeeded"),
      abandon: () => settle("abandoned"),
    };
  }

  /**
   * Admits a check of `gate` (counted in progress) or throws a {@link Refusal}: refused
   * while the delay of its failures runs; otherwise waits while the checks in progress already use
   * up the failures it may still make.
   */
  private async enter(ctx: RequestContext, gate: Gate): Promise<void> {
    const deadline = Date.now() + PENDING_WAIT_MS;
    for (;;) {
      const record = await this.store.read(ctx, gate.key, this.forgetBefore(ctx, gate.policy));
      const now = ctx.clock.now().getTime();
      const waitMs = record.lastFailureAt
        ? record.lastFailureAt.getTime() + delayAfter(gate.policy, record.failures) - now
        : 0;
      if (waitMs > 0) throw new Refusal(gate, waitMs);
      const staleBefore = new Date(now - PENDING_TTL_MS);
      const admitted = await this.store.admit(
        ctx,
        gate.key,
        record.failures,
        gate.policy.freeFailures,
        new Date(now),
        staleBefore,
      );
      if (admitted) return;
      if (Date.now() >= deadline) throw new Refusal(gate, 1000);
      await new Promise((resolve) => setTimeout(resolve, PENDING_POLL_MS));
    }
  }

  private forgetBefore(ctx: RequestContext, policy: ThrottlePolicy): Date {
    return new Date(ctx.clock.now().getTime() - policy.forgetAfterMs);
  }

  private key(kind: "ip" | "account" | "mfa", value: string): string {
    // A label separates these keys from any other HMAC made with the same secret.
    return hmac(this.secret, `users.sign-in-throttle.${kind}`, value);
  }
}

/** A gate said no: `waitMs` until it may say yes. */
class Refusal extends Error {
  constructor(
    readonly gate: Gate,
    readonly waitMs: number,
  ) {
    super("throttled");
  }
}
