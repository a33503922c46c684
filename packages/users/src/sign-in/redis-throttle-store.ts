import type { RequestContext, SharedRedis } from "@honour/platform";
import type { ThrottleRecord, ThrottleStore } from "./throttle-store";

/**
 * A key lives this long after its last change (longer than any policy's `forgetAfterMs`, 12 h), so
 * Redis forgets stale keys by itself and {@link RedisThrottleStore.deleteStale} has nothing to do.
 */
const KEY_TTL_MS = 24 * 60 * 60 * 1000;

// One hash per throttle key: failures, last (ms of the last failure), pending, pendingAt (ms).

/** KEYS[1]; ARGV: forgetBefore. Answers {failures, last}, forgetting failures at or before forgetBefore. */
const READ = `
local f = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '')
if f == 0 or last == nil then return {0, ''} end
if last <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'failures', 0)
  redis.call('HDEL', KEYS[1], 'last')
  return {0, ''}
end
return {f, tostring(last)}
`;

/** KEYS[1]; ARGV: seen, freeFailures, now, staleBefore, ttl. 1 when admitted. */
const ADMIT = `
local f = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if f ~= tonumber(ARGV[1]) then return 0 end
local pending = tonumber(redis.call('HGET', KEYS[1], 'pending') or '0')
local at = tonumber(redis.call('HGET', KEYS[1], 'pendingAt') or '')
if at == nil or at <= tonumber(ARGV[4]) then pending = 0 end
local limit = tonumber(ARGV[2]) - f
if limit < 1 then limit = 1 end
if pending >= limit then return 0 end
redis.call('HSET', KEYS[1], 'failures', f, 'pending', pending + 1, 'pendingAt', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/** KEYS[1]; ARGV: outcome (failed|cleared|none), now, ttl. */
const SETTLE = `
local pending = tonumber(redis.call('HGET', KEYS[1], 'pending') or '0')
if pending > 0 then pending = pending - 1 end
redis.call('HSET', KEYS[1], 'pending', pending)
if ARGV[1] == 'failed' then
  redis.call('HINCRBY', KEYS[1], 'failures', 1)
  redis.call('HSET', KEYS[1], 'last', ARGV[2])
elseif ARGV[1] == 'cleared' then
  redis.call('HSET', KEYS[1], 'failures', 0)
  redis.call('HDEL', KEYS[1], 'last')
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/**
 * {@link ThrottleStore} in Redis, used when `REDIS_URL` is set: one hash per key, each method one
 * Lua script (atomic in Redis), so concurrent checks on any number of gateways count exactly, as
 * the database store's conditional updates do. Times are the callers' clocks (keep gateways on
 * NTP). Keys expire a day after their last change; the keys are HMACs, nothing personal.
 */
export class RedisThrottleStore implements ThrottleStore {
  constructor(private readonly redis: SharedRedis) {}

  async read(_ctx: RequestContext, key: string, forgetBefore: Date): Promise<ThrottleRecord> {
    const [failures, last] = (await this.redis.script(READ, [this.key(key)], [forgetBefore.getTime()])) as [
      number,
      string,
    ];
    if (!failures || !last) return { failures: 0, lastFailureAt: null };
    return { failures: Number(failures), lastFailureAt: new Date(Number(last)) };
  }

  async admit(
    _ctx: RequestContext,
    key: string,
    seen: number,
    freeFailures: number,
    now: Date,
    staleBefore: Date,
  ): Promise<boolean> {
    const admitted = await this.redis.script(
      ADMIT,
      [this.key(key)],
      [seen, freeFailures, now.getTime(), staleBefore.getTime(), KEY_TTL_MS],
    );
    return admitted === 1;
  }

  async settle(_ctx: RequestContext, key: string, outcome: "failed" | "cleared" | "none", now: Date): Promise<void> {
    await this.redis.script(SETTLE, [this.key(key)], [outcome, now.getTime(), KEY_TTL_MS]);
  }

  async clear(_ctx: RequestContext, key: string): Promise<void> {
    await this.redis.run((client, prefix) => client.del(prefix + this.key(key)));
  }

  /** Redis expires keys by itself (a day after their last change): nothing to delete. */
  async deleteStale(): Promise<number> {
    return 0;
  }

  private key(key: string): string {
    return `sign-in-throttle:${key}`;
  }
}
