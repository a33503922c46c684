import { freePort, openTestDataSource, testDatabaseKinds, type TestDataSource } from "@honour/testing";
import { Queue } from "bullmq";
import {
  JobEntity,
  JobOutboxEntity,
  JobStatus,
  platformModule,
  RedisJobQueue,
  systemClock,
  type ScheduleDefinition,
} from "../src";
import { findJob, sleep, systemContext, waitFor } from "./job-fixtures";
import { CONTRACT_TIMING, describeQueue, jobQueueContract, queueMaker, withRedis } from "./job-queue.contract";

jobQueueContract("redis");

/** What only the Redis queue has: the outbox and its relay, job schedulers, Redis going away. */
describeQueue("redis").each(testDatabaseKinds())("RedisJobQueue on %s", (kind) => {
  let db: TestDataSource;
  const maker = queueMaker("redis");
  withRedis(maker, "redis");
  let queue: RedisJobQueue;

  beforeAll(async () => {
    db = await openTestDataSource(kind, [platformModule]);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.dataSource.getRepository(JobEntity).clear();
    await db.dataSource.getRepository(JobOutboxEntity).clear();
    maker.newPrefix();
    queue = maker.make(db.dataSource) as RedisJobQueue;
  });
  afterEach(() => maker.close());

  const ctx = () => systemContext(db.dataSource, systemClock);
  const outboxRows = () => db.dataSource.manager.count(JobOutboxEntity);

  it("hands a committed job to BullMQ under its row's id and empties the outbox", async () => {
    const id = await ctx().transaction((tx) => queue.enqueue(tx, "mail.send", { n: 1 }));
    expect(await outboxRows()).toBe(0);
    const bull = await queue.queue("mail.send").getJob(id!);
    expect(bull?.id).toBe(id);
    // Nothing personal in Redis: the payload stays in the job row.
    expect(bull?.data).toEqual({});
    expect(await queue.claim("w1", ["mail.send"])).toMatchObject({ id, payload: { n: 1 } });
  });

  it("keeps the outbox row while Redis is unreachable, and a worker's relay delivers it later", async () => {
    const deadPort = await freePort();
    const cut = new RedisJobQueue(db.dataSource, systemClock, `redis://127.0.0.1:${deadPort}`, {
      prefix: "unreachable",
      relayAfterMs: 0,
    });
    let id: string | null;
    try {
      const started = Date.now();
      id = await ctx().transaction((tx) => cut.enqueue(tx, "mail.send", {}));
      // The request did not wait for Redis.
      expect(Date.now() - started).toBeLessThan(3000);
      await expect(cut.ping()).rejects.toThrow(Error);
    } finally {
      await cut.close();
    }
    expect(await outboxRows()).toBe(1);
    expect(await findJob(db.dataSource, id!)).toMatchObject({ status: JobStatus.PENDING });
    expect(await queue.claim("w1", ["mail.send"])).toBeNull();

    await queue.maintain();
    expect(await outboxRows()).toBe(0);
    expect((await queue.claim("w1", ["mail.send"]))?.id).toBe(id);
  });

  it("relays an outbox row twice into one BullMQ job, run once", async () => {
    const id = await queue.enqueue(ctx(), "mail.send", {});
    // As if the process died after BullMQ took the job but before the outbox row was deleted.
    const row = Object.assign(new JobOutboxEntity(), {
      id,
      name: "mail.send",
      runAt: new Date(),
      createdAt: new Date(0),
    });
    await db.dataSource.manager.insert(JobOutboxEntity, row);
    expect(await queue.relayPending(0)).toBeGreaterThanOrEqual(1);
    expect(await outboxRows()).toBe(0);
    expect(await queue.queue("mail.send").getJobCountByTypes("wait", "active", "delayed")).toBe(1);
    const job = await queue.claim("w1", ["mail.send"]);
    await queue.complete(job!.id, "w1");

    // Relayed again after it ran: BullMQ holds a copy, which is dropped because its row is DONE.
    await db.dataSource.manager.insert(JobOutboxEntity, row);
    await queue.relayPending(0);
    expect(await queue.claim("w2", ["mail.send"])).toBeNull();
    expect(await findJob(db.dataSource, id!)).toMatchObject({ status: JobStatus.DONE, attempts: 1 });
  });

  it("drops a BullMQ job whose row was erased before it ran", async () => {
    const id = await queue.enqueue(ctx(), "mail.send", { address: "ada@example.com" });
    await db.dataSource.manager.delete(JobEntity, { id });
    expect(await queue.claim("w1", ["mail.send"])).toBeNull();
    expect(await queue.queue("mail.send").getJobCountByTypes("wait", "active", "delayed")).toBe(0);
  });

  it("runs schedules as BullMQ job schedulers, one job row per period, whichever queue claims it", async () => {
    const schedules: ScheduleDefinition[] = [{ job: "stats.rollup", everyMs: 3_600_000, payload: { scope: "hourly" } }];
    const other = maker.make(db.dataSource) as RedisJobQueue;
    await queue.schedule(schedules);
    await other.schedule(schedules);
    const schedulers = await queue.queue("stats.rollup").getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.every])).toEqual([["schedule:stats.rollup", 3_600_000]]);

    const job = await waitFor(() => other.claim("w1", ["stats.rollup"]));
    expect(job).toMatchObject({ name: "stats.rollup", payload: { scope: "hourly" }, attempt: 1, maxAttempts: 3 });
    const row = await findJob(db.dataSource, job.id);
    expect(row.uniqueKey).toBe(`schedule:stats.rollup:${Math.floor(Date.now() / 3_600_000)}`);
    await other.complete(job.id, "w1");
    expect(await queue.claim("w2", ["stats.rollup"])).toBeNull();
    expect(await db.dataSource.manager.countBy(JobEntity, { name: "stats.rollup" })).toBe(1);
  });

  it("loses no job when Redis restarts empty: the relay queues the database's pending and running jobs again", async () => {
    await queue.maintain(); // the epoch Redis keeps while it keeps its data
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await queue.enqueue(ctx(), "mail.send", { i }))!);
    const running = await queue.claim("w1", ["mail.send"]);
    expect(running?.id).toBe(ids[0]);

    await maker.redis!.restart();
    await waitFor(async () => {
      try {
        await queue.ping();
        return true;
      } catch {
        return false;
      }
    }, 10_000);
    expect(await queue.queue("mail.send").getJobCountByTypes("wait", "active", "delayed")).toBe(0);
    // The running job's worker is alive: its BullMQ lock went with the data, so it heartbeats in
    // the row, and finishes.
    expect(await queue.heartbeat(running!.id, "w1")).toBe(true);
    await queue.complete(running!.id, "w1");

    await queue.maintain();
    const claimed: string[] = [];
    for (let job = await queue.claim("w2", ["mail.send"]); job; job = await queue.claim("w2", ["mail.send"])) {
      claimed.push(job.id);
      await queue.complete(job.id, "w2");
    }
    expect(claimed.sort()).toEqual(ids.slice(1).sort());
    expect((await db.dataSource.manager.find(JobEntity)).every((j) => j.status === JobStatus.DONE)).toBe(true);
  });

  /** Restarts the suite's Redis empty and waits until `queue` reaches it again. */
  async function restartRedisEmpty(): Promise<void> {
    await maker.redis!.restart();
    await waitFor(async () => {
      try {
        await queue.ping();
        return true;
      } catch {
        return false;
      }
    }, 10_000);
  }

  it("runs a job longer than the lock period once across a Redis restart: its copy waits while its holder heartbeats", async () => {
    await queue.maintain();
    const other = maker.make(db.dataSource) as RedisJobQueue;
    const id = (await queue.enqueue(ctx(), "long.job", {}))!;
    expect((await queue.claim("w1", ["long.job"]))?.id).toBe(id);
    await restartRedisEmpty();

    // The holder's BullMQ lock is gone; its heartbeat goes to the row, and the job stays its own.
    expect(await queue.heartbeat(id, "w1")).toBe(true);
    await other.maintain(); // the resync: a copy of the running job, due in one lock period
    expect(await other.queue("long.job").getJobCountByTypes("delayed")).toBe(1);
    // Two lock periods of work, heart-beating as the runner does: the copy falls due and is held back.
    for (let waited = 0; waited < 2 * CONTRACT_TIMING.staleMs; waited += CONTRACT_TIMING.staleMs / 4) {
      await sleep(CONTRACT_TIMING.staleMs / 4);
      expect(await queue.heartbeat(id, "w1")).toBe(true);
      expect(await other.claim("w2", ["long.job"])).toBeNull();
    }
    await queue.complete(id, "w1");

    // The copy comes round again, finds the row DONE and is dropped.
    await sleep(CONTRACT_TIMING.staleMs + 100);
    expect(await other.claim("w2", ["long.job"])).toBeNull();
    expect(await other.queue("long.job").getJobCountByTypes("wait", "active", "delayed")).toBe(0);
    expect(await findJob(db.dataSource, id)).toMatchObject({ status: JobStatus.DONE, attempts: 1 });
  });

  it("runs the copy once the holder of a job running across a Redis restart stops heart-beating", async () => {
    await queue.maintain();
    const other = maker.make(db.dataSource) as RedisJobQueue;
    const id = (await queue.enqueue(ctx(), "long.job", {}))!;
    await queue.claim("w1", ["long.job"]);
    await restartRedisEmpty();
    expect(await queue.heartbeat(id, "w1")).toBe(true);
    await other.maintain();
    // The holder dies here: no heartbeat for a lock period, and the copy is taken, the attempt counted.
    await sleep(CONTRACT_TIMING.staleMs + 200);
    expect(await other.claim("w2", ["long.job"])).toMatchObject({ id, attempt: 2 });
    // The dead holder's row is no longer its own.
    expect(await queue.heartbeat(id, "w1")).toBe(false);
    await other.complete(id, "w2");
    expect(await findJob(db.dataSource, id)).toMatchObject({ status: JobStatus.DONE, attempts: 2, lockedBy: null });
  });

  it("fails ping() while Redis is down and answers again once it is back", async () => {
    await queue.ping();
    await maker.redis!.kill();
    await expect(queue.ping()).rejects.toThrow(Error);
    await maker.redis!.restart();
    await waitFor(async () => {
      try {
        await queue.ping();
        return true;
      } catch {
        return false;
      }
    }, 10_000);
  });

  it("frees a stalled job within two reaps once its lock has expired", async () => {
    const id = await queue.enqueue(ctx(), "x", {});
    await queue.claim("dead-worker", ["x"]);
    expect(await queue.reap(CONTRACT_TIMING.staleMs)).toBe(0);
    await sleep(CONTRACT_TIMING.staleMs + 50);
    expect(await queue.reap(CONTRACT_TIMING.staleMs)).toBe(1);
    expect(await queue.claim("w2", ["x"])).toMatchObject({ id, attempt: 2 });
  });

  if (kind === "sqlite") {
    it("uses one BullMQ queue per job name under the configured prefix", async () => {
      await queue.enqueue(ctx(), "a.job", {});
      const raw = new Queue("a.job", { connection: { url: maker.redis!.url }, prefix: "elsewhere" });
      try {
        expect(await raw.getJobCountByTypes("wait")).toBe(0);
      } finally {
        await raw.close();
      }
      expect(await queue.queue("a.job").getJobCountByTypes("wait")).toBe(1);
    });
  }
});
