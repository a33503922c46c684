import { isDuplicateKeyError, type Clock, type SharedRedis } from "@honour/platform";
import { LessThan, type DataSource } from "typeorm";
import { UsedCardTokenEntity } from "./used-card-token.entity";

/**
 * Where the demo provider remembers the browser-made card tokens it has charged, until they
 * expire: a token is charged once, whichever gateway (or worker) is asked. Keys are SHA-256s of
 * tokens; nothing of a card is kept.
 */
export interface UsedCardTokens {
  /** Marks the token as used until `until`; false when it was used already (by any process). */
  claim(tokenHash: string, until: Date): Promise<boolean>;
}

/** In this process's memory: one process only (the provider's default outside the apps). */
export class InProcessUsedCardTokens implements UsedCardTokens {
  private readonly used = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  async claim(tokenHash: string, until: Date): Promise<boolean> {
    const now = this.clock.now().getTime();
    for (const [hash, end] of this.used) if (end < now) this.used.delete(hash);
    if (this.used.has(tokenHash)) return false;
    this.used.set(tokenHash, until.getTime());
    return true;
  }
}

/** How often the database store deletes expired rows (on a claim, at most this often per process). */
const PURGE_EVERY_MS = 60_000;

/**
 * In the `used_card_token` table: every gateway on the database sees every claim; the primary key
 * makes two concurrent claims of one token end with one row and one `true`. Written outside the
 * order's transaction on MariaDB/MySQL (its own pool connection), as a provider's record would be:
 * a charged token stays used even if the order then rolls back. Expired rows are deleted on the way.
 */
export class DatabaseUsedCardTokens implements UsedCardTokens {
  private purgedAt = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async claim(tokenHash: string, until: Date): Promise<boolean> {
    const now = this.clock.now();
    const repository = this.dataSource.getRepository(UsedCardTokenEntity);
    if (now.getTime() - this.purgedAt >= PURGE_EVERY_MS) {
      this.purgedAt = now.getTime();
      await repository.delete({ expiresAt: LessThan(now) });
    }
    try {
      await repository.insert({ tokenHash, expiresAt: until });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }
}

/**
 * In the shared-state Redis (`REDIS_URL`, docs/scaling.md): one `SET … NX PXAT` per claim, so
 * every gateway sees every claim; the key expires with the token.
 */
export class RedisUsedCardTokens implements UsedCardTokens {
  constructor(private readonly redis: SharedRedis) {}

  async claim(tokenHash: string, until: Date): Promise<boolean> {
    const answer = await this.redis.run((client, prefix) =>
      client.call("SET", `${prefix}used-card-token:${tokenHash}`, "1", "PXAT", String(until.getTime()), "NX"),
    );
    return answer === "OK";
  }
}
