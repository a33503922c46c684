import type { Job, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { In, LessThanOrEqual, type DataSource, type EntitySubscriberInterface, type QueryRunner } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import type { Clock } from "../clock/clock";
import type { RequestContext } from "../context/request-context";
import { randomToken } from "../crypto/crypto";
import { isDuplicateKeyError } from "../database/duplicate-key";
import { silentLogger, type Logger } from "../logging/logger";
import { JobOutboxEntity } from "./job-outbox.entity";
import { JobEntity, JobStatus } from "./job.entity";
import type { ClaimedJob, EnqueueOptions, FailOutcome, JobQueue, ScheduleDefinition } from "./job-queue";
import { SqlJobQueue, type SqlJobQueueOptions } from "./sql-job-queue";

export interface RedisJobQueueOptions extends SqlJobQueueOptions {
  /** BullMQ's key prefix (default `honour`): several sites, or test runs, can share one Redis. */
  prefix?: string;
  /**
   * How long a claimed job's lock lives without a heartbeat (BullMQ's `lockDuration`, default
   * 60 s): the runner's `staleAfterMs`. A job whose lock expired is freed by the next reaps.
   */
  lockMs?: number;
  /** An outbox row this old is relayed by the maintenance pass (default 5 s). */
  relayAfterMs?: number;
  /**
   * Longest a commit waits to hand its jobs to Redis, and a readiness ping waits for an answer
   * (default 1 s). Past it the outbox keeps the job for the relay: a Redis outage slows nothing down.
   */
  redisTimeoutMs?: number;
  logger?: Logger;
}

/** What a BullMQ job carries: nothing personal. The payload stays in the `job` row. */
interface BullJobData {
  /** Set on the jobs of a BullMQ job scheduler, which have no `job` row until claimed. */
  schedule?: { everyMs: number; payload: Record<string, unknown> };
}

/**
 * BullMQ and ioredis, loaded on first use: they add a second to every process's start-up, and
 * only sites with `REDIS_URL` need them.
 */
const redisModules = () => ({
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  bullmq: require("bullmq") as typeof import("bullmq"),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ioredis: require("ioredis") as typeof import("ioredis"),
});

/** A job this process has claimed from BullMQ: its lock token and the BullMQ job. */
interface Held {
  workerId: string;
  token: string;
  job: Job<BullJobData>;
  /** Redis's epoch key when the job was claimed (null when unset or unreadable): a new one means Redis lost its data since. */
  epoch: string | null;
}

const EPOCH_KEY = "epoch";

/**
 * {@link JobQueue} on BullMQ. Each job keeps its `job` row, written in the caller's transaction
 * with a `job_outbox` row beside it; after the commit the job goes to BullMQ (job id = row id) and
 * the outbox row is deleted. A job therefore never runs before its transaction commits, is gone
 * with a rollback, and survives a crash between commit and hand-over (the maintenance pass relays
 * outbox rows left behind). The `job` row stays the record other packages read and erase: a
 * claim takes the row (attempts, RUNNING), and a BullMQ job whose row is gone, done or dead is
 * dropped. Claims, delays, back-off, heartbeats (lock extension), stalled-job recovery and
 * recurring jobs (job schedulers) run on Redis; the database sees no polling and no row locks.
 *
 * One BullMQ queue per job name, so a worker claims only the jobs it handles.
 */
export class RedisJobQueue implements JobQueue {
  private readonly sql: SqlJobQueue;
  private readonly prefix: string;
  private readonly lockMs: number;
  private readonly relayAfterMs: number;
  private readonly redisTimeoutMs: number;
  private readonly logger: Logger;
  /** Enqueues and relays: fails fast while Redis is down, so a request never waits on it. */
  private readonly producer: Redis;
  /**
   * Claims and job moves; BullMQ's workers need commands that wait out a reconnection. Opened on
   * the first claim: a gateway only enqueues.
   */
  private consumerConnection?: Redis;
  private readonly redisUrl: string;
  private readonly queues = new Map<string, Queue<BullJobData>>();
  private readonly workers = new Map<string, Worker<BullJobData>>();
  private readonly held = new Map<string, Held>();
  /** The jobs each open transaction enqueued through this queue, handed to Redis once it commits. */
  private readonly outboxed = new WeakMap<QueryRunner, JobOutboxEntity[]>();
  private readonly subscriber: EntitySubscriberInterface;
  private schedules: readonly ScheduleDefinition[] = [];
  private nextName = 0;
  private closed = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    redisUrl: string,
    options: RedisJobQueueOptions = {},
  ) {
    this.sql = new SqlJobQueue(dataSource, clock, options);
    this.prefix = options.prefix ?? "honour";
    this.lockMs = options.lockMs ?? 60_000;
    this.relayAfterMs = options.relayAfterMs ?? 5000;
    this.redisTimeoutMs = options.redisTimeoutMs ?? 1000;
    this.logger = options.logger ?? silentLogger;
    this.redisUrl = redisUrl;
    this.producer = this.connect(1, "honour-producer");
    this.subscriber = {
      afterTransactionCommit: (event) => this.afterCommit(event.queryRunner),
      afterTransactionRollback: (event) => {
        if (!event.queryRunner.isTransactionActive) this.outboxed.delete(event.queryRunner);
      },
    };
    dataSource.subscribers.push(this.subscriber);
  }

  async enqueue(
    ctx: RequestContext,
    name: string,
    payload: Record<string, unknown>,
    options: EnqueueOptions = {},
  ): Promise<string | null> {
    const write = async (tx: RequestContext): Promise<JobOutboxEntity | null> => {
      const id = await this.sql.enqueue(tx, name, payload, options);
      if (!id) return null;
      const now = this.clock.now();
      const outbox = Object.assign(new JobOutboxEntity(), { id, name, runAt: options.runAt ?? now, createdAt: now });
      await tx.manager.insert(JobOutboxEntity, outbox as QueryDeepPartialEntity<JobOutboxEntity>);
      return outbox;
    };
    if (ctx.inTransaction) {
      const outbox = await write(ctx);
      if (!outbox) return null;
      const runner = ctx.manager.queryRunner!;
      const pending = this.outboxed.get(runner) ?? [];
      pending.push(outbox);
      this.outboxed.set(runner, pending);
      return outbox.id;
    }
    // Its own transaction, so the job row and its outbox row land together; then straight to Redis.
    const outbox = await ctx.transaction(write);
    if (!outbox) return null;
    await this.relay([outbox]);
    return outbox.id;
  }

  private async afterCommit(runner: QueryRunner): Promise<void> {
    if (runner.isTransactionActive) return; // a savepoint was released: the outer one has not committed
    const outboxed = this.outboxed.get(runner);
    if (!outboxed) return;
    this.outboxed.delete(runner);
    await this.relay(outboxed);
  }

  /**
   * Hands outbox rows to BullMQ, then deletes them. Never throws: a row Redis did not take stays
   * for the maintenance pass. Adding a job id BullMQ already holds adds nothing.
   */
  private async relay(rows: readonly JobOutboxEntity[]): Promise<number> {
    if (rows.length === 0 || this.closed) return 0;
    const relayed: string[] = [];
    const clockNow = this.clock.now().getTime();
    for (const row of rows) {
      try {
        const delay = Math.max(0, row.runAt.getTime() - clockNow);
        await this.withinTimeout(this.queue(row.name).add(row.name, {}, this.jobOptions(row.id, delay)));
        relayed.push(row.id);
      } catch (err) {
        this.logger.warn(
          { event: "jobs.relay.failed", jobId: row.id, err },
          "could not hand a job to Redis; the relay retries",
        );
        break; // Redis is down or slow: the rest wait for the relay too
      }
    }
    if (relayed.length > 0) {
      try {
        await this.dataSource.manager.delete(JobOutboxEntity, { id: In(relayed) });
      } catch (err) {
        // Relayed again later, which adds nothing: BullMQ's job id is the row id.
        this.logger.warn({ event: "jobs.relay.cleanup-failed", err }, "could not delete relayed outbox rows");
      }
    }
    return relayed.length;
  }

  private jobOptions(jobId: string, delay: number) {
    return {
      jobId,
      delay,
      // Attempts and back-off are counted on the job row; BullMQ fails a job only when told to.
      attempts: 1,
      removeOnComplete: true,
      // Dead jobs stay inspectable in BullMQ's failed set for a week (their rows say why).
      removeOnFail: { age: 7 * 24 * 3600 },
      stackTraceLimit: 0,
    };
  }

  /**
   * Relays outbox rows older than `relayAfterMs` (their transaction's own relay did not happen),
   * and, when Redis has lost its data (restarted without persistence), every pending or running
   * job again. Returns how many jobs were handed to Redis.
   */
  async relayPending(olderThanMs = this.relayAfterMs): Promise<number> {
    let relayed = 0;
    const cutoff = new Date(this.clock.now().getTime() - olderThanMs);
    for (;;) {
      const rows = await this.dataSource.manager.find(JobOutboxEntity, {
        where: { createdAt: LessThanOrEqual(cutoff) },
        order: { createdAt: "ASC" },
        take: 500,
      });
      const done = await this.relay(rows);
      relayed += done;
      if (rows.length < 500 || done === 0) break;
    }
    relayed += await this.resyncAfterDataLoss();
    return relayed;
  }

  /**
   * Redis restarted empty (the epoch key this queue sets is gone): queue every PENDING and RUNNING
   * job row again. A running job's holder may still be alive, so its copy waits one lock period;
   * claiming its row again counts an attempt, as a reaped job's does.
   */
  private async resyncAfterDataLoss(): Promise<number> {
    const key = `${this.prefix}:${EPOCH_KEY}`;
    const fresh = await this.withinTimeout(this.producer.set(key, randomToken(8), "NX"));
    if (fresh !== "OK") return 0;
    const rows = await this.dataSource.manager.find(JobEntity, {
      select: { id: true, name: true, status: true, runAt: true },
      where: { status: In([JobStatus.PENDING, JobStatus.RUNNING]) },
    });
    // The schedulers went with the data too.
    if (this.schedules.length > 0) await this.schedule(this.schedules);
    if (rows.length === 0) return 0;
    const now = this.clock.now().getTime();
    let queued = 0;
    for (const row of rows) {
      const delay = row.status === JobStatus.RUNNING ? this.lockMs : Math.max(0, row.runAt.getTime() - now);
      try {
        await this.withinTimeout(this.queue(row.name).add(row.name, {}, this.jobOptions(row.id, delay)));
        queued += 1;
      } catch (err) {
        await this.producer.del(key).catch(() => undefined); // try the whole resync again next time
        throw err;
      }
    }
    this.logger.warn(
      { event: "jobs.redis.resynced", jobs: queued },
      "Redis had lost its jobs: queued them again from the database",
    );
    return queued;
  }

  async claim(workerId: string, names: readonly string[]): Promise<ClaimedJob | null> {
    if (names.length === 0 || this.closed) return null;
    // Round-robin over the names, so one busy job type does not starve the others.
    const start = this.nextName++ % names.length;
    for (let i = 0; i < names.length; i++) {
      const name = names[(start + i) % names.length];
      for (;;) {
        const token = `${workerId}:${randomToken(6)}`;
        const job = (await this.worker(name).getNextJob(token, { block: false })) as Job<BullJobData> | undefined;
        if (!job) break;
        const claimed = await this.take(job, token, workerId);
        if (claimed) return claimed;
      }
    }
    return null;
  }

  /** Takes the `job` row of a BullMQ job this worker now holds; null when the job is to be dropped. */
  private async take(job: Job<BullJobData>, token: string, workerId: string): Promise<ClaimedJob | null> {
    const row = job.data.schedule
      ? await this.scheduledRow(job)
      : await this.dataSource.manager.findOneBy(JobEntity, { id: job.id! });
    if (!row || row.status === JobStatus.DONE || row.status === JobStatus.DEAD) {
      // Erased, finished elsewhere, relayed twice, or a schedule's period that already ran.
      await job.moveToCompleted(null, token, false).catch(() => undefined);
      return null;
    }
    const id = row.id;
    if (row.status === JobStatus.RUNNING && this.heldElsewhere(row)) {
      // Its holder is alive and heart-beating in the row (its BullMQ lock went with Redis's data):
      // look again in a lock period; it is dropped then if it finished, taken if its holder died.
      await job.moveToDelayed(Date.now() + this.lockMs, token).catch(() => undefined);
      return null;
    }
    if (row.status === JobStatus.RUNNING && row.attempts >= row.maxAttempts) {
      // Its holder died on the last attempt (BullMQ found the job stalled): dead, as the SQL reaper decides.
      const dead = await this.dataSource.manager.update(
        JobEntity,
        { id, status: JobStatus.RUNNING, attempts: row.attempts },
        {
          status: JobStatus.DEAD,
          lockedBy: null,
          lastError: "the worker stopped heart-beating",
          finishedAt: this.clock.now(),
        },
      );
      if ((dead.affected ?? 0) > 0)
        await job.moveToFailed(new Error("dead: see the job row"), token).catch(() => undefined);
      return null;
    }
    const now = this.clock.now();
    const taken = await this.dataSource.manager.update(
      JobEntity,
      { id, status: row.status, attempts: row.attempts },
      { status: JobStatus.RUNNING, lockedBy: workerId, heartbeatAt: now, attempts: row.attempts + 1 },
    );
    if ((taken.affected ?? 0) === 0) {
      // The row changed under us (erased or finished meanwhile): look again next time.
      await job.moveToDelayed(Date.now() + 1000, token).catch(() => undefined);
      return null;
    }
    this.held.set(id, { workerId, token, job, epoch: await this.epoch() });
    return { id, name: row.name, payload: row.payload, attempt: row.attempts + 1, maxAttempts: row.maxAttempts };
  }

  /**
   * The `job` row of a scheduler's job, under the unique key the SQL runner gives each period
   * (`schedule:<job>:<period number>`): made on the first claim, found again when the job is
   * claimed a second time (its first worker died).
   */
  private async scheduledRow(job: Job<BullJobData>): Promise<JobEntity | null> {
    const { everyMs, payload } = job.data.schedule!;
    // A scheduler's job id ends with the time it is due.
    const at = Number(String(job.id).split(":").pop()) || job.timestamp;
    const uniqueKey = `schedule:${job.name}:${Math.floor(at / everyMs)}`;
    const existing = await this.dataSource.manager.findOneBy(JobEntity, { uniqueKey });
    if (existing) return existing;
    const row = this.sql.newJob(job.name, payload, { uniqueKey, maxAttempts: 3 });
    try {
      await this.dataSource.manager.insert(JobEntity, row as QueryDeepPartialEntity<JobEntity>);
      return row;
    } catch (error) {
      if (isDuplicateKeyError(error)) return this.dataSource.manager.findOneBy(JobEntity, { uniqueKey });
      throw error;
    }
  }

  /**
   * Extends the job's BullMQ lock. When the lock went with Redis's data (Redis restarted empty or
   * is unreachable: its epoch key is not the one seen at the claim) and the row still says this
   * worker runs it, the heartbeat goes to the row instead (`heartbeatAt`) and the job stays this
   * worker's: the copy the resync queued is held back while that heartbeat is fresh (see `take`),
   * so a job longer than the lock period does not run twice. Only such jobs cost a database write
   * per heartbeat. A lock lost in the same Redis means BullMQ freed the job as stalled (this
   * worker looked dead, as the SQL reaper decides): false, the job is no longer this worker's.
   */
  async heartbeat(jobId: string, workerId: string): Promise<boolean> {
    const held = this.held.get(jobId);
    if (!held || held.workerId !== workerId) return false;
    try {
      if (await held.job.extendLock(held.token, this.lockMs)) return true;
    } catch {
      // Redis unreachable: its epoch cannot be read either, and the row keeps the heartbeat meanwhile.
    }
    if (held.epoch === null || (await this.epoch()) === held.epoch) return false;
    try {
      const kept = await this.dataSource.manager.update(
        JobEntity,
        { id: jobId, status: JobStatus.RUNNING, lockedBy: workerId },
        { heartbeatAt: this.clock.now() },
      );
      return (kept.affected ?? 0) > 0;
    } catch {
      return false;
    }
  }

  async complete(jobId: string, workerId: string): Promise<void> {
    const held = this.heldBy(jobId, workerId);
    if (!held) return;
    await this.sql.complete(jobId, workerId);
    this.held.delete(jobId);
    // A lock lost meanwhile (Redis restarted, or the job looked stalled) leaves a copy that the
    // next claim drops: its row is DONE.
    await held.job.moveToCompleted(null, held.token, false).catch((err) => this.lostLock(jobId, err));
  }

  async fail(jobId: string, workerId: string, error: unknown): Promise<FailOutcome> {
    const held = this.heldBy(jobId, workerId);
    if (!held) return "RETRY";
    const outcome = await this.sql.fail(jobId, workerId, error);
    this.held.delete(jobId);
    if (outcome === "DEAD") {
      // No message: it may hold personal data, and Redis is not erased; the row keeps it.
      await held.job
        .moveToFailed(new Error("dead: see the job row"), held.token)
        .catch((err) => this.lostLock(jobId, err));
      return outcome;
    }
    const row = await this.dataSource.manager.findOneBy(JobEntity, { id: jobId });
    const runAt = row?.status === JobStatus.PENDING ? row.runAt.getTime() : this.clock.now().getTime();
    const delay = Math.max(0, runAt - this.clock.now().getTime());
    await held.job.moveToDelayed(Date.now() + delay, held.token).catch((err) => this.lostLock(jobId, err));
    return outcome;
  }

  async release(jobId: string, workerId: string): Promise<void> {
    const held = this.heldBy(jobId, workerId);
    if (!held) return;
    await this.sql.release(jobId, workerId);
    this.held.delete(jobId);
    await held.job.moveToWait(held.token).catch((err) => this.lostLock(jobId, err));
  }

  /**
   * Frees jobs whose lock expired (their worker stopped heart-beating for `lockMs`): BullMQ marks
   * active jobs on one pass and moves those still unlocked on the next, so a stale job is freed
   * within two passes. The `job` row is settled when the job is claimed again.
   */
  async reap(_staleAfterMs: number): Promise<number> {
    let freed = 0;
    for (const worker of this.workers.values()) {
      const backend = (worker as unknown as { backend: { moveStalledJobsToWait(): Promise<string[]> } }).backend;
      freed += (await backend.moveStalledJobsToWait()).length;
    }
    return freed;
  }

  /** Registers (or updates) one BullMQ job scheduler per recurring job. */
  async schedule(schedules: readonly ScheduleDefinition[]): Promise<void> {
    this.schedules = schedules;
    for (const schedule of schedules) {
      await this.queue(schedule.job).upsertJobScheduler(
        `schedule:${schedule.job}`,
        { every: schedule.everyMs },
        {
          name: schedule.job,
          data: { schedule: { everyMs: schedule.everyMs, payload: schedule.payload ?? {} } },
          opts: { attempts: 1, removeOnComplete: true, removeOnFail: { age: 7 * 24 * 3600 } },
        },
      );
    }
  }

  async maintain(): Promise<void> {
    const relayed = await this.relayPending();
    if (relayed > 0) this.logger.info({ event: "jobs.relayed", jobs: relayed }, "relayed jobs to Redis");
  }

  async ping(): Promise<void> {
    await this.withinTimeout(this.producer.ping());
  }

  /** `work`, or a rejection once `redisTimeoutMs` has passed (the work may still finish later). */
  private withinTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${this.redisTimeoutMs} ms`)),
        this.redisTimeoutMs,
      );
    });
    work.catch(() => undefined); // a late failure after the timeout is no unhandled rejection
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const index = this.dataSource.subscribers.indexOf(this.subscriber);
    if (index >= 0) this.dataSource.subscribers.splice(index, 1);
    await Promise.all([...this.workers.values()].map((w) => w.close(true).catch(() => undefined)));
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.producer.disconnect();
    this.consumerConnection?.disconnect();
  }

  /** The BullMQ queue of a job name (enqueueing side). */
  queue(name: string): Queue<BullJobData> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new (redisModules().bullmq.Queue)<BullJobData>(name, { connection: this.producer, prefix: this.prefix });
      queue.on("error", (err) => this.logger.debug({ event: "redis.error", err }, "BullMQ queue error"));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** The BullMQ worker of a job name, used only to fetch and move jobs by hand. */
  private worker(name: string): Worker<BullJobData> {
    let worker = this.workers.get(name);
    if (!worker) {
      worker = new (redisModules().bullmq.Worker)<BullJobData>(name, null, {
        connection: (this.consumerConnection ??= this.connect(null, "honour-consumer")),
        prefix: this.prefix,
        autorun: false,
        lockDuration: this.lockMs,
        // Each reap is a full pass; the runner decides how often it reaps.
        stalledInterval: 1,
        // The job row counts attempts, including the ones that died: BullMQ never fails a stalled job itself.
        maxStalledCount: Number.MAX_SAFE_INTEGER,
      });
      worker.on("error", (err) => this.logger.debug({ event: "redis.error", err }, "BullMQ worker error"));
      this.workers.set(name, worker);
    }
    return worker;
  }

  private connect(maxRetriesPerRequest: number | null, connectionName: string): Redis {
    const connection = new (redisModules().ioredis.Redis)(this.redisUrl, {
      maxRetriesPerRequest,
      connectionName,
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    connection.on("error", (err) => this.logger.debug({ event: "redis.error", err }, "redis connection error"));
    return connection;
  }

  /**
   * Whether a RUNNING row's holder heart-beat in the row within the lock period. A claim stamps
   * `heartbeatAt` and BullMQ frees a job only a lock period after its last lock extension, so a
   * holder that died has a heartbeat about that old (a few milliseconds younger at worst, or older
   * by the clocks' skew: its job then waits one lock period more); only {@link heartbeat}'s
   * fallback keeps it fresh.
   */
  private heldElsewhere(row: JobEntity): boolean {
    if (!row.lockedBy || !row.heartbeatAt) return false;
    return this.clock.now().getTime() - row.heartbeatAt.getTime() < this.lockMs;
  }

  /** The epoch key's value (see `resyncAfterDataLoss`); null when it is unset or Redis does not answer. */
  private async epoch(): Promise<string | null> {
    try {
      return await this.withinTimeout(this.producer.get(`${this.prefix}:${EPOCH_KEY}`));
    } catch {
      return null;
    }
  }

  private heldBy(jobId: string, workerId: string): Held | undefined {
    const held = this.held.get(jobId);
    return held && held.workerId === workerId ? held : undefined;
  }

  private lostLock(jobId: string, err: unknown): void {
    this.logger.warn({ event: "jobs.lock-lost", jobId, err }, "the job's BullMQ lock was lost; its row decides");
  }
}
