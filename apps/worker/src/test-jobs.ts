import { setTimeout as sleep } from "node:timers/promises";
import type { JobDefinition } from "@honour/platform";

/**
 * Jobs that exist only for the worker's end-to-end tests, registered when
 * `HONOUR_WORKER_TEST_JOBS=true` and NODE_ENV=test (the worker refuses the variable otherwise).
 * Each run leaves a row in `test_job_run`, a table the test creates in its throwaway database,
 * so a test can tell which process ran which job, how often, and whether it finished.
 */
export const TEST_JOBS = Object.freeze({
  /** Records one run; `{ delayMs }` first waits that long. */
  record: "test.record",
  /** Records the attempt, then throws. */
  fail: "test.fail",
  /** Records its start, sleeps `{ ms }`, records its end. */
  sleep: "test.sleep",
});

export type TestJobRunEvent = "run" | "fail" | "start" | "end";

export function testJobs(): JobDefinition[] {
  const record = (
    ctx: Parameters<JobDefinition["handle"]>[0],
    jobId: string,
    attempt: number,
    event: TestJobRunEvent,
  ) =>
    ctx.manager.query("INSERT INTO test_job_run (jobId, pid, attempt, event) VALUES (?, ?, ?, ?)", [
      jobId,
      process.pid,
      attempt,
      event,
    ]);
  return [
    {
      name: TEST_JOBS.record,
      handle: async (ctx, payload, job) => {
        if (typeof payload.delayMs === "number") await sleep(payload.delayMs);
        await record(ctx, job.id, job.attempt, "run");
      },
    },
    {
      name: TEST_JOBS.fail,
      handle: async (ctx, _payload, job) => {
        await record(ctx, job.id, job.attempt, "fail");
        throw new Error("test.fail always fails");
      },
    },
    {
      name: TEST_JOBS.sleep,
      handle: async (ctx, payload, job) => {
        await record(ctx, job.id, job.attempt, "start");
        await sleep(typeof payload.ms === "number" ? payload.ms : 1000);
        await record(ctx, job.id, job.attempt, "end");
      },
    },
  ];
}

/** DDL for the table the test jobs write to; portable across SQLite and MySQL/MariaDB. */
export const TEST_JOB_RUN_TABLE =
  "CREATE TABLE test_job_run (jobId varchar(36) NOT NULL, pid int NOT NULL, attempt int NOT NULL, event varchar(8) NOT NULL)";
