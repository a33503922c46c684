import { isDuplicateKeyError, type RequestContext } from "@honour/platform";
import { LessThanOrEqual } from "typeorm";
import { SignInFailureEntity } from "./sign-in-failure.entity";

/** The failures of one throttle key, as {@link ThrottleStore.read} finds them. */
export interface ThrottleRecord {
  /** Failures on record (0 when none or forgotten). */
  failures: number;
  lastFailureAt: Date | null;
}

/**
 * Where the sign-in throttle keeps its counters. Every gateway must see the same counts, so the
 * implementation is shared: {@link DatabaseThrottleStore} (the default, in the same database); a
 * Redis store can implement the same contract (INCR and a Lua script for `admit`). Every method
 * commits on its own: callers run outside transactions, since a failed check ends in an exception
 * that would roll a record back.
 */
export interface ThrottleStore {
  /** The failures of `key`; failures whose last one is at or before `forgetBefore` are forgotten (0). */
  read(ctx: RequestContext, key: string, forgetBefore: Date): Promise<ThrottleRecord>;
  /**
   * Atomically admits one more check of `key` when its failures are still `seen` (what `read` found,
   * so a failure settled meanwhile, whose delay may now apply, is never overlooked) and fewer than
   * `max(1, freeFailures - failures)` are in progress (checks admitted at or before `staleBefore`
   * are presumed dead), and counts it in progress. False: read again, or wait for the ones in progress.
   */
  admit(
    ctx: RequestContext,
    key: string,
    seen: number,
    freeFailures: number,
    now: Date,
    staleBefore: Date,
  ): Promise<boolean>;
  /** Settles one admitted check: `failed` adds a failure at `now`, `cleared` forgets every failure. */
  settle(ctx: RequestContext, key: string, outcome: "failed" | "cleared" | "none", now: Date): Promise<void>;
  /** Forgets every failure of `key` (account closure). */
  clear(ctx: RequestContext, key: string): Promise<void>;
  /** Deletes keys unchanged since `before`; returns how many. */
  deleteStale(ctx: RequestContext, before: Date): Promise<number>;
}

/**
 * {@link ThrottleStore} in the database: one `sign_in_failure` row per key, changed only by
 * single conditional statements, so concurrent checks on any number of gateways count exactly.
 */
export class DatabaseThrottleStore implements ThrottleStore {
  async read(ctx: RequestContext, key: string, forgetBefore: Date): Promise<ThrottleRecord> {
    const row = await ctx.manager.findOneBy(SignInFailureEntity, { keyHash: key });
    if (!row || row.failures === 0 || !row.lastFailureAt) return { failures: 0, lastFailureAt: null };
    if (row.lastFailureAt.getTime() <= forgetBefore.getTime()) {
      await ctx.manager
        .createQueryBuilder()
        .update(SignInFailureEntity)
        .set({ failures: 0, lastFailureAt: null })
        .where("keyHash = :key AND lastFailureAt <= :forgetBefore", { key, forgetBefore })
        .execute();
      return { failures: 0, lastFailureAt: null };
    }
    return { failures: row.failures, lastFailureAt: row.lastFailureAt };
  }

  async admit(
    ctx: RequestContext,
    key: string,
    seen: number,
    freeFailures: number,
    now: Date,
    staleBefore: Date,
  ): Promise<boolean> {
    await this.ensureRow(ctx, key, now);
    const admitted = await ctx.manager
      .createQueryBuilder()
      .update(SignInFailureEntity)
      .set({
        pending: () => "CASE WHEN pendingAt IS NULL OR pendingAt <= :staleBefore THEN 1 ELSE pending + 1 END",
        pendingAt: now,
        updatedAt: now,
      })
      .where(
        "keyHash = :key AND failures = :seen AND (pendingAt IS NULL OR pendingAt <= :staleBefore OR " +
          "pending < CASE WHEN :free - failures > 1 THEN :free - failures ELSE 1 END)",
        { key, seen, free: freeFailures },
      )
      .setParameter("staleBefore", staleBefore)
      .execute();
    return (admitted.affected ?? 0) === 1;
  }

  async settle(ctx: RequestContext, key: string, outcome: "failed" | "cleared" | "none", now: Date): Promise<void> {
    const changes: Record<string, unknown> = {
      pending: () => "CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END",
      updatedAt: now,
    };
    if (outcome === "failed") Object.assign(changes, { failures: () => "failures + 1", lastFailureAt: now });
    if (outcome === "cleared") Object.assign(changes, { failures: 0, lastFailureAt: null });
    await ctx.manager
      .createQueryBuilder()
      .update(SignInFailureEntity)
      .set(changes)
      .where("keyHash = :key", { key })
      .execute();
  }

  async clear(ctx: RequestContext, key: string): Promise<void> {
    await ctx.manager.delete(SignInFailureEntity, { keyHash: key });
  }

  async deleteStale(ctx: RequestContext, before: Date): Promise<number> {
    const result = await ctx.manager.delete(SignInFailureEntity, { updatedAt: LessThanOrEqual(before) });
    return result.affected ?? 0;
  }

  private async ensureRow(ctx: RequestContext, key: string, now: Date): Promise<void> {
    if (await ctx.manager.existsBy(SignInFailureEntity, { keyHash: key })) return;
    try {
      await ctx.manager.insert(SignInFailureEntity, {
        keyHash: key,
        failures: 0,
        lastFailureAt: null,
        pending: 0,
        pendingAt: null,
        updatedAt: now,
      });
    } catch (error) {
      // Another check of the same key inserted it first.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}
