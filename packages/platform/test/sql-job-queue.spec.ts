import { openTestDataSource, testDatabaseKinds, type TestDataSource } from "@honour/testing";
import { JobEntity, JobStatus, ManualClock, platformModule, SqlJobQueue, type ClaimedJob } from "../src";
import { findJob, systemContext } from "./job-fixtures";
import { jobQueueContract } from "./job-queue.contract";

const START = "2026-03-01T10:00:00.000Z";
const BACKOFF_BASE_MS = 1000;

jobQueueContract("sql");

/** What only the SQL queue can show: its rows, on a test clock. */
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

    it("does not claim a job whose runAt is in the future until it is due", async () => {
      const later = await enqueue("x", {}, { runAt: new Date(Date.parse(START) + 60_000) });
      expect(await queue.claim("w1", ["x"])).toBeNull();
      clock.advance(59_999);
      expect(await queue.claim("w1", ["x"])).toBeNull();
      clock.advance(1);
      expect((await queue.claim("w1", ["x"]))?.id).toBe(later);
    });

    if (kind === "mysql") {
      it("claims one job name while another name's claim holds its row lock", async () => {
        // The privacy job is due first, so a scan in runAt order meets it before the consent job.
        const privacy = await enqueue("privacy.export", {}, { runAt: new Date(Date.parse(START) - 2000) });
        const consent = await enqueue("consent.sync", {}, { runAt: new Date(Date.parse(START) - 1000) });
        // Hold the consent claim's transaction open between its locking read and its update.
        const claims = SqlJobQueue.prototype as unknown as { markRunning: (...args: unknown[]) => Promise<void> };
        const markRunning = claims.markRunning;
        let locked!: () => void;
        const lockTaken = new Promise<void>((resolve) => (locked = resolve));
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const spy = jest.spyOn(claims, "markRunning").mockImplementationOnce(async function (this: unknown, ...args) {
          locked();
          await held;
          return markRunning.apply(this, args);
        });
        const consentClaim = queue.claim("consent-worker", ["consent.sync"]);
        try {
          await lockTaken;
          const other = new SqlJobQueue(db.dataSource, clock);
          expect((await other.claim("privacy-worker", ["privacy.export"]))?.id).toBe(privacy);
          release();
          expect((await consentClaim)?.id).toBe(consent);
        } finally {
          release();
          await consentClaim.catch(() => null);
          spy.mockRestore();
        }
      });

      it("claims the oldest due job across several names, skipping a name whose jobs are all locked", async () => {
        const a = await enqueue("a", {}, { runAt: new Date(Date.parse(START) - 3000) });
        const b = await enqueue("b", {}, { runAt: new Date(Date.parse(START) - 2000) });
        const c = await enqueue("c", {}, { runAt: new Date(Date.parse(START) - 1000) });
        const claims = SqlJobQueue.prototype as unknown as { markRunning: (...args: unknown[]) => Promise<void> };
        const markRunning = claims.markRunning;
        let locked!: () => void;
        const lockTaken = new Promise<void>((resolve) => (locked = resolve));
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const spy = jest.spyOn(claims, "markRunning").mockImplementationOnce(async function (this: unknown, ...args) {
          locked();
          await held;
          return markRunning.apply(this, args);
        });
        const first = queue.claim("w1", ["a", "b", "c"]);
        try {
          await lockTaken;
          // "a" is the oldest but held by w1's claim: w2 takes the next oldest, of another name.
          expect((await new SqlJobQueue(db.dataSource, clock).claim("w2", ["a", "b", "c"]))?.id).toBe(b);
          release();
          expect((await first)?.id).toBe(a);
          expect((await queue.claim("w1", ["a", "b", "c"]))?.id).toBe(c);
        } finally {
          release();
          await first.catch(() => null);
          spy.mockRestore();
        }
      });
    }
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
  });
});
