import type { SharedRedis } from "@honour/platform";
import type { BucketPolicy, BucketState, RateLimitStore } from "./rate-limit-store";

/**
 * The token bucket in one Lua script (atomic in Redis). KEYS[1]; ARGV: quota, window (ms), amount,
 * now (ms). Answers {allowed (0|1), tokens left (as a string: Redis would truncate a number)}.
 * A bucket not seen for a window is full, so the key expires a window after its last take.
 */
const TAKE = `
local quota = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local amount = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local rate = quota / window
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or '')
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '')
if tokens == nil or at == nil then tokens = quota; at = now end
local elapsed = now - at
if elapsed < 0 then elapsed = 0 end
tokens = math.min(quota, tokens + elapsed * rate)
local allowed = 0
if tokens >= amount then allowed = 1 end
if amount > 0 then
  if allowed == 1 then tokens = tokens - amount end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
  redis.call('PEXPIRE', KEYS[1], math.ceil(window))
end
return {allowed, tostring(tokens)}
`;

/**
 * {@link RateLimitStore} in Redis, used when `REDIS_URL` is set, so every gateway behind the load
 * balancer takes from the same buckets (rate limits and refused partner keys alike). Same
 * arithmetic as {@link InProcessRateLimitStore}; time is the calling gateway's clock.
 */
export class RedisRateLimitStore implements RateLimitStore {
  constructor(
    private readonly redis: SharedRedis,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async take(key: string, policy: BucketPolicy, amount: number): Promise<BucketState> {
    const windowMs = policy.windowSeconds * 1000;
    const [allowedFlag, left] = (await this.redis.script(
      TAKE,
      [`rate-limit:${policy.name}:${key}`],
      [policy.quota, windowMs, amount, this.now()],
    )) as [number, string];
    const tokens = Number(left);
    const rate = policy.quota / windowMs; // tokens per millisecond
    const allowed = allowedFlag === 1;
    return {
      allowed,
      remaining: Math.max(0, Math.floor(tokens)),
      resetSeconds: Math.ceil((policy.quota - tokens) / rate / 1000),
      retryAfterSeconds: allowed
        ? 0
        : amount > policy.quota
          ? policy.windowSeconds
          : Math.max(1, Math.ceil((amount - tokens) / rate / 1000)),
    };
  }
}
