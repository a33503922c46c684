import type { DataSource } from "typeorm";
import type { Clock } from "../clock/clock";
import type { HonourConfig } from "../config/config";
import type { JobDefinition, JobQueue, ScheduleDefinition } from "../jobs/job-queue";
import type { Logger } from "../logging/logger";

/** What every domain package is given to build its services. */
export interface Platform {
  config: HonourConfig;
  dataSource: DataSource;
  clock: Clock;
  jobs: JobQueue;
  logger: Logger;
}

/**
 * A domain package's contribution to the data source and the worker. Entities and migrations go
 * into the one DataSource; jobs and schedules into the worker.
 */
export interface DomainModuleDefinition {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
}

/** A domain package's services, built on a platform. */
export interface DomainModule extends DomainModuleDefinition {
  jobs: JobDefinition[];
  schedules: ScheduleDefinition[];
}
