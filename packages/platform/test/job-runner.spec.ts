import { openTestDataSource, testDatabaseKinds, type TestDataSource } from "@honour/testing";
import {
  JobEntity,
  JobRunner,
  JobStatus,
  ManualClock,
  platformModule,
  SqlJobQueue,
  systemClock,
  type Clock,
  type JobDefinition,
  type JobQueue,
  type JobRunnerOptions,
  type ScheduleDefinition,
} from "../src";
import { findJob, jobsByStatus, RecordingLogger, sleep, systemContext, waitFor } from "./job-fixtures";
import { describeQueue, queueMaker, withRedis, type QueueImplementation } from "./job-queue.contract";

/** Short periods so that the tests take milliseconds, not minutes. */
const FAST: JobRunnerOptions = { pollMs: 10, heartbeatMs: 20, staleAfterMs: 60_000, shutdownGraceMs: 2000 };

/** A promise the test settles by hand, to hold a job handler mid-flight. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

for (const implementation of ["sql", "redis"] as QueueImplementation[]) {
  describeQueue(implementation).each(testDatabaseKinds())(
    `JobRunner with the ${implementation} queue on %s`,
    (kind) => {
      let db: TestDataSource;
      const runners: JobRunner[] = [];
      const maker = queueMaker(implementation);
      withRedis(maker, implementation);

      beforeAll(async () => {
        db = await openTestDataSource(kind, [platformModule]);
      });
      afterAll(() => db.close());
      beforeEach(async () => {
        await db.dataSource.getRepository(JobEntity).clear();
        maker.newPrefix();
      });
      afterEach(async () => {
        await Promise.all(runners.splice(0).map((r) => r.stop()));
        await maker.close();
      });

      function runner(
        definitions: JobDefinition[],
        options: JobRunnerOptions & { clock?: Clock; schedules?: ScheduleDefinition[]; logger?: RecordingLogger } = {},
      ): { runner: JobRunner; queue: JobQueue; logger: RecordingLogger } {
        const clock = options.clock ?? systemClock;
        // A test clock moves the SQL queue's time only: BullMQ keeps Redis's.
        const queue = options.clock
          ? new SqlJobQueue(db.dataSource, clock, { backoffBaseMs: 5 })
          : maker.make(db.dataSource, { backoffBaseMs: 5 });
        const logger = options.logger ?? new RecordingLogger();
        const created = new JobRunner(db.dataSource, queue, clock, definitions, options.schedules, logger, {
          ...FAST,
          ...options,
        });
        runners.push(created);
        return { runner: created, queue, logger };
      }

      const enqueue = (queue: JobQueue, name: string, payload: Record<string, unknown> = {}, maxAttempts?: number) =>
        queue.enqueue(systemContext(db.dataSource, systemClock), name, payload, { maxAttempts });

      it("runs a handler with the payload as the system and marks the job done", async () => {
        const seen: unknown[] = [];
        const { runner: r, queue } = runner([
          {
            name: "greet",
            handle: async (ctx, payload, job) => {
              seen.push({ payload, actor: ctx.actor, attempt: job.attempt });
            },
          },
        ]);
        r.start();
        const id = await enqueue(queue, "greet", { name: "Ada" });
        await waitFor(async () => (await findJob(db.dataSource, id!)).status === JobStatus.DONE);
        expect(seen).toEqual([{ payload: { name: "Ada" }, actor: { kind: "system", name: "job:greet" }, attempt: 1 }]);
      });

      it("runs a handler that writes in its own transaction", async () => {
        const { runner: r, queue } = runner([
          {
            name: "chain",
            handle: (ctx) => ctx.transaction(async (tx) => void (await queue.enqueue(tx, "next", { from: "chain" }))),
          },
        ]);
        r.start();
        await enqueue(queue, "chain");
        await waitFor(async () => (await db.dataSource.manager.countBy(JobEntity, { name: "next" })) === 1);
      });

      it("backs a throwing handler off and ends it dead with the error kept", async () => {
        let calls = 0;
        const {
          runner: r,
          queue,
          logger,
        } = runner([
          {
            name: "flaky",
            handle: async () => {
              calls += 1;
              throw new RangeError("always fails");
            },
          },
        ]);
        r.start();
        const id = await enqueue(queue, "flaky", {}, 3);
        // The runner logs after the queue has marked the job dead: wait for the log line as well.
        const job = await waitFor(async () => {
          const found = await findJob(db.dataSource, id!);
          return found.status === JobStatus.DEAD && logger.entries.some((e) => e.level === "error") && found;
        });
        expect(calls).toBe(3);
        expect(job).toMatchObject({ attempts: 3, lockedBy: null });
        expect(job.lastError).toMatch(/^RangeError: /);
        expect(logger.entries.filter((e) => e.level === "error")).toHaveLength(1);
        expect(logger.entries.filter((e) => e.level === "warn")).toHaveLength(2);
      });

      it("only claims jobs it has a handler for", async () => {
        const { runner: r, queue } = runner([{ name: "mine", handle: async () => {} }]);
        const theirs = await enqueue(queue, "theirs");
        expect(await r.runOnce()).toBe(false);
        expect((await findJob(db.dataSource, theirs!)).status).toBe(JobStatus.PENDING);
      });

      it("refuses two definitions of one job", () => {
        const handle = async () => {};
        expect(() =>
          runner([
            { name: "twice", handle },
            { name: "twice", handle },
          ]),
        ).toThrow(Error);
      });

      if (implementation === "sql")
        it("enqueues a schedule once per period, even with two runners", async () => {
          const clock = new ManualClock("2026-03-01T10:00:00.000Z");
          const schedules = [{ job: "stats.rollup", everyMs: 60_000, payload: { scope: "hourly" } }];
          const definitions = [{ name: "stats.rollup", handle: async () => {} }];
          const a = runner(definitions, { clock, schedules }).runner;
          const b = runner(definitions, { clock, schedules }).runner;

          await Promise.all([a.maintain(), b.maintain(), a.maintain()]);
          clock.advance(59_999);
          await Promise.all([a.maintain(), b.maintain()]);
          expect(await db.dataSource.manager.countBy(JobEntity, { name: "stats.rollup" })).toBe(1);

          clock.advance(1);
          await Promise.all([b.maintain(), a.maintain()]);
          const jobs = await db.dataSource.manager.find(JobEntity, { order: { runAt: "ASC" } });
          expect(jobs).toHaveLength(2);
          expect(jobs.map((j) => j.payload)).toEqual([{ scope: "hourly" }, { scope: "hourly" }]);
          expect(new Set(jobs.map((j) => j.uniqueKey)).size).toBe(2);
        });

      it("enqueues due schedules and runs them while started", async () => {
        let runs = 0;
        const { runner: r } = runner([{ name: "tick", handle: async () => void (runs += 1) }], {
          schedules: [{ job: "tick", everyMs: 3_600_000 }],
        });
        r.start();
        await waitFor(() => runs === 1);
      });

      if (implementation === "sql")
        it("reaps the jobs of a worker that stopped heart-beating", async () => {
          const clock = new ManualClock("2026-03-01T10:00:00.000Z");
          const queue = new SqlJobQueue(db.dataSource, clock);
          const id = await queue.enqueue(systemContext(db.dataSource, clock), "orphan", {});
          await queue.claim("a-worker-that-died", ["orphan"]);
          clock.advance(61_000);
          const { runner: r, logger } = runner([], { clock, staleAfterMs: 60_000 });
          await r.maintain();
          expect(await findJob(db.dataSource, id!)).toMatchObject({ status: JobStatus.PENDING, lockedBy: null });
          expect(logger.entries.some((e) => e.level === "warn")).toBe(true);
        });

      it("keeps a long job alive with heartbeats, so another runner's reaper leaves it alone", async () => {
        const running = gate();
        const release = gate();
        let runs = 0;
        const long: JobDefinition = {
          name: "long",
          handle: async () => {
            runs += 1;
            running.open();
            await release.promise;
          },
        };
        const { runner: worker, queue } = runner([long], { heartbeatMs: 20 });
        const { runner: reaper } = runner([long], { staleAfterMs: 150 });
        const id = await enqueue(queue, "long");
        worker.start();
        await running.promise;
        for (let i = 0; i < 8; i++) {
          await sleep(50);
          await reaper.maintain();
          expect(await reaper.runOnce()).toBe(false);
        }
        release.open();
        await waitFor(async () => (await findJob(db.dataSource, id!)).status === JobStatus.DONE);
        expect(runs).toBe(1);
      });

      describe("stop()", () => {
        it("lets the in-flight job finish within the grace period", async () => {
          const running = gate();
          const release = gate();
          const { runner: r, queue } = runner([
            {
              name: "slow",
              handle: async () => {
                running.open();
                await release.promise;
              },
            },
          ]);
          const id = await enqueue(queue, "slow");
          r.start();
          await running.promise;
          const stopped = r.stop();
          await sleep(50);
          expect((await findJob(db.dataSource, id!)).status).toBe(JobStatus.RUNNING);
          release.open();
          await stopped;
          expect(await findJob(db.dataSource, id!)).toMatchObject({ status: JobStatus.DONE, attempts: 1 });
        });

        it("releases the in-flight job after the grace period without waiting for it", async () => {
          const running = gate();
          const never = gate();
          const { runner: r, queue } = runner(
            [
              {
                name: "stuck",
                handle: async () => {
                  running.open();
                  await never.promise;
                },
              },
            ],
            { shutdownGraceMs: 100 },
          );
          const id = await enqueue(queue, "stuck");
          r.start();
          await running.promise;
          const started = Date.now();
          await r.stop();
          expect(Date.now() - started).toBeLessThan(1000);
          expect(await findJob(db.dataSource, id!)).toMatchObject({
            status: JobStatus.PENDING,
            lockedBy: null,
            attempts: 0,
          });

          // The abandoned handler finishing late must not touch the released job.
          never.open();
          await sleep(50);
          expect((await findJob(db.dataSource, id!)).status).toBe(JobStatus.PENDING);
        });

        it("claims nothing more once stopped", async () => {
          const { runner: r, queue } = runner([{ name: "x", handle: async () => {} }]);
          r.start();
          await r.stop();
          await enqueue(queue, "x");
          await sleep(100);
          expect(await jobsByStatus(db.dataSource)).toMatchObject({ PENDING: 1, RUNNING: 0 });
        });

        it("returns at once when the runner was never started, and may be called twice", async () => {
          const { runner: r } = runner([{ name: "x", handle: async () => {} }]);
          await r.stop();
          r.start();
          await Promise.all([r.stop(), r.stop()]);
        });
      });
    },
  );
}
