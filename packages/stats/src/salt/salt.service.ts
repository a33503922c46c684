import { randomBytes } from "node:crypto";
import { HOUR_MS, isMysql, type RequestContext } from "@honour/platform";
import { LessThan, LessThanOrEqual } from "typeorm";
import { addDays, type LocalDay, type SiteTimeZone } from "../zone/site-time-zone";
import { DailySaltEntity } from "./daily-salt.entity";

/** No salt is kept longer than this. */
export const SALT_MAX_AGE_MS = 48 * HOUR_MS;

/** How many days' salts a process keeps in memory: today's, and yesterday's for late stragglers. */
const CACHED_DAYS = 2;

/**
 * The daily random keys of the visitor ids. The worker creates each day's salt and deletes old
 * ones ({@link rotate}); a gateway reads the day's salt once and keeps it in memory, and creates
 * it itself if the worker has not yet (two processes racing settle on whichever was written
 * first, so every process hashes a day's visitors with the same key).
 */
export class SaltService {
  private readonly cache = new Map<LocalDay, Buffer>();
  private readonly loading = new Map<LocalDay, Promise<Buffer>>();

  constructor(private readonly zone: SiteTimeZone) {}

  /** The day's salt if this process already holds it; never touches the database. */
  cached(day: LocalDay): Buffer | undefined {
    return this.cache.get(day);
  }

  /** Forgets the salts of days before `day`; the database copies go at the next rotation. */
  forgetBefore(day: LocalDay): void {
    for (const cachedDay of [...this.cache.keys()]) if (cachedDay < day) this.cache.delete(cachedDay);
  }

  /** The day's salt: from memory, else from the database, else a new random one. */
  saltFor(ctx: RequestContext, day: LocalDay): Promise<Buffer> {
    const cached = this.cache.get(day);
    if (cached) return Promise.resolve(cached);
    let loading = this.loading.get(day);
    if (!loading) {
      loading = this.getOrCreate(ctx, day).then(
        (salt) => {
          this.loading.delete(day);
          this.remember(day, salt);
          return salt;
        },
        (error: unknown) => {
          this.loading.delete(day);
          throw error;
        },
      );
      this.loading.set(day, loading);
    }
    return loading;
  }

  /**
   * The worker's daily duty, also run at start-up: deletes every salt of a day before yesterday
   * and every salt older than 48 hours, then makes sure today's exists. Returns how many it
   * deleted.
   */
  async rotate(ctx: RequestContext): Promise<{ deleted: number; today: LocalDay }> {
    const now = ctx.clock.now();
    const today = this.zone.dayOf(now.getTime());
    const tooOld = new Date(now.getTime() - SALT_MAX_AGE_MS);
    const repo = ctx.manager.getRepository(DailySaltEntity);
    // Deleted first: should the clock have jumped, today's salt is then made anew, never kept old.
    const byDay = await repo.delete({ day: LessThan(addDays(today, -1)) });
    const byAge = await repo.delete({ createdAt: LessThanOrEqual(tooOld) });
    this.forgetBefore(addDays(today, -1));
    await this.getOrCreate(ctx, today);
    return { deleted: (byDay.affected ?? 0) + (byAge.affected ?? 0), today };
  }

  private getOrCreate(ctx: RequestContext, day: LocalDay): Promise<Buffer> {
    // On MySQL each statement commits on its own, so after losing the race the second read sees
    // the winner's row (inside a REPEATABLE READ transaction it would not). SQLite shares one
    // connection: there the salt is written in a turn of its own, so that no other request's
    // rollback can take it away after this process has started hashing with it.
    if (isMysql(ctx.dataSource) || ctx.inTransaction) return this.readOrInsert(ctx, day);
    return ctx.transaction((tx) => this.readOrInsert(tx, day));
  }

  private async readOrInsert(ctx: RequestContext, day: LocalDay): Promise<Buffer> {
    const repo = ctx.manager.getRepository(DailySaltEntity);
    const existing = await repo.findOneBy({ day });
    if (existing) return Buffer.from(existing.salt, "hex");
    const salt = randomBytes(32);
    try {
      await repo.insert({ day, salt: salt.toString("hex"), createdAt: ctx.clock.now() });
      return salt;
    } catch (error) {
      // Another process created it between our read and our write: use theirs.
      const winner = await repo.findOneBy({ day });
      if (winner) return Buffer.from(winner.salt, "hex");
      throw error;
    }
  }

  private remember(day: LocalDay, salt: Buffer): void {
    this.cache.set(day, salt);
    if (this.cache.size <= CACHED_DAYS) return;
    const oldest = [...this.cache.keys()].sort().slice(0, this.cache.size - CACHED_DAYS);
    for (const old of oldest) this.cache.delete(old);
  }
}
