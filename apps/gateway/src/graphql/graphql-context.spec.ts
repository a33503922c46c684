import type { FastifyReply, FastifyRequest } from "fastify";
import type { GraphQLError } from "graphql";
import type { DataSource } from "typeorm";
import type { AppServices } from "@honour/composition";
import { systemClock, UnauthenticatedException, type Actor, type RequestContext } from "@honour/platform";
import { createGraphQLContext } from "./graphql-context";
import { InProcessRateLimitStore, type BucketPolicy, type BucketState } from "./rate-limit-store";

const GOOD_KEY = "hpk_0123456789ab_" + "A".repeat(43);

/** The in-process store, counting what the context asks of it. */
class CountingStore extends InProcessRateLimitStore {
  readonly takes: number[] = [];

  override take(key: string, policy: BucketPolicy, amount: number): Promise<BucketState> {
    this.takes.push(amount);
    return super.take(key, policy, amount);
  }
}

/**
 * The partner branch of the GraphQL context: the refused-key throttle per IP. The key check stands
 * in for orders' `resolveApiKey` with its contract: a good key gives a partner, any other asks
 * `recordRejection` whether to log and throws UNAUTHENTICATED.
 */
describe("GraphQL context: partner keys and the refused-key throttle", () => {
  const logged: string[] = [];
  const partnerKeys = {
    async resolveApiKey(
      _ctx: RequestContext,
      key: string,
      options: { recordRejection?: boolean | (() => Promise<boolean>) } = {},
    ): Promise<Actor> {
      if (key === GOOD_KEY) return { kind: "partner", partnerId: "p1", apiKeyId: "k1" };
      const record = options.recordRejection ?? true;
      if (typeof record === "function" ? await record() : record) logged.push(key);
      throw new UnauthenticatedException("The API key is not valid.");
    },
  };

  const setUp = (perIp: number) => {
    const store = new CountingStore();
    const context = createGraphQLContext({
      dataSource: { manager: {} } as unknown as DataSource,
      clock: systemClock,
      services: { partnerKeys } as unknown as AppServices,
      cookieSecure: false,
      rejections: { store, perIp },
    });
    const call = (key: string) =>
      context(
        {
          ip: "192.0.2.1",
          id: "req-1",
          headers: { authorization: `Bearer ${key}` },
          cookies: {},
        } as unknown as FastifyRequest,
        {} as FastifyReply,
      );
    return { store, call };
  };

  beforeEach(() => (logged.length = 0));

  it("costs a working key no read of the IP's bucket", async () => {
    const { store, call } = setUp(10);
    for (let i = 0; i < 3; i += 1) {
      const context = await call(GOOD_KEY);
      expect(context.ctx.actor).toEqual({ kind: "partner", partnerId: "p1", apiKeyId: "k1" });
    }
    expect(store.takes).toEqual([]);
  });

  it("reads the bucket once a key is refused, logs it, and counts it against the IP", async () => {
    const { store, call } = setUp(10);
    const refused = (await call("wrong").catch((e: unknown) => e)) as GraphQLError;
    expect(refused.extensions.code).toBe("UNAUTHENTICATED");
    const http = refused.extensions.http as { status: number; headers: Map<string, string> };
    expect(http.status).toBe(401);
    expect(http.headers.get("ratelimit")).toMatch(/^"partner-key-rejections";r=9;t=\d+$/);
    expect(http.headers.get("www-authenticate")).toBe("Bearer");
    // One read (amount 0) to decide whether to log, one take for the refusal: never more.
    expect(store.takes).toEqual([0, 1]);
    expect(logged).toEqual(["wrong"]);
  });

  it("answers 429 past the allowance without logging, while a good key from the IP still works", async () => {
    const { call } = setUp(2);
    for (const key of ["one", "two"])
      await expect(call(key)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
    const throttled = (await call("three").catch((e: unknown) => e)) as GraphQLError;
    expect(throttled.extensions.code).toBe("RATE_LIMITED");
    expect((throttled.extensions.http as { status: number }).status).toBe(429);
    expect(logged).toEqual(["one", "two"]);
    expect((await call(GOOD_KEY)).ctx.actor.kind).toBe("partner");
  });
});
