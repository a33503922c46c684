import type { RequestContext } from "../context/request-context";

export interface EnqueueOptions {
  /** Run no earlier than this (default: now). */
  runAt?: Date;
  /** Attempts before the job is declared dead (default 5). */
  maxAttempts?: number;
  /** A job with this key is enqueued at most once, ever; later calls return null. */
  uniqueKey?: string;
}

/** A job a worker has claimed and must complete, fail or release. */
export interface ClaimedJob {
  id: string;
  name: string;
  payload: Record<string, unknown>;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

export type FailOutcome = "RETRY" | "DEAD";

/**
 * The one job queue contract (ARCHITECTURE.md). Both implementations keep each job's row in the
 * application database, written in the caller's transaction: {@link SqlJobQueue} also claims
 * from that table; {@link RedisJobQueue} (when `REDIS_URL` is set) hands jobs to BullMQ after the
 * commit and claims from Redis.
 */
export interface JobQueue {
  /** Enqueues in `ctx`'s transaction. Returns the job id, or null when `uniqueKey` was taken. */
  enqueue(
    ctx: RequestContext,
    name: string,
    payload: Record<string, unknown>,
    options?: EnqueueOptions,
  ): Promise<string | null>;
  /** Claims the next due job among `names` for `workerId`, or returns null. */
  claim(workerId: string, names: readonly string[]): Promise<ClaimedJob | null>;
  /** Proves the worker is alive; false when the job is no longer this worker's. */
  heartbeat(jobId: string, workerId: string): Promise<boolean>;
  complete(jobId: string, workerId: string): Promise<void>;
  /** Schedules a retry with exponential backoff, or marks the job dead after its last attempt. */
  fail(jobId: string, workerId: string, error: unknown): Promise<FailOutcome>;
  /** Gives a claimed job back without counting the attempt (graceful shutdown). */
  release(jobId: string, workerId: string): Promise<void>;
  /** Frees running jobs whose worker stopped heart-beating `staleAfterMs` ago. Returns how many. */
  reap(staleAfterMs: number): Promise<number>;
  /**
   * Recurring jobs, when the queue runs them itself (BullMQ job schedulers). Without it the runner
   * enqueues one job per period under the unique key `schedule:<job>:<period number>`.
   */
  schedule?(schedules: readonly ScheduleDefinition[]): Promise<void>;
  /** The queue's own upkeep, run by every runner's maintenance pass (the Redis queue's relay). */
  maintain?(): Promise<void>;
  /** Answers when the queue's store is reachable; throws otherwise (readiness checks). */
  ping?(): Promise<void>;
  /** Closes the queue's own connections (not the database's). */
  close?(): Promise<void>;
}

/** A job type a domain package can handle. */
export interface JobDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  maxAttempts?: number;
  handle(ctx: RequestContext, payload: P, job: ClaimedJob): Promise<void>;
}

/** A recurring job: enqueued once per period, whichever worker gets there first. */
export interface ScheduleDefinition {
  job: string;
  everyMs: number;
  payload?: Record<string, unknown>;
}
