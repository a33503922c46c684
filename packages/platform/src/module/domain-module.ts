import type { DataSource } from "typeorm";
import type { Clock } from "../clock/clock";
import type { HonourConfig } from "../config/config";
import type { JobDefinition, JobQueue, ScheduleDefinition } from "../jobs/job-queue";
import type { Logger } from "../logging/logger";
import { DomainEvents } from "../events/domain-events";
import { noopSecurityLog, type SecurityLog } from "../security/security-log";
import { SqlAuditLog, type AuditLog } from "../audit/audit-log";
import { PersonalDataRegistry } from "../privacy/personal-data";
import { MailPersonalData } from "../jobs/mail-personal-data.service";
import { SharedRedis } from "../redis/shared-redis";

/** What every domain package is given to build its services. */
export interface Platform {
  config: HonourConfig;
  dataSource: DataSource;
  clock: Clock;
  jobs: JobQueue;
  logger: Logger;
  /** Synchronous reactions between domains; see {@link DomainEvents}. */
  events: DomainEvents;
  /** Where sign-in, throttling, partner key use and staff actions are recorded (stats implements it). */
  securityLog: SecurityLog;
  /** Staff reads of a person, exports, role and key changes (ADMIN reads it). */
  audit: AuditLog;
  /**
   * Every domain's {@link PersonalDataContributor}; data export and account closure go through
   * it. Each domain registers its own in its services factory.
   */
  personalData: PersonalDataRegistry;
  /** The Redis every gateway shares state in, when `REDIS_URL` is set (docs/scaling.md). */
  redis?: SharedRedis;
}

/** Builds the platform object the apps hand to every domain package. */
export function createPlatform(
  config: HonourConfig,
  dataSource: DataSource,
  options: { clock: Clock; logger: Logger; jobs: JobQueue; securityLog?: SecurityLog; audit?: AuditLog },
): Platform {
  // The platform's own contributor comes first, so it erases last.
  const personalData = new PersonalDataRegistry();
  personalData.register(new MailPersonalData());
  return {
    config,
    dataSource,
    clock: options.clock,
    jobs: options.jobs,
    logger: options.logger,
    events: new DomainEvents(),
    securityLog: options.securityLog ?? noopSecurityLog,
    audit: options.audit ?? new SqlAuditLog(),
    personalData,
    redis: config.redisUrl ? new SharedRedis(config.redisUrl, options.logger) : undefined,
  };
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
