import type { DataSource, EntityManager } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import type { Clock } from "../clock/clock";
import type { RequestContext } from "../context/request-context";
import { newId } from "../crypto/crypto";
import { isMysql } from "../database/data-source";
import { isDuplicateKeyError } from "../database/duplicate-key";
import { JobEntity, JobStatus } from "./job.entity";
import type { ClaimedJob, EnqueueOptions, FailOutcome, JobQueue } from "./job-queue";

export interface SqlJobQueueOptions {
  /** Delay before the first retry; doubles on each further attempt (default 1 s). */
  backoffBaseMs?: number;
  /** Longest delay between attempts (default 1 h). */
  backoffMaxMs?: number;
  defaultMaxAttempts?: number;
}

/**
 * {@link JobQueue} on the `job` table. MySQL/MariaDB claim with `SELECT … FOR UPDATE SKIP LOCKED`
 * so that any number of workers share the table; SQLite has no row locks and claims with one
 * `UPDATE … WHERE id = (SELECT …) RETURNING id`, atomic under its single writer.
 */
export class SqlJobQueue implements JobQueue {
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly defaultMaxAttempts: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    options: SqlJobQueueOptions = {},
  ) {
    this.backoffBaseMs = options.backoffBaseMs ?? 1000;
    this.backoffMaxMs = options.backoffMaxMs ?? 3_600_000;
    this.defaultMaxAttempts = options.defaultMaxAttempts ?? 5;
  }

  async enqueue(
    ctx: RequestContext,
    name: string,
    payload: Record<string, unknown>,
    options: EnqueueOptions = {},
  ): Promise<string | null> {
    const job = this.newJob(name, payload, options);
    if (job.uniqueKey && (await ctx.manager.existsBy(JobEntity, { uniqueKey: job.uniqueKey }))) return null;
    try {
      await ctx.manager.insert(JobEntity, job as QueryDeepPartialEntity<JobEntity>);
    } catch (error) {
      // Lost a race for the same unique key: MySQL and SQLite roll back only the statement.
      if (job.uniqueKey && isDuplicateKeyError(error)) return null;
      throw error;
    }
    return job.id;
  }

  /** A new PENDING job row (not yet stored). */
  newJob(name: string, payload: Record<string, unknown>, options: EnqueueOptions = {}): JobEntity {
    const now = this.clock.now();
    return Object.assign(new JobEntity(), {
      id: newId(now.getTime()),
      name,
      payload,
      status: JobStatus.PENDING,
      attempts: 0,
      maxAttempts: options.maxAttempts ?? this.defaultMaxAttempts,
      runAt: options.runAt ?? now,
      lockedBy: null,
      heartbeatAt: null,
      lastError: null,
      uniqueKey: options.uniqueKey ?? null,
      createdAt: now,
      finishedAt: null,
    });
  }

  async claim(workerId: string, names: readonly string[]): Promise<ClaimedJob | null> {
    if (names.length === 0) return null;
    const now = this.clock.now();
    const id = isMysql(this.dataSource)
      ? await this.claimWithRowLock(workerId, names, now)
      : await this.claimSingleWriter(workerId, names, now);
    if (!id) return null;
    const job = await this.dataSource.manager.findOneByOrFail(JobEntity, { id });
    return { id: job.id, name: job.name, payload: job.payload, attempt: job.attempts, maxAttempts: job.maxAttempts };
  }

  /**
   * On InnoDB a locking read locks every index entry it reads, matching or not, until commit. So
   * the locking claim reads one name at a time through `IDX_job_claim_name`, and never touches the
   * rows of names other workers handle. The name is the one of the oldest due job, read first
   * without locks; if another worker holds all of that name's due jobs, the next name is tried.
   */
  private async claimWithRowLock(workerId: string, names: readonly string[], now: Date): Promise<string | null> {
    let candidates = [...new Set(names)];
    while (candidates.length > 0) {
      const name = candidates.length === 1 ? candidates[0] : await this.oldestDueName(candidates, now);
      if (!name) return null;
      const id = await retryOnLockConflict(() => this.claimNameWithRowLock(workerId, name, now));
      if (id) return id;
      candidates = candidates.filter((candidate) => candidate !== name);
    }
    return null;
  }

  /** The name of the oldest due job among `names`: a plain read, in `IDX_job_claim`'s order. */
  private async oldestDueName(names: readonly string[], now: Date): Promise<string | null> {
    const job = await this.dataSource.manager
      .createQueryBuilder(JobEntity, "job")
      .select(["job.id", "job.name"])
      .where("job.status = :status", { status: JobStatus.PENDING })
      .andWhere("job.runAt <= :now", { now })
      .andWhere("job.name IN (:...names)", { names })
      .orderBy("job.runAt", "ASC")
      .addOrderBy("job.id", "ASC")
      .limit(1)
      .getOne();
    return job?.name ?? null;
  }

  private claimNameWithRowLock(workerId: string, name: string, now: Date): Promise<string | null> {
    return this.dataSource.transaction(async (manager) => {
      const job = await manager
        .createQueryBuilder(JobEntity, "job")
        .select(["job.id"])
        .where("job.status = :status", { status: JobStatus.PENDING })
        .andWhere("job.name = :name", { name })
        .andWhere("job.runAt <= :now", { now })
        .orderBy("job.runAt", "ASC")
        .addOrderBy("job.id", "ASC") // ids are time-ordered: first in, first out at equal runAt
        .limit(1)
        .setLock("pessimistic_write")
        .setOnLocked("skip_locked")
        .getOne();
      if (!job) return null;
      await this.markRunning(manager, job.id, workerId, now);
      return job.id;
    });
  }

  private async claimSingleWriter(workerId: string, names: readonly string[], now: Date): Promise<string | null> {
    const at = sqliteDate(now);
    const rows: { id: string }[] = await this.dataSource.query(
      `UPDATE job SET status = ?, lockedBy = ?, heartbeatAt = ?, attempts = attempts + 1
       WHERE id = (SELECT id FROM job WHERE status = ? AND runAt <= ? AND name IN (${names.map(() => "?").join(", ")})
                   ORDER BY runAt, id LIMIT 1)
       RETURNING id`,
      [JobStatus.RUNNING, workerId, at, JobStatus.PENDING, at, ...names],
    );
    return rows[0]?.id ?? null;
  }

  private async markRunning(manager: EntityManager, id: string, workerId: string, now: Date): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(JobEntity)
      .set({ status: JobStatus.RUNNING, lockedBy: workerId, heartbeatAt: now, attempts: () => "attempts + 1" })
      .where("id = :id", { id })
      .execute();
  }

  async heartbeat(jobId: string, workerId: string): Promise<boolean> {
    const result = await retryOnLockConflict(() =>
      this.dataSource.manager.update(
        JobEntity,
        { id: jobId, lockedBy: workerId, status: JobStatus.RUNNING },
        { heartbeatAt: this.clock.now() },
      ),
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * Marks the job DONE. Its handler's work is committed by now, so a deadlock here (MariaDB picks
   * one when another worker's claim scans the same index entries) is retried: given up, the job
   * would stay RUNNING without a heartbeat and be run a second time once reaped.
   */
  async complete(jobId: string, workerId: string): Promise<void> {
    await retryOnLockConflict(() =>
      this.dataSource.manager.update(
        JobEntity,
        { id: jobId, lockedBy: workerId, status: JobStatus.RUNNING },
        { status: JobStatus.DONE, lockedBy: null, finishedAt: this.clock.now() },
      ),
    );
  }

  fail(jobId: string, workerId: string, error: unknown): Promise<FailOutcome> {
    return retryOnLockConflict(() => this.failOnce(jobId, workerId, error));
  }

  private async failOnce(jobId: string, workerId: string, error: unknown): Promise<FailOutcome> {
    const held = { id: jobId, lockedBy: workerId, status: JobStatus.RUNNING };
    const job = await this.dataSource.manager.findOneBy(JobEntity, held);
    if (!job) return "RETRY"; // reaped meanwhile: the reaper already decided its fate
    const now = this.clock.now();
    const lastError = describeError(error);
    if (job.attempts >= job.maxAttempts) {
      await this.dataSource.manager.update(JobEntity, held, {
        status: JobStatus.DEAD,
        lockedBy: null,
        lastError,
        finishedAt: now,
      });
      return "DEAD";
    }
    await this.dataSource.manager.update(JobEntity, held, {
      status: JobStatus.PENDING,
      lockedBy: null,
      lastError,
      runAt: new Date(now.getTime() + this.backoffMs(job.attempts)),
    });
    return "RETRY";
  }

  /** Exponential backoff: base, 2×base, 4×base … capped, plus up to 10 % jitter. */
  backoffMs(attempt: number): number {
    const delay = Math.min(this.backoffBaseMs * 2 ** Math.max(0, attempt - 1), this.backoffMaxMs);
    return Math.round(delay * (1 + Math.random() * 0.1));
  }

  async release(jobId: string, workerId: string): Promise<void> {
    await retryOnLockConflict(() =>
      this.dataSource.manager
        .createQueryBuilder()
        .update(JobEntity)
        .set({ status: JobStatus.PENDING, lockedBy: null, heartbeatAt: null, attempts: () => "attempts - 1" })
        .where("id = :jobId AND lockedBy = :workerId AND status = :status", {
          jobId,
          workerId,
          status: JobStatus.RUNNING,
        })
        .execute(),
    );
  }

  async reap(staleAfterMs: number): Promise<number> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - staleAfterMs);
    let freed = 0;
    // The attempt that died counts: a job that kills its worker every time ends dead, not looping.
    for (const [status, condition] of [
      [JobStatus.DEAD, "attempts >= maxAttempts"],
      [JobStatus.PENDING, "attempts < maxAttempts"],
    ] as const) {
      const result = await this.dataSource.manager
        .createQueryBuilder()
        .update(JobEntity)
        .set({
          status,
          lockedBy: null,
          lastError: "the worker stopped heart-beating",
          ...(status === JobStatus.DEAD ? { finishedAt: now } : { runAt: now }),
        })
        .where("status = :running AND heartbeatAt < :cutoff", { running: JobStatus.RUNNING, cutoff })
        .andWhere(condition)
        .execute();
      freed += result.affected ?? 0;
    }
    return freed;
  }
}

/** TypeORM's SQLite text format for datetime columns (UTC). */
function sqliteDate(date: Date): string {
  return date.toISOString().replace("T", " ").replace("Z", "");
}

/**
 * Runs `attempt` again, up to 5 times with a short growing pause, when MySQL/MariaDB chose it as
 * a deadlock victim or it waited too long for a row lock: each statement here is safe to repeat
 * (a conditional update of one job, or a whole claim transaction, which the server rolled back).
 */
async function retryOnLockConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (retry >= 5 || !isLockConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** retry + Math.random() * 5));
    }
  }
}

function isLockConflict(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? "";
  return code === "ER_LOCK_DEADLOCK" || code === "ER_LOCK_WAIT_TIMEOUT";
}

/** Stored on the job; kept short, with no stack (payload data may appear in stacks). */
function describeError(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return message.slice(0, 2000);
}
