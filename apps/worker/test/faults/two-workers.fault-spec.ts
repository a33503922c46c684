import { JobStatus, RequestContext, SqlJobQueue, systemClock } from "@honour/platform";
import { TEST_JOBS } from "../../src/test-jobs";
import { waitFor, WorkerTestDatabase } from "../worker-process";
import { FAULT_WORKER_ENV, printFigures, useMysqlUrl } from "./fault-bed";

useMysqlUrl();

const JOBS = 1000;

describe("two worker processes on one queue on MariaDB through mysql://", () => {
  let db: WorkerTestDatabase;

  beforeAll(async () => {
    db = await WorkerTestDatabase.create("mysql");
    await db.migrate();
  });
  afterAll(() => db?.close());

  it("runs each of 1 000 jobs exactly once", async () => {
    // Polling as fast as the normal suite's workers, so the two claim against each other all the time.
    const workers = [db.startWorker({ ...FAULT_WORKER_ENV, WORKER_POLL_MS: "5" }), db.startWorker(FAULT_WORKER_ENV)];
    await Promise.all(workers.map((w) => w.waitForEvent("worker.started")));

    const ids = new Set<string>();
    const ctx = new RequestContext(db.dataSource, { kind: "system", name: "fault-test" }, systemClock);
    const queue = new SqlJobQueue(db.dataSource, systemClock);
    const startedAt = Date.now();
    // Enqueued in batches of 100 while the workers already claim: a queue that fills as it drains.
    for (let i = 0; i < JOBS; i += 100) {
      await ctx.transaction(async (tx) => {
        for (let j = 0; j < 100; j++) ids.add((await queue.enqueue(tx, TEST_JOBS.record, { delayMs: 1 }))!);
      });
    }
    await waitFor(async () => (await db.countJobs(JobStatus.DONE, TEST_JOBS.record)) >= JOBS, 120_000, 100);
    const seconds = (Date.now() - startedAt) / 1000;
    // Anything a worker still had in hand would show up as a late double.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const runs = await db.runs();
    const perJob = new Map<string, number>();
    for (const run of runs) perJob.set(run.jobId, (perJob.get(run.jobId) ?? 0) + 1);
    const doubles = [...perJob.values()].filter((n) => n > 1).length;
    const missing = [...ids].filter((id) => !perJob.has(id)).length;
    const byWorker = workers.map((w) => runs.filter((r) => r.pid === w.pid).length);
    printFigures("two workers, one queue", {
      jobs: JOBS,
      ran: perJob.size,
      doubles,
      missing,
      byWorker: byWorker.join("/"),
      jobsPerSecond: (JOBS / seconds).toFixed(0),
    });

    expect(doubles).toBe(0);
    expect(missing).toBe(0);
    expect(runs).toHaveLength(JOBS);
    expect(new Set(perJob.keys())).toEqual(ids);
    // Both took part, or the test proved nothing about two workers.
    expect(Math.min(...byWorker)).toBeGreaterThan(0);
    expect(await db.countJobs(JobStatus.RUNNING)).toBe(0);
  });
});
