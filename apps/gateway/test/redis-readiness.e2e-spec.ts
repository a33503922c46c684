import { JobEntity, JobOutboxEntity, RedisJobQueue, systemClock } from "@honour/platform";
import { redisTestsRun, startRedisServer, waitFor, type TestRedisServer } from "@honour/testing";
import { REGISTER, newRegistration, startTestGateway, type TestGateway } from "./support/test-gateway";

/** A gateway with REDIS_URL set: jobs go to BullMQ, and /readyz answers for Redis too. SQLite only. */
(redisTestsRun() ? describe : describe.skip)("gateway with REDIS_URL", () => {
  let redis: TestRedisServer;
  let t: TestGateway;

  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startTestGateway("sqlite", { REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  const readiness = async () => {
    const response = await t.client().fetch("/readyz");
    return { status: response.status, body: (await response.json()) as unknown };
  };

  it("hands the jobs a request enqueues to BullMQ, under their rows' ids, once its transaction commits", async () => {
    await t.client().ok(REGISTER, { input: newRegistration() });
    const rows = await t.gateway.dataSource.manager.find(JobEntity);
    expect(rows.length).toBeGreaterThan(0);
    expect(await t.gateway.dataSource.manager.count(JobOutboxEntity)).toBe(0);
    const queue = new RedisJobQueue(t.gateway.dataSource, systemClock, redis.url);
    try {
      for (const row of rows) expect((await queue.queue(row.name).getJob(row.id))?.id).toBe(row.id);
    } finally {
      await queue.close();
    }
  });

  it("is ready while Redis answers, 503 while it is down, and ready again once it is back", async () => {
    expect(await readiness()).toEqual({ status: 200, body: { status: "ready" } });
    await redis.kill();
    expect(await readiness()).toEqual({ status: 503, body: { status: "redis unreachable" } });
    await redis.restart();
    await waitFor(async () => (await readiness()).status === 200, 10_000, 100);
  });
});
