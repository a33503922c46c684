import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger";
import { ServiceUnavailableException } from "../errors/domain.exception";

/** How long a command of the shared state may take before the request is answered 503. */
const COMMAND_TIMEOUT_MS = 1_000;

/**
 * One Redis connection per process for the state every gateway must share when `REDIS_URL` is
 * set: sign-in throttle counters, rate-limit buckets, refused partner keys (docs/scaling.md,
 * "Shared state"). The queue keeps connections of its own (BullMQ blocks on some).
 *
 * ioredis is loaded, and the connection made, on first use: only sites with `REDIS_URL` need it.
 * A command that fails or takes longer than a second throws `SERVICE_UNAVAILABLE` (503 with
 * `Retry-After`), as a lost database does; `/readyz` already takes such a gateway out.
 */
export class SharedRedis {
  private connection: Redis | null = null;
  private readonly shas = new Map<string, string>();

  constructor(
    private readonly url: string,
    private readonly logger?: Logger,
    /** Prefix of every key; apart from BullMQ's (`honour:<job name>:…`). */
    readonly prefix = "honour:state:",
  ) {}

  /** The connection, made on first use. */
  client(): Redis {
    if (!this.connection) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Redis: RedisClient } = require("ioredis") as typeof import("ioredis");
      const connection = new RedisClient(this.url, {
        connectionName: "honour-shared-state",
        maxRetriesPerRequest: 1,
        retryStrategy: (times) => Math.min(times * 100, 2000),
      });
      connection.on("error", (err) =>
        this.logger?.debug({ event: "redis.error", err }, "shared-state Redis connection error"),
      );
      this.connection = connection;
    }
    return this.connection;
  }

  /**
   * Runs a Lua script (EVALSHA, loading it on first use) on `keys` with `args`. Throws
   * `SERVICE_UNAVAILABLE` when Redis does not answer.
   */
  async script(lua: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    const client = this.client();
    let sha = this.shas.get(lua);
    if (!sha) this.shas.set(lua, (sha = createHash("sha1").update(lua).digest("hex")));
    const params: [number, ...(string | number)[]] = [keys.length, ...keys.map((k) => this.prefix + k), ...args];
    try {
      try {
        return await withTimeout(client.evalsha(sha, ...params));
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
        return await withTimeout(client.eval(lua, ...params));
      }
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** Runs one command; throws `SERVICE_UNAVAILABLE` when Redis does not answer. */
  async run<T>(command: (client: Redis, prefix: string) => Promise<T>): Promise<T> {
    try {
      return await withTimeout(command(this.client(), this.prefix));
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** Closes the connection, if one was made. */
  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (!connection) return;
    if (connection.status !== "ready") {
      connection.disconnect(); // reconnecting or never connected: nothing to wait for
      return;
    }
    try {
      await connection.quit();
    } catch {
      connection.disconnect();
    }
  }

  private unavailable(err: unknown): ServiceUnavailableException {
    this.logger?.warn({ event: "redis.unavailable", err }, "shared-state Redis did not answer");
    return new ServiceUnavailableException();
  }
}

/**
 * `work`, or a rejection after {@link COMMAND_TIMEOUT_MS}. The timer is unref'd and cleared (ioredis's
 * own `commandTimeout` leaves a timer per command that holds the process up at exit).
 */
function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("Redis command timed out")), COMMAND_TIMEOUT_MS);
    timer.unref();
  });
  work.catch(() => undefined); // a late failure after the timeout is no unhandled rejection
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
