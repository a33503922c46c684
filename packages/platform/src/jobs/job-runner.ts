import { hostname } from "node:os";
import type { DataSource } from "typeorm";
import type { Clock } from "../clock/clock";
import { RequestContext } from "../context/request-context";
import { randomToken } from "../crypto/crypto";
import type { Logger } from "../logging/logger";
import type { ClaimedJob, JobDefinition, JobQueue, ScheduleDefinition } from "./job-queue";

export interface JobRunnerOptions {
  workerId?: string;
  /** Wait between polls when the queue is empty (default 500 ms). */
  pollMs?: number;
  /** How often a running job proves its worker is alive (default 5 s). */
  heartbeatMs?: number;
  /** A running job not heart-beaten for this long is reaped (default 60 s). */
  staleAfterMs?: number;
  /** How long stop() waits for an in-flight job before releasing it (default 10 s). */
  shutdownGraceMs?: number;
}

/**
 * Claims and runs jobs one at a time, keeps the claimed job's heartbeat, reaps jobs of dead
 * workers and enqueues recurring jobs. Several runners (in several processes) can share a queue.
 */
export class JobRunner {
  readonly workerId: string;
  private readonly handlers = new Map<string, JobDefinition>();
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  private readonly shutdownGraceMs: number;
  private running = false;
  private loop?: Promise<void>;
  private stopping?: Promise<void>;
  private wake?: () => void;
  private current?: InFlight;
  private scheduled = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: JobQueue,
    private readonly clock: Clock,
    definitions: readonly JobDefinition[],
    private readonly schedules: readonly ScheduleDefinition[] = [],
    private readonly logger: Logger,
    options: JobRunnerOptions = {},
  ) {
    for (const definition of definitions) {
      if (this.handlers.has(definition.name)) throw new Error(`Job ${definition.name} is defined twice`);
      this.handlers.set(definition.name, definition);
    }
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomToken(4)}`;
    this.pollMs = options.pollMs ?? 500;
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    this.staleAfterMs = options.staleAfterMs ?? 60_000;
    this.shutdownGraceMs = options.shutdownGraceMs ?? 10_000;
  }

  get jobNames(): string[] {
    return [...this.handlers.keys()];
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops claiming; lets the in-flight job finish within the grace period, else releases it (the
   * attempt is not counted) and returns without waiting for its handler. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.loop!.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.shutdownGraceMs))),
    ]);
    clearTimeout(timer);
    if (finished) return;
    const current = this.current;
    if (!current) return;
    // Past the grace period: give the job back so another worker runs it, and leave the handler
    // behind; whatever it does later no longer touches the job.
    current.abandoned = true;
    clearInterval(current.heartbeat);
    await this.queue.release(current.job.id, this.workerId);
    this.logger.warn({ jobId: current.job.id, job: current.job.name }, "released an unfinished job at shutdown");
  }

  private async run(): Promise<void> {
    let lastMaintenance = 0;
    while (this.running) {
      try {
        if (Date.now() - lastMaintenance >= this.pollMs * 10) {
          lastMaintenance = Date.now();
          await this.maintain();
        }
        const worked = this.running && (await this.runOnce());
        if (!worked && this.running) await this.sleep(this.pollMs);
      } catch (error) {
        this.logger.error({ err: error }, "job loop failed; retrying");
        if (this.running) await this.sleep(this.pollMs * 4);
      }
    }
  }

  /**
   * Reaps jobs of dead workers, runs the queue's own upkeep and enqueues due recurring jobs (or,
   * on a queue with schedulers of its own, registers them once).
   */
  async maintain(): Promise<void> {
    const reaped = await this.queue.reap(this.staleAfterMs);
    if (reaped > 0) this.logger.warn({ reaped }, "freed jobs of workers that stopped");
    await this.queue.maintain?.();
    if (this.queue.schedule) {
      if (!this.scheduled) await this.queue.schedule(this.schedules);
      this.scheduled = true;
      return;
    }
    const now = this.clock.now().getTime();
    const ctx = new RequestContext(this.dataSource, { kind: "system", name: "scheduler" }, this.clock);
    for (const schedule of this.schedules) {
      const slot = Math.floor(now / schedule.everyMs);
      await this.queue.enqueue(ctx, schedule.job, schedule.payload ?? {}, {
        uniqueKey: `schedule:${schedule.job}:${slot}`,
        maxAttempts: 3,
      });
    }
  }

  /** Claims and runs one job. Returns false when there was nothing to do. */
  async runOnce(): Promise<boolean> {
    const job = await this.queue.claim(this.workerId, this.jobNames);
    if (!job) return false;
    if (this.stopping) {
      // stop() came while claiming: the job has not started, so hand it straight back.
      await this.queue.release(job.id, this.workerId);
      return true;
    }
    const current: InFlight = { job, abandoned: false, heartbeat: this.startHeartbeat(job) };
    this.current = current;
    try {
      await this.execute(current);
    } finally {
      clearInterval(current.heartbeat);
      if (this.current === current) this.current = undefined;
    }
    return true;
  }

  private startHeartbeat(job: ClaimedJob): NodeJS.Timeout {
    const heartbeat = setInterval(() => {
      this.queue.heartbeat(job.id, this.workerId).then(
        (ours) => {
          if (ours) return;
          // Reaped (this worker looked dead) and maybe running elsewhere: stop claiming it is alive.
          clearInterval(heartbeat);
          this.logger.warn({ jobId: job.id, job: job.name }, "lost a running job to the reaper");
        },
        (err) => this.logger.warn({ err, jobId: job.id }, "heartbeat failed"),
      );
    }, this.heartbeatMs);
    return heartbeat;
  }

  private async execute(current: InFlight): Promise<void> {
    const { job } = current;
    const definition = this.handlers.get(job.name);
    const started = Date.now();
    let failure: { error: unknown } | undefined;
    try {
      if (!definition) throw new Error(`No handler for job ${job.name}`);
      const ctx = new RequestContext(this.dataSource, { kind: "system", name: `job:${job.name}` }, this.clock);
      await definition.handle(ctx, job.payload, job);
    } catch (error) {
      failure = { error };
    } finally {
      clearInterval(current.heartbeat);
    }
    if (current.abandoned) {
      this.logger.warn({ jobId: job.id, job: job.name, failed: Boolean(failure) }, "a released job's handler ended");
      return;
    }
    if (!failure) {
      await this.queue.complete(job.id, this.workerId);
      this.logger.info({ jobId: job.id, job: job.name, attempt: job.attempt, ms: Date.now() - started }, "job done");
      return;
    }
    const outcome = await this.queue.fail(job.id, this.workerId, failure.error);
    const level = outcome === "DEAD" ? "error" : "warn";
    this.logger[level](
      { jobId: job.id, job: job.name, attempt: job.attempt, outcome, err: failure.error },
      "job failed",
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** The job a runner is executing, and whether stop() has already given it back. */
interface InFlight {
  job: ClaimedJob;
  heartbeat: NodeJS.Timeout;
  abandoned: boolean;
}
