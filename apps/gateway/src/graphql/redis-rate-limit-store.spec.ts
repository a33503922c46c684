import { SharedRedis } from "@honour/platform";
import { redisTestsRun, startRedisServer, waitFor, type TestRedisServer } from "@honour/testing";
import { InProcessRateLimitStore } from "./rate-limit-store";
import { RedisRateLimitStore } from "./redis-rate-limit-store";

const OPS = { name: "operations", quota: 3, windowSeconds: 60 };

/** Two gateways' stores, each with its own connection to one redis-server, on one clock. */
(redisTestsRun() ? describe : describe.skip)("the token buckets in Redis, shared by two gateways", () => {
  let redis: TestRedisServer;
  let connections: SharedRedis[];
  let now = 0;
  let gateways: RedisRateLimitStore[];

  beforeAll(async () => {
    redis = await startRedisServer();
    connections = [new SharedRedis(redis.url), new SharedRedis(redis.url)];
    gateways = connections.map((c) => new RedisRateLimitStore(c, () => now));
  });
  afterAll(async () => {
    for (const c of connections ?? []) await c.close();
    await redis?.stop();
  });
  beforeEach(async () => {
    now = 1_000_000;
    await connections[0]!.run((client) => client.flushdb());
  });

  it("answers exactly as the in-process store does, take after take", async () => {
    const local = new InProcessRateLimitStore(() => now);
    const steps: [number, number][] = [
      [0, 1],
      [0, 2],
      [0, 1],
      [19_999, 1],
      [1, 1],
      [5_000, 0],
      [600_000, 0],
      [0, 4],
      [0, 3],
      [30_000, 2],
    ];
    for (const [wait, amount] of steps) {
      now += wait;
      expect(await gateways[0]!.take("a", OPS, amount)).toEqual(await local.take("a", OPS, amount));
    }
  });

  it("takes from one bucket whichever gateway is asked, and refuses on both once it is empty", async () => {
    for (let i = 0; i < 3; i++) expect((await gateways[i % 2]!.take("ip:203.0.113.9", OPS, 1)).allowed).toBe(true);
    for (const gateway of gateways) {
      expect(await gateway.take("ip:203.0.113.9", OPS, 1)).toEqual({
        allowed: false,
        remaining: 0,
        resetSeconds: 60,
        retryAfterSeconds: 20,
      });
    }
    // Another key, another policy: buckets of their own.
    expect((await gateways[1]!.take("ip:198.51.100.1", OPS, 3)).allowed).toBe(true);
    expect((await gateways[1]!.take("ip:203.0.113.9", { ...OPS, name: "cost" }, 3)).allowed).toBe(true);
    now += 20_000;
    expect((await gateways[1]!.take("ip:203.0.113.9", OPS, 1)).allowed).toBe(true);
  });

  it("lets exactly the quota through a concurrent burst on both gateways", async () => {
    const policy = { name: "operations", quota: 50, windowSeconds: 60 };
    const states = await Promise.all(Array.from({ length: 300 }, (_, i) => gateways[i % 2]!.take("key:k1", policy, 1)));
    expect(states.filter((s) => s.allowed)).toHaveLength(50);
  });

  it("forgets a bucket (full again) a window after its last take", async () => {
    await gateways[0]!.take("a", OPS, 3);
    const ttl = await connections[0]!.run((client, prefix) => client.pttl(`${prefix}rate-limit:operations:a`));
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("answers SERVICE_UNAVAILABLE while Redis is down", async () => {
    await redis.kill();
    try {
      await expect(gateways[0]!.take("a", OPS, 1)).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    } finally {
      await redis.restart();
    }
    // Both connections find the new server by themselves.
    for (const gateway of gateways) {
      await waitFor(
        () =>
          gateway.take("a", OPS, 1).then(
            (s) => s.allowed,
            () => false,
          ),
        10_000,
      );
    }
  });
});
