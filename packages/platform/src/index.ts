import "reflect-metadata";

// The platform's front door: what the domain packages and the apps use, nothing more. README.md,
// "Public API", says who uses each name; anything else under src/ is the platform's own business.
// GraphQL helpers (GraphQLContext, connections, loaders) live behind "@honour/platform/graphql".

export { AuditEntryEntity } from "./audit/audit-entry.entity";
export {
  AuditAction,
  type AuditLog,
  type AuditQuery,
  type AuditRecord,
  type AuditSubjectAliases,
  type IdentifiedAuditRecord,
} from "./audit/audit-log";
export { type Clock, ManualClock, systemClock } from "./clock/clock";
export { Channel, CHANNELS, type CommunicationChoice, Topic, TOPICS } from "./communications/communications";
export { normaliseEmail } from "./communications/email";
export {
  ConfigException,
  type DatabaseConfig,
  type HonourConfig,
  loadConfig,
  type IntegrationsConfig,
  type RetentionConfig,
} from "./config/config";
export { type Actor, ANONYMOUS, PARTNER_ROLE, RequestContext, requireUser, Role } from "./context/request-context";
export { hmac, newId, openSecret, randomToken, safeEqual, sealSecret, sha256 } from "./crypto/crypto";
export {
  type DataSourceParts,
  isMysql,
  MAX_PREPARED_STATEMENTS_PER_CONNECTION,
  isSchemaCurrent,
  migrateSchema,
  openDataSource,
  type OpenDataSourceOptions,
  type OpenedDataSource,
  runInTransaction,
} from "./database/data-source";
export { type DatabaseServer, describeServer, probeDatabaseServer } from "./database/database-server";
export { isDatabaseUnavailable } from "./database/database-unavailable";
export { isDuplicateKeyError } from "./database/duplicate-key";
export { HotReads, hydrateEntity, type SqlNames } from "./database/hot-reads";
export { runPrepared } from "./database/prepared";
export { lockRows } from "./database/row-locks";
export {
  DomainException,
  ErrorCode,
  type FieldError,
  ForbiddenException,
  NotFoundException,
  RateLimitedException,
  SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  ServiceUnavailableException,
  UnauthenticatedException,
  ValidationException,
} from "./errors/domain.exception";
export { FieldChecks } from "./errors/field-checks";
export {
  type DomainEventHandler,
  type DomainEventMap,
  type DomainEventName,
  DomainEvents,
} from "./events/domain-events";
export {
  type ClaimedJob,
  type EnqueueOptions,
  type FailOutcome,
  type JobDefinition,
  type JobQueue,
  type ScheduleDefinition,
} from "./jobs/job-queue";
export { JobRunner, type JobRunnerOptions } from "./jobs/job-runner";
export { JobEntity, JobStatus } from "./jobs/job.entity";
export { SqlJobQueue, type SqlJobQueueOptions } from "./jobs/sql-job-queue";
export { RedisJobQueue } from "./jobs/redis-job-queue";
export { JobOutboxEntity } from "./jobs/job-outbox.entity";
export { createJobQueue } from "./jobs/job-queue-factory";
export { SharedRedis } from "./redis/shared-redis";
export { readFromReplica } from "./database/read-replica";
export { type Logger, silentLogger } from "./logging/logger";
export {
  enqueueTransactionalMail,
  TRANSACTIONAL_MAIL_JOB,
  type TransactionalMailKind,
  type TransactionalMailPayload,
} from "./mail/transactional-mail";
export { createPlatform, type DomainModule, type DomainModuleDefinition, type Platform } from "./module/domain-module";
export {
  type Connection,
  DEFAULT_PAGE_SIZE,
  type Edge,
  MAX_PAGE_SIZE,
  type PageArgs,
  type PageInfo,
  paginate,
  readPageArgs,
  toConnection,
} from "./pagination/pagination";
export { platformModule } from "./platform.module";
export { type PersonalDataContributor, PersonalDataRegistry, type PersonalDataSubject } from "./privacy/personal-data";
export { PLATFORM_JOBS, platformJobs } from "./retention/platform-jobs";
export { SecurityEventKind, type SecurityEventRecord, type SecurityLog } from "./security/security-log";
export { DAY_MS, HOUR_MS, MINUTE_MS } from "./time/durations";
