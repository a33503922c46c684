import { JobStatus } from "@honour/platform";
import { USERS_JOBS } from "@honour/users";
import { testDatabaseKinds } from "@honour/testing";
import { TEST_JOBS } from "../src/test-jobs";
import { waitFor, WorkerTestDatabase } from "./worker-process";

describe.each(testDatabaseKinds())("worker processes on %s", (kind) => {
  let db: WorkerTestDatabase;

  beforeEach(async () => {
    db = await WorkerTestDatabase.create(kind);
  });
  afterEach(() => db.close());

  it("waits for the schema without migrating, then runs jobs once it is migrated", async () => {
    const worker = db.startWorker();
    await worker.waitForEvent("schema.waiting");
    expect(await db.dataSource.query(kind === "mysql" ? "SHOW TABLES" : "SELECT name FROM sqlite_master")).toEqual([]);

    await db.migrate();
    await worker.waitForEvent("worker.started");
    const id = await db.enqueue(TEST_JOBS.record);
    await waitFor(async () => (await db.job(id!)).status === JobStatus.DONE);
    expect(await db.runs()).toEqual([{ jobId: id, pid: worker.pid, attempt: 1, event: "run" }]);
  });

  it("runs the users module's scheduled jobs", async () => {
    await db.migrate();
    const worker = db.startWorker();
    await worker.waitForEvent("worker.started");
    await waitFor(
      async () =>
        (await db.countJobs(JobStatus.DONE, USERS_JOBS.deleteExpiredSessions)) === 1 &&
        (await db.countJobs(JobStatus.DONE, USERS_JOBS.deleteStaleSignInAttempts)) === 1,
    );
  });

  it("never runs one job twice with two worker processes on one database", async () => {
    await db.migrate();
    const workers = [db.startWorker(), db.startWorker()];
    await Promise.all(workers.map((w) => w.waitForEvent("worker.started")));

    const JOBS = 150;
    const ids = new Set<string>();
    for (let i = 0; i < JOBS; i++) ids.add((await db.enqueue(TEST_JOBS.record, { delayMs: 2 }))!);
    await waitFor(async () => (await db.countJobs(JobStatus.DONE, TEST_JOBS.record)) >= JOBS, 30_000);

    const runs = await db.runs();
    expect(runs).toHaveLength(JOBS);
    expect(new Set(runs.map((r) => r.jobId))).toEqual(ids);
    expect(runs.every((r) => r.attempt === 1)).toBe(true);
    expect(new Set(runs.map((r) => r.pid))).toEqual(new Set(workers.map((w) => w.pid)));
  });

  it("runs a job again in another worker when its worker was killed, once its heartbeat is stale", async () => {
    await db.migrate();
    const workers = [db.startWorker(), db.startWorker()];
    await Promise.all(workers.map((w) => w.waitForEvent("worker.started")));

    const id = await db.enqueue(TEST_JOBS.sleep, { ms: 1200 });
    const first = await waitFor(async () => (await db.runs()).find((r) => r.jobId === id && r.event === "start"));
    const killed = workers.find((w) => w.pid === first.pid)!;
    const survivor = workers.find((w) => w !== killed)!;
    killed.kill("SIGKILL");
    expect(await killed.exited).toEqual({ code: null, signal: "SIGKILL" });
    const killedAt = Date.now();

    const job = await waitFor(async () => {
      const found = await db.job(id!);
      return found.status === JobStatus.DONE && found;
    });
    expect(job.attempts).toBe(2);
    expect(await db.runs()).toEqual([
      { jobId: id, pid: killed.pid, attempt: 1, event: "start" },
      { jobId: id, pid: survivor.pid, attempt: 2, event: "start" },
      { jobId: id, pid: survivor.pid, attempt: 2, event: "end" },
    ]);
    // Not before the stale period (400 ms) had passed, plus the 1200 ms the second run took.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1200);
  });

  it("backs a failing job off and ends it dead", async () => {
    await db.migrate();
    const worker = db.startWorker();
    await worker.waitForEvent("worker.started");

    const id = await db.enqueue(TEST_JOBS.fail, {}, { maxAttempts: 3 });
    const job = await waitFor(async () => {
      const found = await db.job(id!);
      return found.status === JobStatus.DEAD && found;
    });
    expect(job).toMatchObject({ attempts: 3, lockedBy: null });
    expect(job.lastError).not.toBeNull();
    expect((await db.runs()).map((r) => [r.attempt, r.event])).toEqual([
      [1, "fail"],
      [2, "fail"],
      [3, "fail"],
    ]);
  });

  it("on SIGTERM lets the in-flight job finish, then exits 0 leaving no running job", async () => {
    await db.migrate();
    const worker = db.startWorker();
    await worker.waitForEvent("worker.started");

    const id = await db.enqueue(TEST_JOBS.sleep, { ms: 300 });
    await waitFor(async () => (await db.runs()).some((r) => r.event === "start"));
    worker.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    expect((await db.job(id!)).status).toBe(JobStatus.DONE);
    expect((await db.runs()).map((r) => r.event)).toEqual(["start", "end"]);
    expect(await db.countJobs(JobStatus.RUNNING)).toBe(0);
    expect(worker.logs.some((l) => l.event === "worker.stopped")).toBe(true);
  });

  it("on SIGTERM gives back a job that outlasts the grace period and exits 0 without waiting for it", async () => {
    await db.migrate();
    const worker = db.startWorker({ WORKER_SHUTDOWN_GRACE_MS: "100" });
    await worker.waitForEvent("worker.started");

    const id = await db.enqueue(TEST_JOBS.sleep, { ms: 30_000 });
    await waitFor(async () => (await db.runs()).some((r) => r.event === "start"));
    const signalledAt = Date.now();
    worker.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(5000);

    expect(await db.job(id!)).toMatchObject({ status: JobStatus.PENDING, lockedBy: null, attempts: 0 });
    expect(await db.countJobs(JobStatus.RUNNING)).toBe(0);
  });

  it("on SIGTERM while waiting for the schema exits 0", async () => {
    const worker = db.startWorker();
    await worker.waitForEvent("schema.waiting");
    worker.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });
});

describe("worker configuration", () => {
  let db: WorkerTestDatabase;
  beforeAll(async () => {
    db = await WorkerTestDatabase.create("sqlite");
  });
  afterAll(() => db.close());

  it.each([
    ["HONOUR_WORKER_TEST_JOBS", { NODE_ENV: "development" }],
    ["WORKER_POLL_MS", { WORKER_POLL_MS: "soon" }],
    ["WORKER_STALE_AFTER_MS", { WORKER_STALE_AFTER_MS: "60", WORKER_HEARTBEAT_MS: "50" }],
    ["PORT", { PORT: "not-a-port" }],
  ])("exits 1 naming %s when it is invalid", async (variable, env) => {
    const worker = db.startWorker(env);
    expect(await worker.exited).toEqual({ code: 1, signal: null });
    expect(worker.stderr).toMatch(new RegExp(`^\\s+- ${variable} `, "m"));
    expect(worker.logs).toEqual([]);
  });

  it("never logs the secret", async () => {
    await db.migrate();
    const worker = db.startWorker({ LOG_LEVEL: "trace" });
    await worker.waitForEvent("worker.started");
    worker.kill("SIGTERM");
    await worker.exited;
    expect(worker.describe()).not.toContain("worker-e2e-secret-that-is-long-enough");
  });
});
