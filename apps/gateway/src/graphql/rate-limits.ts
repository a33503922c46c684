import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import { GraphQLError } from "graphql";
import { RateLimitedException, type IntegrationsConfig } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import type { BucketPolicy, BucketState, RateLimitStore } from "./rate-limit-store";

/** Who a bucket belongs to: a partner's API key, or a client IP of the site. */
export type RateLimitSubject = { kind: "partner"; partnerId: string; apiKeyId: string } | { kind: "site"; ip: string };

/** A partner's own limits, set by ADMIN (`setPartnerRateLimit`); null keeps the configured one. */
export interface RateLimitOverride {
  operations: number | null;
  cost: number | null;
}

/** What the limiter tells the metrics about each partner operation. */
export interface PartnerUsage {
  operation(partnerId: string, cost: number): void;
  refused(partnerId: string, policy: string): void;
}

/** A partner's override is read at most this often per gateway (an ADMIN change shows within it). */
const OVERRIDE_TTL_MS = 10_000;

/** The bucket's state after this request, per policy, for the response headers. */
type Reading = { policy: BucketPolicy; state: BucketState };

/** The draft's `RateLimit-Policy`: `"operations";q=600;w=60, "cost";q=100000;w=60`. */
export function rateLimitPolicyHeader(readings: readonly Reading[]): string {
  return readings.map(({ policy }) => `"${policy.name}";q=${policy.quota};w=${policy.windowSeconds}`).join(", ");
}

/** The draft's `RateLimit`: `"operations";r=599;t=1, "cost";r=99880;t=1`. */
export function rateLimitHeader(readings: readonly Reading[]): string {
  return readings
    .map(({ policy, state }) => `"${policy.name}";r=${state.remaining};t=${state.resetSeconds}`)
    .join(", ");
}

/**
 * `RateLimit` and `RateLimit-Policy` of one bucket (and `extra` headers), for answers given before
 * Apollo runs: a refused partner key's 401 and an IP's 429 name the bucket of refused keys.
 */
export function rateLimitHeaders(
  policy: BucketPolicy,
  state: BucketState,
  extra: [string, string][] = [],
): Map<string, string> {
  const readings = [{ policy, state }];
  return new Map([
    ["ratelimit-policy", rateLimitPolicyHeader(readings)],
    ["ratelimit", rateLimitHeader(readings)],
    ...extra,
  ]);
}

/**
 * Token buckets on operations and on query cost, per partner API key and per site client IP
 * (draft-ietf-httpapi-ratelimit-headers): an operation takes one token of `operations` and its
 * estimated cost (query-limits.ts) from `cost`; a refusal answers HTTP 429 `RATE_LIMITED` with
 * `Retry-After`, and every answer carries `RateLimit` and `RateLimit-Policy`. The limits are
 * configuration; ADMIN may set a partner's own (read at most every 10 s per gateway).
 */
export class GatewayRateLimits {
  private readonly overrides = new Map<string, { value: RateLimitOverride | null; until: number }>();

  constructor(
    private readonly store: RateLimitStore,
    private readonly config: IntegrationsConfig["rateLimits"],
    private readonly overrideOf: (partnerId: string) => Promise<RateLimitOverride | null>,
    private readonly usage?: PartnerUsage,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The buckets that apply to a subject; none when both limits are 0 (off). */
  async policies(subject: RateLimitSubject): Promise<BucketPolicy[]> {
    let { operations, cost } = subject.kind === "partner" ? this.config.partner : this.config.site;
    if (subject.kind === "partner") {
      const override = await this.override(subject.partnerId);
      operations = override?.operations ?? operations;
      cost = override?.cost ?? cost;
    }
    const w = this.config.windowSeconds;
    const policies: BucketPolicy[] = [];
    if (operations > 0) policies.push({ name: "operations", quota: operations, windowSeconds: w });
    if (cost > 0) policies.push({ name: "cost", quota: cost, windowSeconds: w });
    return policies;
  }

  private async override(partnerId: string): Promise<RateLimitOverride | null> {
    const cached = this.overrides.get(partnerId);
    if (cached && cached.until > this.now()) return cached.value;
    const value = await this.overrideOf(partnerId);
    this.overrides.set(partnerId, { value, until: this.now() + OVERRIDE_TTL_MS });
    return value;
  }

  /**
   * Takes one operation and its cost from the subject's buckets. Throws `RATE_LIMITED` (HTTP 429,
   * `retryAfterSeconds`) when a bucket lacks them; the operation bucket is not charged then.
   */
  async charge(subject: RateLimitSubject, cost: number): Promise<Reading[]> {
    const policies = await this.policies(subject);
    const key = keyOf(subject);
    const readings: Reading[] = [];
    // Operations first: an operation refused for its cost still counts as one attempt.
    for (const policy of policies) {
      const amount = policy.name === "cost" ? cost : 1;
      const state = await this.store.take(key, policy, amount);
      readings.push({ policy, state });
      if (!state.allowed) {
        if (subject.kind === "partner") this.usage?.refused(subject.partnerId, policy.name);
        throw rateLimited(policy, state, policies.length > 1 ? await this.read(subject, policies) : readings);
      }
    }
    if (subject.kind === "partner") this.usage?.operation(subject.partnerId, cost);
    return readings;
  }

  /** The subject's buckets as they are, without taking anything. */
  async read(subject: RateLimitSubject, policies?: BucketPolicy[]): Promise<Reading[]> {
    const key = keyOf(subject);
    const list = policies ?? (await this.policies(subject));
    return Promise.all(list.map(async (policy) => ({ policy, state: await this.store.take(key, policy, 0) })));
  }
}

function keyOf(subject: RateLimitSubject): string {
  return subject.kind === "partner" ? `key:${subject.apiKeyId}` : `ip:${subject.ip}`;
}

/** The readings a refusal carries to the response headers. */
const refusedReadings = new WeakMap<GraphQLError, Reading[]>();

function rateLimited(policy: BucketPolicy, state: BucketState, readings: Reading[]): GraphQLError {
  const cause = new RateLimitedException(
    policy.name === "cost"
      ? `This operation would go over the query cost allowed per ${policy.windowSeconds} s (${policy.quota}).`
      : `Too many operations: at most ${policy.quota} per ${policy.windowSeconds} s.`,
    state.retryAfterSeconds,
  );
  const error = new GraphQLError(cause.message, {
    originalError: cause,
    extensions: { code: "RATE_LIMITED", http: { status: 429 } },
  });
  refusedReadings.set(error, readings);
  return error;
}

/** The subject of a request: its partner key, or else the client's IP (people and anonymous callers). */
export function subjectOf(context: GraphQLContext): RateLimitSubject | null {
  const actor = context.ctx.actor;
  if (actor.kind === "partner") return { kind: "partner", partnerId: actor.partnerId, apiKeyId: actor.apiKeyId };
  const ip = context.ctx.ip;
  return ip ? { kind: "site", ip } : null;
}

/**
 * The Apollo side: `charge` is given to the cost limit (complexityLimitPlugin), which knows each
 * operation's cost; this plugin writes `RateLimit` and `RateLimit-Policy` on every answer, from
 * what the charge saw or, for a request that never got that far (a parse error), a reading.
 */
export function rateLimitPlugin(limits: GatewayRateLimits): {
  plugin: ApolloServerPlugin<GraphQLContext>;
  charge: (requestContext: GraphQLRequestContext<GraphQLContext>, cost: number) => Promise<void>;
} {
  const seen = new WeakMap<GraphQLContext, Reading[]>();
  return {
    charge: async ({ contextValue }, cost) => {
      const subject = subjectOf(contextValue);
      if (!subject) return;
      try {
        seen.set(contextValue, await limits.charge(subject, cost));
      } catch (error) {
        if (error instanceof GraphQLError) seen.set(contextValue, refusedReadings.get(error) ?? []);
        throw error;
      }
    },
    plugin: {
      async requestDidStart() {
        return {
          async willSendResponse({ contextValue, response }) {
            let readings = seen.get(contextValue);
            if (!readings) {
              const subject = subjectOf(contextValue);
              readings = subject ? await limits.read(subject) : [];
            }
            if (readings.length === 0) return;
            response.http.headers.set("ratelimit-policy", rateLimitPolicyHeader(readings));
            response.http.headers.set("ratelimit", rateLimitHeader(readings));
          },
        };
      },
    },
  };
}
