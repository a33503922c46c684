import {
  openTestDataSource,
  redisTestsRun,
  startRedisServer,
  testDatabaseKinds,
  type TestDataSource,
  type TestRedisServer,
} from "@honour/testing";
import type { DataSource } from "typeorm";
import {
  JobEntity,
  JobOutboxEntity,
  JobStatus,
  openDataSource,
  platformModule,
  randomToken,
  RedisJobQueue,
  SqlJobQueue,
  systemClock,
  type ClaimedJob,
  type JobQueue,
} from "../src";
import { findJob, jobsByStatus, sleep, systemContext, waitFor } from "./job-fixtures";

/** The two implementations of {@link JobQueue}; the same contract runs against each. */
export type QueueImplementation = "sql" | "redis";

/** Short periods, in real time: BullMQ keeps Redis's time, so no test clock moves its jobs. */
export const CONTRACT_TIMING = { backoffBaseMs: 150, staleMs: 1000 } as const;

/**
 * Makes queues of one implementation on one database; `close()` ends what it made. The Redis
 * queues of one suite share its own redis-server, each test under a key prefix of its own.
 */
export interface QueueMaker {
  make(dataSource: DataSource, options?: { backoffBaseMs?: number }): JobQueue;
  newPrefix(): void;
  close(): Promise<void>;
  redis?: TestRedisServer;
}

export function queueMaker(implementation: QueueImplementation): QueueMaker {
  const made: JobQueue[] = [];
  let prefix = `t${randomToken(4)}`;
  const maker: QueueMaker = {
    make(dataSource, options = {}) {
      const backoffBaseMs = options.backoffBaseMs ?? CONTRACT_TIMING.backoffBaseMs;
      const queue =
        implementation === "sql"
          ? new SqlJobQueue(dataSource, systemClock, { backoffBaseMs })
          : new RedisJobQueue(dataSource, systemClock, maker.redis!.url, {
              backoffBaseMs,
              prefix,
              lockMs: CONTRACT_TIMING.staleMs,
              relayAfterMs: 0,
            });
      made.push(queue);
      return queue;
    },
    newPrefix() {
      prefix = `t${randomToken(4)}`;
    },
    async close() {
      await Promise.all(made.splice(0).map((q) => q.close?.()));
    },
  };
  return maker;
}

/** `describe` for the SQL queue; for the Redis queue, one that starts (or skips without) redis-server. */
export function describeQueue(implementation: QueueImplementation): jest.Describe {
  return implementation === "sql" || redisTestsRun() ? describe : describe.skip;
}

/** Starts the suite's redis-server for a Redis maker (nothing for SQL). */
export function withRedis(maker: QueueMaker, implementation: QueueImplementation): void {
  if (implementation !== "redis") return;
  beforeAll(async () => {
    maker.redis = await startRedisServer();
  });
  afterAll(async () => {
    await maker.close();
    await maker.redis?.stop();
  });
}

/** The job queue contract (job-queue.ts), run against `implementation` on every test database. */
export function jobQueueContract(implementation: QueueImplementation): void {
  const STALE_MS = CONTRACT_TIMING.staleMs;
  const BACKOFF_BASE_MS = CONTRACT_TIMING.backoffBaseMs;

  describeQueue(implementation).each(testDatabaseKinds())(
    `JobQueue contract: ${implementation} queue on %s`,
    (kind) => {
      let db: TestDataSource;
      let queue: JobQueue;
      const maker = queueMaker(implementation);
      withRedis(maker, implementation);

      beforeAll(async () => {
        db = await openTestDataSource(kind, [platformModule]);
      });
      afterAll(() => db.close());

      beforeEach(async () => {
        await db.dataSource.getRepository(JobEntity).clear();
        await db.dataSource.getRepository(JobOutboxEntity).clear();
        maker.newPrefix();
        queue = maker.make(db.dataSource);
      });
      afterEach(() => maker.close());

      const ctx = () => systemContext(db.dataSource, systemClock);
      const enqueue = (name = "mail.send", payload: Record<string, unknown> = {}, options = {}) =>
        queue.enqueue(ctx(), name, payload, options);
      const count = () => db.dataSource.manager.count(JobEntity);
      /** Reaps until something is freed: BullMQ frees a stale job on its second pass. */
      const reapUntilFreed = () => waitFor(() => queue.reap(STALE_MS), 5000, 50);

      describe("enqueue", () => {
        it("stores a pending job due now that keeps its payload", async () => {
          const payload = { to: "ada@example.com", n: 3, nested: { ok: true, list: [1, "two"] } };
          const before = Date.now();
          const id = await enqueue("mail.send", payload);
          const job = await findJob(db.dataSource, id!);
          expect(job).toMatchObject({
            name: "mail.send",
            payload,
            status: JobStatus.PENDING,
            attempts: 0,
            maxAttempts: 5,
          });
          expect(job.runAt.getTime()).toBeGreaterThanOrEqual(before - 1);
          expect(await queue.claim("w1", ["mail.send"])).toEqual({
            id,
            name: "mail.send",
            payload,
            attempt: 1,
            maxAttempts: 5,
          });
        });

        it("joins the caller's transaction: a rollback leaves no job", async () => {
          await expect(
            ctx().transaction(async (tx) => {
              await queue.enqueue(tx, "mail.send", {});
              throw new Error("the change that caused the job failed");
            }),
          ).rejects.toThrow(Error);
          expect(await count()).toBe(0);
          expect(await db.dataSource.manager.count(JobOutboxEntity)).toBe(0);
          expect(await queue.claim("w1", ["mail.send"])).toBeNull();
          await queue.maintain?.();
          expect(await queue.claim("w1", ["mail.send"])).toBeNull();
        });

        it("joins the caller's transaction: a commit keeps the job", async () => {
          const id = await ctx().transaction((tx) => queue.enqueue(tx, "mail.send", {}));
          expect((await queue.claim("w1", ["mail.send"]))?.id).toBe(id);
        });

        // SQLite runs a claim outside the transaction on the transaction's own connection.
        if (kind === "mysql" || implementation === "redis") {
          it("does not hand out a job before its transaction commits", async () => {
            let id: string | null = null;
            let release!: () => void;
            const held = new Promise<void>((resolve) => (release = resolve));
            const committed = ctx().transaction(async (tx) => {
              id = await queue.enqueue(tx, "mail.send", {});
              await held;
            });
            await waitFor(() => id);
            const other = maker.make(db.dataSource);
            expect(await other.claim("w2", ["mail.send"])).toBeNull();
            release();
            await committed;
            expect((await waitFor(() => other.claim("w2", ["mail.send"])))!.id).toBe(id);
          });
        }

        it("enqueues a unique key once, ever, returning null afterwards", async () => {
          const first = await enqueue("stats.rollup", {}, { uniqueKey: "rollup:2026-03-01" });
          expect(first).not.toBeNull();
          expect(await enqueue("stats.rollup", {}, { uniqueKey: "rollup:2026-03-01" })).toBeNull();

          const claimed = await queue.claim("w1", ["stats.rollup"]);
          await queue.complete(claimed!.id, "w1");
          expect(await enqueue("stats.rollup", {}, { uniqueKey: "rollup:2026-03-01" })).toBeNull();
          expect(await enqueue("stats.rollup", {}, { uniqueKey: "rollup:2026-03-02" })).not.toBeNull();
          expect(await count()).toBe(2);
          expect((await queue.claim("w1", ["stats.rollup"]))?.id).not.toBe(first);
          expect(await queue.claim("w1", ["stats.rollup"])).toBeNull();
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
        it("claims jobs due at the same moment in the order they were enqueued", async () => {
          const ids = [];
          for (let i = 0; i < 5; i++) ids.push(await enqueue("x", { i }));
          const claimed = [];
          for (let i = 0; i < 5; i++) claimed.push((await queue.claim("w1", ["x"]))!.id);
          expect(claimed).toEqual(ids);
          expect(await queue.claim("w1", ["x"])).toBeNull();
        });

        it("does not claim a job whose runAt is in the future until it is due", async () => {
          const due = Date.now() + 1000;
          const later = await enqueue("x", {}, { runAt: new Date(due) });
          // Claims every 20 ms: whenever one returns the job, its time has come (a loaded machine
          // may take a while to get here, so the claims before it may be few).
          const job = await waitFor(() => queue.claim("w1", ["x"]), 5000, 20);
          expect(Date.now()).toBeGreaterThanOrEqual(due - 5);
          expect(job.id).toBe(later);
        });

        it("claims only the job names the worker handles", async () => {
          await enqueue("other.job");
          expect(await queue.claim("w1", ["x"])).toBeNull();
          expect(await queue.claim("w1", [])).toBeNull();
          expect((await queue.claim("w1", ["x", "other.job"]))?.name).toBe("other.job");
        });

        it("never hands out a running job again", async () => {
          await enqueue("x");
          const job = await queue.claim("w1", ["x"]);
          expect(job).not.toBeNull();
          expect(await queue.claim("w2", ["x"])).toBeNull();
          expect(await findJob(db.dataSource, job!.id)).toMatchObject({
            status: JobStatus.RUNNING,
            lockedBy: "w1",
            attempts: 1,
          });
        });
      });

      describe("complete", () => {
        it("marks the job done and never claims it again", async () => {
          const id = await enqueue("x");
          await queue.claim("w1", ["x"]);
          await queue.complete(id!, "w1");
          const job = await findJob(db.dataSource, id!);
          expect(job).toMatchObject({ status: JobStatus.DONE, lockedBy: null, attempts: 1 });
          expect(job.finishedAt).not.toBeNull();
          expect(await queue.claim("w1", ["x"])).toBeNull();
          await sleep(STALE_MS + 100);
          expect(await queue.reap(STALE_MS)).toBe(0);
          expect(await queue.claim("w1", ["x"])).toBeNull();
        });

        it("ignores a worker that does not hold the job", async () => {
          const id = await enqueue("x");
          await queue.claim("w1", ["x"]);
          await queue.complete(id!, "w2");
          expect(await findJob(db.dataSource, id!)).toMatchObject({ status: JobStatus.RUNNING, lockedBy: "w1" });
          expect(await queue.heartbeat(id!, "w1")).toBe(true);
        });
      });

      describe("fail", () => {
        it("retries with exponential backoff, then declares the job dead after its last attempt", async () => {
          const id = await enqueue("x", {}, { maxAttempts: 3 });
          for (const [attempt, delay] of [
            [1, BACKOFF_BASE_MS],
            [2, 2 * BACKOFF_BASE_MS],
          ] as const) {
            const job = await waitFor(() => queue.claim("w1", ["x"]), 5000, 5);
            expect(job).toMatchObject({ id, attempt });
            const failedAt = Date.now();
            expect(await queue.fail(id!, "w1", new TypeError(`attempt ${attempt}`))).toBe("RETRY");
            const stored = await findJob(db.dataSource, id!);
            expect(stored).toMatchObject({ status: JobStatus.PENDING, lockedBy: null, attempts: attempt });
            expect(stored.lastError).toMatch(/^TypeError: /);
            // Not before the back-off has passed (a loaded machine may be past it already).
            const early = await queue.claim("w1", ["x"]);
            if (early) expect(Date.now() - failedAt).toBeGreaterThanOrEqual(delay - 5);
            const retried = early ?? (await waitFor(() => queue.claim("w1", ["x"]), 5000, 5));
            const waited = Date.now() - failedAt;
            expect(waited).toBeGreaterThanOrEqual(delay - 5);
            expect(waited).toBeLessThan(delay * 1.1 + 1500);
            await queue.release(retried.id, "w1"); // back for the loop's next claim, attempt not counted
          }

          expect(await waitFor(() => queue.claim("w1", ["x"]), 5000, 5)).toMatchObject({ id, attempt: 3 });
          expect(await queue.fail(id!, "w1", "a thrown string")).toBe("DEAD");
          const dead = await findJob(db.dataSource, id!);
          expect(dead).toMatchObject({
            status: JobStatus.DEAD,
            lockedBy: null,
            attempts: 3,
            lastError: "a thrown string",
          });
          expect(dead.finishedAt).not.toBeNull();
          await sleep(4 * BACKOFF_BASE_MS);
          expect(await queue.claim("w1", ["x"])).toBeNull();
        });

        it("dies at once when maxAttempts is 1", async () => {
          const id = await enqueue("x", {}, { maxAttempts: 1 });
          await queue.claim("w1", ["x"]);
          expect(await queue.fail(id!, "w1", new Error("boom"))).toBe("DEAD");
          expect((await findJob(db.dataSource, id!)).status).toBe(JobStatus.DEAD);
          expect(await queue.claim("w1", ["x"])).toBeNull();
        });

        it("leaves a job alone when the failing worker no longer holds it", async () => {
          const id = await enqueue("x");
          await queue.claim("w1", ["x"]);
          await sleep(STALE_MS + 50);
          await reapUntilFreed();
          expect(await queue.claim("w2", ["x"])).toMatchObject({ id, attempt: 2 });
          await queue.fail(id!, "w1", new Error("late failure of a reaped run"));
          expect(await findJob(db.dataSource, id!)).toMatchObject({
            status: JobStatus.RUNNING,
            lockedBy: "w2",
            attempts: 2,
          });
          expect(await queue.heartbeat(id!, "w2")).toBe(true);
        });

        it("keeps the stored error short", async () => {
          const id = await enqueue("x", {}, { maxAttempts: 1 });
          await queue.claim("w1", ["x"]);
          await queue.fail(id!, "w1", new Error("x".repeat(10_000)));
          expect((await findJob(db.dataSource, id!)).lastError!.length).toBeLessThanOrEqual(2000);
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
            attempts: 0,
          });
          expect(await queue.claim("w2", ["x"])).toMatchObject({ id, attempt: 1 });
        });

        it("ignores a worker that does not hold the job", async () => {
          const id = await enqueue("x");
          await queue.claim("w1", ["x"]);
          await queue.release(id!, "w2");
          expect(await findJob(db.dataSource, id!)).toMatchObject({ status: JobStatus.RUNNING, lockedBy: "w1" });
          expect(await queue.claim("w2", ["x"])).toBeNull();
        });
      });

      describe("reap", () => {
        it("frees a running job whose heartbeat is stale, counting the attempt that died", async () => {
          const stale = await enqueue("x");
          const fresh = await enqueue("y");
          await queue.claim("w1", ["x"]);
          await queue.claim("w2", ["y"]);
          const beating = setInterval(() => void queue.heartbeat(fresh!, "w2"), 50);
          try {
            await sleep(STALE_MS + 50);
            expect(await reapUntilFreed()).toBe(1);
            expect(await queue.reap(STALE_MS)).toBe(0);
          } finally {
            clearInterval(beating);
          }
          expect(await queue.claim("w3", ["x"])).toMatchObject({ id: stale, attempt: 2 });
          expect(await findJob(db.dataSource, stale!)).toMatchObject({
            status: JobStatus.RUNNING,
            lockedBy: "w3",
            attempts: 2,
          });
          expect(await findJob(db.dataSource, fresh!)).toMatchObject({ status: JobStatus.RUNNING, lockedBy: "w2" });
          expect(await queue.claim("w3", ["y"])).toBeNull();
        });

        it("does not free a job whose worker keeps heart-beating", async () => {
          const id = await enqueue("x");
          await queue.claim("w1", ["x"]);
          for (let i = 0; i < 6; i++) {
            await sleep(STALE_MS / 3);
            expect(await queue.heartbeat(id!, "w1")).toBe(true);
            expect(await queue.reap(STALE_MS)).toBe(0);
          }
          expect(await findJob(db.dataSource, id!)).toMatchObject({ status: JobStatus.RUNNING, lockedBy: "w1" });
          expect(await queue.claim("w2", ["x"])).toBeNull();
        });

        it("declares a job dead when the attempt that died was its last", async () => {
          const id = await enqueue("x", {}, { maxAttempts: 2 });
          await queue.claim("w1", ["x"]);
          await sleep(STALE_MS + 50);
          await reapUntilFreed();
          expect(await queue.claim("w2", ["x"])).toMatchObject({ id, attempt: 2 });
          await sleep(STALE_MS + 50);
          await reapUntilFreed();
          expect(await queue.claim("w3", ["x"])).toBeNull();
          const dead = await findJob(db.dataSource, id!);
          expect(dead).toMatchObject({ status: JobStatus.DEAD, lockedBy: null, attempts: 2 });
          expect(dead.lastError).not.toBeNull();
          expect(dead.finishedAt).not.toBeNull();
        });

        it("leaves pending, done and dead jobs alone", async () => {
          await enqueue("x");
          const done = await enqueue("y");
          const dead = await enqueue("z", {}, { maxAttempts: 1 });
          await queue.claim("w1", ["y"]);
          await queue.complete(done!, "w1");
          await queue.claim("w1", ["z"]);
          await queue.fail(dead!, "w1", new Error("dead"));
          await sleep(STALE_MS + 50);
          for (let i = 0; i < 3; i++) expect(await queue.reap(STALE_MS)).toBe(0);
          expect(await jobsByStatus(db.dataSource)).toEqual({ PENDING: 1, RUNNING: 0, DONE: 1, DEAD: 1 });
        });
      });

      describe("heartbeat", () => {
        it("is true for the holding worker, again and again", async () => {
          const id = await enqueue("x");
          await queue.claim("w1", ["x"]);
          expect(await queue.heartbeat(id!, "w1")).toBe(true);
          expect(await queue.heartbeat(id!, "w1")).toBe(true);
        });

        it("turns false once the job is no longer the worker's", async () => {
          const id = await enqueue("x");
          await queue.claim("w1", ["x"]);
          expect(await queue.heartbeat(id!, "w2")).toBe(false);

          await sleep(STALE_MS + 50);
          await reapUntilFreed();
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
        const JOBS = 200;
        const POOLS = 3;
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
          const claims: { job: ClaimedJob; by: string }[] = [];
          try {
            await Promise.all(
              pools.flatMap((ds, p) => {
                const poolQueue = maker.make(ds);
                return Array.from({ length: CLAIMERS_PER_POOL }, async (_, c) => {
                  const workerId = `pool${p}:claimer${c}`;
                  for (let job = await poolQueue.claim(workerId, ["bulk"]); job;) {
                    claims.push({ job, by: workerId });
                    await poolQueue.complete(job.id, workerId);
                    job = await poolQueue.claim(workerId, ["bulk"]);
                  }
                });
              }),
            );
          } finally {
            await maker.close();
            await Promise.all(pools.map((ds) => ds.destroy()));
          }
          expect(claims).toHaveLength(JOBS);
          expect(new Set(claims.map((c) => c.job.id)).size).toBe(JOBS);
          expect(claims.every((c) => c.job.attempt === 1)).toBe(true);
          expect(await jobsByStatus(db.dataSource)).toEqual({ PENDING: 0, RUNNING: 0, DONE: JOBS, DEAD: 0 });
          if (kind === "mysql") expect(new Set(claims.map((c) => c.by)).size).toBeGreaterThan(1);
        });
      });
    },
  );
}
