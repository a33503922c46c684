import {
  createPlatform,
  openDataSource,
  isSchemaCurrent,
  JobRunner,
  silentLogger,
  createJobQueue,
  systemClock,
  ConfigException,
  type DataSourceParts,
  type DatabaseConfig,
  type HonourConfig,
  type JobDefinition,
  type Logger,
  type Platform,
  type ScheduleDefinition,
} from "@honour/platform";
import { createAppJobs, createAppServices, moduleDefinitions } from "@honour/composition";
import { SqlSecurityLog } from "@honour/stats";
import type { DataSource } from "typeorm";
import { DEFAULT_WORKER_SETTINGS, type WorkerSettings } from "./worker-config";

/** The jobs and schedules of every domain, each domain's services built once on the platform. */
function moduleJobs(platform: Platform): { jobs: JobDefinition[]; schedules: ScheduleDefinition[] }[] {
  return createAppJobs(platform, createAppServices(platform));
}

export interface StartWorkerOptions {
  /** Poll, heartbeat, stale and shutdown periods (default {@link DEFAULT_WORKER_SETTINGS}). */
  settings?: Partial<WorkerSettings>;
  logger?: Logger;
  /** Jobs beyond the modules' own; end-to-end tests add theirs here. */
  extraJobs?: (platform: Platform) => JobDefinition[];
  /** Aborting it gives up waiting for the database or the schema; startWorker then rejects. */
  signal?: AbortSignal;
}

export interface Worker {
  runner: JobRunner;
  platform: Platform;
  /** Stops claiming, lets the in-flight job finish (or releases it after the grace period), closes the pool. */
  stop(): Promise<void>;
}

/**
 * Connects to the database, waits until the schema is current (the worker never migrates: the
 * gateway or `npm run migrate` does), then claims and runs every module's jobs and schedules.
 */
export async function startWorker(config: HonourConfig, options: StartWorkerOptions = {}): Promise<Worker> {
  const settings = { ...DEFAULT_WORKER_SETTINGS, ...options.settings };
  const logger = options.logger ?? silentLogger;
  const dataSource = await connect(
    config.database,
    {
      entities: moduleDefinitions.flatMap((m) => m.entities),
      migrations: moduleDefinitions.flatMap((m) => m.migrations),
      // One job at a time, plus the heartbeat, the reaper and a handler's own transaction.
      poolSize: 4,
    },
    settings.schemaPollMs,
    logger,
    options.signal,
  );
  try {
    await waitForSchema(dataSource, settings.schemaPollMs, logger, options.signal);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    throw error;
  }

  const platform: Platform = createPlatform(config, dataSource, {
    clock: systemClock,
    jobs: createJobQueue(dataSource, systemClock, config.redisUrl, {
      backoffBaseMs: settings.backoffBaseMs,
      // A job's BullMQ lock outlives its heartbeats by the same margin as the SQL reaper's.
      lockMs: settings.staleAfterMs,
      logger,
    }),
    logger,
    securityLog: new SqlSecurityLog(),
  });
  const contributions = moduleJobs(platform);
  const jobs = [...contributions.flatMap((c) => c.jobs), ...(options.extraJobs?.(platform) ?? [])];
  const schedules = contributions.flatMap((c) => c.schedules);
  const runner = new JobRunner(dataSource, platform.jobs, systemClock, jobs, schedules, logger, {
    pollMs: settings.pollMs,
    heartbeatMs: settings.heartbeatMs,
    staleAfterMs: settings.staleAfterMs,
    shutdownGraceMs: settings.shutdownGraceMs,
  });
  runner.start();
  logger.info(
    {
      event: "worker.started",
      workerId: runner.workerId,
      jobs: runner.jobNames,
      schedules: schedules.map((s) => s.job),
    },
    "worker started",
  );

  let stopping: Promise<void> | undefined;
  return {
    runner,
    platform,
    stop: () =>
      (stopping ??= (async () => {
        await runner.stop();
        await platform.jobs.close?.();
        await platform.redis?.close();
        await dataSource.destroy();
        logger.info({ event: "worker.stopped", workerId: runner.workerId }, "worker stopped");
      })()),
  };
}

/**
 * Connects, retrying while the database is not reachable yet (it may start after the worker). An
 * unsupported server or a bad setting is no reason to wait: it is thrown at once.
 */
async function connect(
  database: DatabaseConfig,
  parts: DataSourceParts,
  retryMs: number,
  logger: Logger,
  signal?: AbortSignal,
): Promise<DataSource> {
  for (;;) {
    signal?.throwIfAborted();
    try {
      return (await openDataSource(database, parts, { logger })).dataSource;
    } catch (error) {
      if (error instanceof ConfigException) throw error;
      logger.error(
        { event: "database.unreachable", err: error, retryInMs: retryMs },
        "cannot connect to the database; retrying",
      );
    }
    await delay(retryMs, signal);
  }
}

async function waitForSchema(dataSource: DataSource, pollMs: number, logger: Logger, signal?: AbortSignal) {
  let told = false;
  for (;;) {
    signal?.throwIfAborted();
    if (await isSchemaCurrent(dataSource)) {
      if (told) logger.info({ event: "schema.current" }, "the database schema is current");
      return;
    }
    if (!told) {
      logger.warn(
        { event: "schema.waiting", pollMs },
        "waiting for the database schema: the worker never migrates; start the gateway or run `npm run migrate`",
      );
      told = true;
    }
    await delay(pollMs, signal);
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
