/**
 * A token bucket's shape: it holds at most `quota` tokens and refills at `quota` per `windowSeconds`,
 * evenly. As the IETF draft's `RateLimit-Policy` advertises it: `"<name>";q=<quota>;w=<window>`.
 */
export interface BucketPolicy {
  /** The policy's name in the `RateLimit` and `RateLimit-Policy` headers (`operations`, `cost`). */
  name: string;
  quota: number;
  windowSeconds: number;
}

/** A bucket after a `take`. */
export interface BucketState {
  /** Whether the tokens asked for were taken (false: none were). */
  allowed: boolean;
  /** Whole tokens left. */
  remaining: number;
  /** Seconds until the bucket is full again (the draft's `t`). */
  resetSeconds: number;
  /** When refused: seconds until the tokens asked for will be there (`Retry-After`); else 0. */
  retryAfterSeconds: number;
}

/**
 * Where the buckets live. One interface, so that the gateways behind one load balancer can share
 * their buckets in Redis once the scale-out work lands; {@link InProcessRateLimitStore} until then.
 */
export interface RateLimitStore {
  /**
   * Takes `amount` tokens from the bucket `key` (made full on first use) if it holds them all;
   * `amount` 0 only reads it. Never partly takes.
   */
  take(key: string, policy: BucketPolicy, amount: number): Promise<BucketState>;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Buckets in this process's memory: exact for one gateway, per instance behind a load balancer.
 * Holds at most `maxKeys` buckets; the least recently used go first (a forgotten bucket is full,
 * which only forgives a client that has been quiet the longest).
 */
export class InProcessRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly maxKeys = 100_000,
  ) {}

  async take(key: string, policy: BucketPolicy, amount: number): Promise<BucketState> {
    const now = this.now();
    const rate = policy.quota / (policy.windowSeconds * 1000); // tokens per millisecond
    const id = `${policy.name}\u0000${key}`;
    const found = this.buckets.get(id);
    const bucket = found ?? { tokens: policy.quota, at: now };
    bucket.tokens = Math.min(policy.quota, bucket.tokens + Math.max(0, now - bucket.at) * rate);
    bucket.at = now;
    const allowed = bucket.tokens >= amount;
    if (allowed) bucket.tokens -= amount;
    // Re-inserting keeps the Map in least-recently-used order.
    if (found) this.buckets.delete(id);
    this.buckets.set(id, bucket);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return {
      allowed,
      remaining: Math.max(0, Math.floor(bucket.tokens)),
      resetSeconds: Math.ceil((policy.quota - bucket.tokens) / rate / 1000),
      retryAfterSeconds: allowed
        ? 0
        : amount > policy.quota
          ? policy.windowSeconds
          : Math.max(1, Math.ceil((amount - bucket.tokens) / rate / 1000)),
    };
  }
}
