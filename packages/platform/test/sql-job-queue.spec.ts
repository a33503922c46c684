import { openTestDataSource, testDatabaseKinds, type TestDataSource } from "@honour/testing";
import {
  openDataSource,
  JobEntity,
  JobStatus,
  ManualClock,
  platformModule,
  SqlJobQueue,
  type ClaimedJob,
} from "../src";
import { findJob, jobsByStatus, systemContext } from "./job-fixtures";

const START = "2026-03-01T10:00:00.000Z";
const BACKOFF_BASE_MS = 1000;

describe.each(testDatabaseKinds())("SqlJobQueue on %s", (kind) => {
  let db: TestDataSource;
  let clock: ManualClock;
  let queue: SqlJobQueue;

  beforeAll(async () => {
    db = await openTestDataSource(kind, [platformModule]);
  });
  afterAll(() => db.close());

  beforeEach(async () => {
    await db.dataSource.getRepository(JobEntity).clear();
    clock = new ManualClock(START);
    queue = new SqlJobQueue(db.dataSource, clock, { backoffBaseMs: BACKOFF_BASE_MS });
  });

  const ctx = () => systemContext(db.dataSource, clock);
  const enqueue = (name = "mail.send", payload: Record<string, unknown> = {}, options = {}) =>
    queue.enqueue(ctx(), name, payload, options);
  const count = () => db.dataSource.manager.count(JobEntity);

  describe("enqueue", () => {
    it("stores a pending job due now that keeps its payload", async () => {
      const payload = { to: "ada@example.com", n: 3, nested: { ok: true, list: [1, "two"] } };
      const id = await enqueue("mail.send", payload);
      const job = await findJob(db.dataSource, id!);
      expect(job).toMatchObject({
        name: "mail.send",
        payload,
        status: JobStatus.PENDING,
        attempts: 0,
        maxAttempts: 5,
        lockedBy: null,
        uniqueKey: null,
      });
      expect(job.runAt.toISOString()).toBe(START);
      expect(job.createdAt.toISOString()).toBe(START);
    });

    it("joins the caller's transaction: a rollback leaves no job", async () => {
      await expect(
        ctx().transaction(async (tx) => {
          await queue.enqueue(tx, "mail.send", {});
          throw new Error("the change that caused the job failed");
        }),
      ).rejects.toThrow(Error);
      expect(await count()).toBe(0);
      expect(await queue.claim("w1", ["mail.send"])).toBeNull();
    });

    it("joins the caller's transaction: a commit keeps the job", async () => {
      const id = await ctx().transaction((tx) => queue.enqueue(tx, "mail.send", {}));
      expect((await queue.claim("w1", ["mail.send"]))?.id).toBe(id);
    });

    it("enqueues a unique key once, ever, returning null afterwards", async () => {
      const first = await enqueue("stats.rollup", {}, { uniqueKey: "rollup:2026-03-01" });
      expect(first).not.toBeNull();
      expect(await enqueue("stats.rollup", {}, { uniqueKey: "rollup:2026-03-01" })).toBeNull();

      const claimed = await queue.claim("w1", ["stats.rollup"]);
      await queue.complete(claimed!.id, "w1");
      expect(await enqueue("stats.rollup", {}, { uniqueKey: "rollup:2026-03-01" })).toBeNull();
      expect(await enqueue("stats.rollup", {}, { uniqueKey: "rollup:2026-03-02" })).not.toBeNull();
      expect(await count()).toBe(2);
    });

    it("enqueues a unique key once when many callers race for it", async () => {
      const ids = await Promise.all(
        Array.from({ length: 12 }, () => enqueue("stats.rollup", {}, { uniqueKey: "race" })),
      );
      expect(ids.filter((id) => id !== null)).toHaveLength(1);
      expect(await count()).toBe(1);
    });

    if (kind === "mysql") {
      it("enqueues a unique key once when concurrent transactions race for it", async () => {
        const ids = await Promise.all(
          Array.from({ length: 8 }, () =>
            ctx().transaction((tx) => queue.enqueue(tx, "stats.rollup", {}, { uniqueKey: "tx-race" })),
          ),
        );
        expect(ids.filter((id) => id !== null)).toHaveLength(1);
        expect(await count()).toBe(1);
      });
    }
  });

  describe("claim", () => {
    it("claims due jobs oldest runAt first and marks them running for the worker", async () => {
      const c = await enqueue("x", {}, { runAt: new Date(Date.parse(START) - 1000) });
      const a = await enqueue("x", {}, { runAt: new Date(Date.parse(START) - 3000) });
      const b = await enqueue("x", {}, { runAt: new Date(Date.parse(START) - 2000) });
      const claimed: ClaimedJob[] = [];
      for (let job = await queue.claim("w1", ["x"]); job; job = await queue.claim("w1", ["x"])) claimed.push(job);
      expect(claimed.map((j) => j.id)).toEqual([a, b, c]);
      expect(claimed[0]).toEqual({ id: a, name: "x", payload: {}, attempt: 1, maxAttempts: 5 });
      const stored = await findJob(db.dataSource, a!);
      expect(stored).toMatchObject({ status: JobStatus.RUNNING, lockedBy: "w1", attempts: 1 });
      expect(stored.heartbeatAt?.toISOString()).toBe(START);
    });

    it("claims jobs due at the same moment in the order they were enqueued", async () => {
      const ids = [];
      for (let i = 0; i < 5; i++) {
        clock.advance(1);
        ids.push(await enqueue("x", { i }, { runAt: new Date(START) }));
      }
      const claimed = [];
      for (let i = 0; i < 5; i++) claimed.push((await queue.claim("w1", ["x"]))!.id);
      expect(claimed).toEqual(ids);
    });

    it("does not claim a job whose runAt is in the future until it is due", async () => {
      const later = await enqueue("x", {}, { runAt: new Date(Date.parse(START) + 60_000) });
      expect(await queue.claim("w1", ["x"])).toBeNull();
      clock.advance(59_999);
      expect(await queue.claim("w1", ["x"])).toBeNull();
      clock.advance(1);
      expect((await queue.claim("w1", ["x"]))?.id).toBe(later);
    });

    it("claims only the job names the worker handles", async () => {
      await enqueue("other.job");
      expect(await queue.claim("w1", ["x"])).toBeNull();
      expect(await queue.claim("w1", [])).toBeNull();
      expect((await queue.claim("w1", ["x", "other.job"]))?.name).toBe("other.job");
    });

    it("never hands out a running job again", async () => {
      await enqueue("x");
      expect(await queue.claim("w1", ["x"])).not.toBeNull();
      expect(await queue.claim("w2", ["x"])).toBeNull();
    });
  });

  describe("complete", () => {
    it("marks the job done and never claims it again", async () => {
      const id = await enqueue("x");
      await queue.claim("w1", ["x"]);
      clock.advance(250);
      await queue.complete(id!, "w1");
      const job = await findJob(db.dataSource, id!);
      expect(job).toMatchObject({ status: JobStatus.DONE, lockedBy: null, attempts: 1 });
      expect(job.finishedAt?.getTime()).toBe(Date.parse(START) + 250);
      expect(await queue.claim("w1", ["x"])).toBeNull();
    });

    it("ignores a worker that does not hold the job", async () => {
      const id = await enqueue("x");
      await queue.claim("w1", ["x"]);
      await queue.complete(id!, "w2");
      expect(await findJob(db.dataSource, id!)).toMatchObject({ status: JobStatus.RUNNING, lockedBy: "w1" });
    });
  });

  describe("fail", () => {
    it("retries with exponential backoff, then declares the job dead after its last attempt", async () => {
      const id = await enqueue("x", {}, { maxAttempts: 3 });

      for (const [attempt, delay] of [
        [1, BACKOFF_BASE_MS],
        [2, 2 * BACKOFF_BASE_MS],
      ] as const) {
        const job = await queue.claim("w1", ["x"]);
        expect(job).toMatchObject({ id, attempt });
        const failedAt = clock.now().getTime();
        expect(await queue.fail(id!, "w1", new TypeError(`attempt ${attempt}`))).toBe("RETRY");

        const stored = await findJob(db.dataSource, id!);
        expect(stored).toMatchObject({ status: JobStatus.PENDING, lockedBy: null, attempts: attempt });
        expect(stored.lastError).toMatch(/^TypeError: /);
        const wait = stored.runAt.getTime() - failedAt;
        expect(wait).toBeGreaterThanOrEqual(delay);
        expect(wait).toBeLessThanOrEqual(delay * 1.1);

        clock.set(new Date(stored.runAt.getTime() - 1));
        expect(await queue.claim("w1", ["x"])).toBeNull();
        clock.advance(1);
      }

      expect(await queue.claim("w1", ["x"])).toMatchObject({ id, attempt: 3 });
      expect(await queue.fail(id!, "w1", "a thrown string")).toBe("DEAD");
      const dead = await findJob(db.dataSource, id!);
      expect(dead).toMatchObject({ status: JobStatus.DEAD, lockedBy: null, attempts: 3, lastError: "a thrown string" });
      expect(dead.finishedAt?.toISOString()).toBe(clock.now().toISOString());
      clock.advance(24 * 3_600_000);
      expect(await queue.claim("w1", ["x"])).toBeNull();
    });

    it("dies at once when maxAttempts is 1", async () => {
      const id = await enqueue("x", {}, { maxAttempts: 1 });
      await queue.claim("w1", ["x"]);
      expect(await queue.fail(id!, "w1", new Error("boom"))).toBe("DEAD");
      expect((await findJob(db.dataSource, id!)).status).toBe(JobStatus.DEAD);
    });

    it("leaves a job alone when the failing worker no longer holds it", async () => {
      const id = await enqueue("x");
      await queue.claim("w1", ["x"]);
      clock.advance(61_000);
      await queue.reap(60_000);
      await queue.claim("w2", ["x"]);
      await queue.fail(id!, "w1", new Error("late failure of a reaped run"));
      expect(await findJob(db.dataSource, id!)).toMatchObject({
        status: JobStatus.RUNNING,
        lockedBy: "w2",
        attempts: 2,
      });
    });

    it("keeps the stored error short", async () => {
      const id = await enqueue("x", {}, { maxAttempts: 1 });
      await queue.claim("w1", ["x"]);
      await queue.fail(id!, "w1", new Error("x".repeat(10_000)));
      expect((await findJob(db.dataSource, id!)).lastError!.length).toBeLessThanOrEqual(2000);
    });
  });

  describe("backoffMs", () => {
    it("doubles from the base up to the cap, with at most 10 % jitter", () => {
      const capped = new SqlJobQueue(db.dataSource, clock, { backoffBaseMs: 100, backoffMaxMs: 1000 });
      for (const [attempt, delay] of [
        [1, 100],
        [2, 200],
        [3, 400],
        [4, 800],
        [5, 1000],
        [30, 1000],
      ] as const) {
        const ms = capped.backoffMs(attempt);
        expect(ms).toBeGreaterThanOrEqual(delay);
        expect(ms).toBeLessThanOrEqual(delay * 1.1);
      }
    });
  });

  describe("release", () => {
    it("gives the job back without counting the attempt", async () => {
      const id = await enqueue("x", {}, { maxAttempts: 1 });
      await queue.claim("w1", ["x"]);
      await queue.release(id!, "w1");
      expect(await findJob(db.dataSource, id!)).toMatchObject({
        status: JobStatus.PENDING,
        lockedBy: null,
        heartbeatAt: null,
        attempts: 0,
      });
      expect(await queue.claim("w2", ["x"])).toMatchObject({ id, attempt: 1 });
    });

    it("ignores a worker that does not hold the job", async () => {
      const id = await enqueue("x");
      await queue.claim("w1", ["x"]);
      await queue.release(id!, "w2");
      expect(await findJob(db.dataSource, id!)).toMatchObject({ status: JobStatus.RUNNING, lockedBy: "w1" });
    });
  });

  describe("reap", () => {
    const STALE_MS = 60_000;

    it("frees a running job whose heartbeat is stale, counting the attempt that died", async () => {
      const stale = await enqueue("x");
      const fresh = await enqueue("y");
      await queue.claim("w1", ["x"]);
      clock.advance(30_000);
      await queue.claim("w2", ["y"]);
      clock.advance(STALE_MS - 30_000 + 1);

      expect(await queue.reap(STALE_MS)).toBe(1);
      const freed = await findJob(db.dataSource, stale!);
      expect(freed).toMatchObject({ status: JobStatus.PENDING, lockedBy: null, attempts: 1 });
      expect(freed.lastError).not.toBeNull();
      expect(freed.runAt.toISOString()).toBe(clock.now().toISOString());
      expect(await findJob(db.dataSource, fresh!)).toMatchObject({ status: JobStatus.RUNNING, lockedBy: "w2" });
      expect(await queue.claim("w3", ["x"])).toMatchObject({ id: stale, attempt: 2 });
    });

    it("does not free a job whose worker keeps heart-beating", async () => {
      const id = await enqueue("x");
      await queue.claim("w1", ["x"]);
      for (let i = 0; i < 5; i++) {
        clock.advance(STALE_MS / 2);
        expect(await queue.heartbeat(id!, "w1")).toBe(true);
        expect(await queue.reap(STALE_MS)).toBe(0);
      }
      expect(await findJob(db.dataSource, id!)).toMatchObject({ status: JobStatus.RUNNING, lockedBy: "w1" });
    });

    it("does not free a job exactly at the stale limit", async () => {
      await enqueue("x");
      await queue.claim("w1", ["x"]);
      clock.advance(STALE_MS);
      expect(await queue.reap(STALE_MS)).toBe(0);
    });

    it("declares a job dead when the attempt that died was its last", async () => {
      const id = await enqueue("x", {}, { maxAttempts: 2 });
      await queue.claim("w1", ["x"]);
      clock.advance(STALE_MS + 1);
      expect(await queue.reap(STALE_MS)).toBe(1);
      await queue.claim("w2", ["x"]);
      clock.advance(STALE_MS + 1);
      expect(await queue.reap(STALE_MS)).toBe(1);
      const dead = await findJob(db.dataSource, id!);
      expect(dead).toMatchObject({ status: JobStatus.DEAD, lockedBy: null, attempts: 2 });
      expect(dead.lastError).not.toBeNull();
      expect(dead.finishedAt?.toISOString()).toBe(clock.now().toISOString());
    });

    it("leaves pending, done and dead jobs alone", async () => {
      await enqueue("x");
      const done = await enqueue("y");
      await queue.claim("w1", ["y"]);
      await queue.complete(done!, "w1");
      clock.advance(10 * STALE_MS);
      expect(await queue.reap(STALE_MS)).toBe(0);
      expect(await jobsByStatus(db.dataSource)).toEqual({ PENDING: 1, RUNNING: 0, DONE: 1, DEAD: 0 });
    });
  });

  describe("heartbeat", () => {
    it("is true for the holding worker, even when the time has not moved", async () => {
      const id = await enqueue("x");
      await queue.claim("w1", ["x"]);
      expect(await queue.heartbeat(id!, "w1")).toBe(true);
      expect(await queue.heartbeat(id!, "w1")).toBe(true);
      clock.advance(5000);
      expect(await queue.heartbeat(id!, "w1")).toBe(true);
      expect((await findJob(db.dataSource, id!)).heartbeatAt?.toISOString()).toBe(clock.now().toISOString());
    });

    it("turns false once the job is no longer the worker's", async () => {
      const id = await enqueue("x");
      await queue.claim("w1", ["x"]);
      expect(await queue.heartbeat(id!, "w2")).toBe(false);

      clock.advance(61_000);
      await queue.reap(60_000);
      expect(await queue.heartbeat(id!, "w1")).toBe(false);

      await queue.claim("w2", ["x"]);
      expect(await queue.heartbeat(id!, "w1")).toBe(false);
      expect(await queue.heartbeat(id!, "w2")).toBe(true);

      await queue.complete(id!, "w2");
      expect(await queue.heartbeat(id!, "w2")).toBe(false);
    });

    it("is false for a job that does not exist", async () => {
      expect(await queue.heartbeat("00000000-0000-7000-8000-000000000000", "w1")).toBe(false);
    });
  });

  describe("with many claimers on separate connection pools", () => {
    const JOBS = 300;
    const POOLS = 4;
    const CLAIMERS_PER_POOL = 3;

    it("claims every job exactly once", async () => {
      for (let i = 0; i < JOBS; i++) await enqueue("bulk", { i });
      const pools = await Promise.all(
        Array.from({ length: POOLS }, async () => {
          const { dataSource: ds } = await openDataSource(db.database.config, {
            entities: platformModule.entities,
            migrations: [],
            poolSize: CLAIMERS_PER_POOL,
          });
          return ds;
        }),
      );
      const claims: { id: string; by: string }[] = [];
      try {
        await Promise.all(
          pools.flatMap((ds, p) =>
            Array.from({ length: CLAIMERS_PER_POOL }, async (_, c) => {
              const workerId = `pool${p}:claimer${c}`;
              const poolQueue = new SqlJobQueue(ds, clock);
              for (let job = await poolQueue.claim(workerId, ["bulk"]); job;) {
                claims.push({ id: job.id, by: workerId });
                await poolQueue.complete(job.id, workerId);
                job = await poolQueue.claim(workerId, ["bulk"]);
              }
            }),
          ),
        );
      } finally {
        await Promise.all(pools.map((ds) => ds.destroy()));
      }
      expect(claims).toHaveLength(JOBS);
      expect(new Set(claims.map((c) => c.id)).size).toBe(JOBS);
      expect(await jobsByStatus(db.dataSource)).toEqual({ PENDING: 0, RUNNING: 0, DONE: JOBS, DEAD: 0 });
      const attempts = await db.dataSource.manager.find(JobEntity, { select: { attempts: true } });
      expect(attempts.every((j) => j.attempts === 1)).toBe(true);
      if (kind === "mysql") expect(new Set(claims.map((c) => c.by)).size).toBeGreaterThan(1);
    });
  });
});
