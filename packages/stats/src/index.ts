import "reflect-metadata";

// The statistics domain's front door: entities, services, jobs, the tracking endpoint's pieces,
// the security log and the module. GraphQL types and resolvers live behind "@honour/stats/graphql".

export {
  statsModule,
  createStatsServices,
  resolveStatsOptions,
  DEFAULT_STATS_OPTIONS,
  type StatsServices,
  type StatsOptions,
  type ResolvedStatsOptions,
} from "./stats.module";
export { statsJobs, STATS_JOBS } from "./stats.job";

export {
  IngestService,
  visitorId,
  type IngestRequest,
  type IngestStatus,
  type IngestSettings,
} from "./ingest/ingest.service";
export { TRACKING_SCRIPT } from "./ingest/tracking-script";
export { PageViewEntity } from "./ingest/page-view.entity";
export {
  BrowserFamilies,
  reducePageUrl,
  referrerDomain,
  reduceHost,
  OTHER_BROWSER,
  PAGE_VIEW_LIMITS,
  UTM_PARAMETERS,
  type ReducedPage,
} from "./ingest/page-view-reduction";
export { parseIpRanges, normaliseIp } from "./ingest/ip-ranges";

export { DailySaltEntity } from "./salt/daily-salt.entity";
export { SaltService, SALT_MAX_AGE_MS } from "./salt/salt.service";

export { DailyStatsEntity, RollupDimension } from "./rollup/daily-stats.entity";
export { HourlyStatsEntity } from "./rollup/hourly-stats.entity";
export { PeriodStatsEntity } from "./rollup/period-stats.entity";
export { planRange, rangeSums, rebuildPeriods, monthOf, tenthOf, periodBounds, type RangePlan } from "./rollup/periods";
export { StatsLabelEntity } from "./rollup/stats-label.entity";
export { RollupService } from "./rollup/rollup.service";

export {
  StatsQueryService,
  StatsMetric,
  StatsDimension,
  STATS_READERS,
  STATS_DEFAULT_LIMIT,
  STATS_MAX_DAYS,
  STATS_MAX_HOUR_DAYS,
  STATS_MAX_LIMIT,
  type StatsQuery,
  type StatsRow,
} from "./query/stats-query.service";

export { SecurityEventEntity, SECURITY_EVENT_LIMITS } from "./security/security-event.entity";
export { SqlSecurityLog } from "./security/security-log.service";
export { SecurityEventService, SECURITY_LOG_READERS, type SecurityEventFilter } from "./security/security-event.service";
export { dnsHostResolver, confirmedHostname, type HostResolver } from "./security/host-names";
export { securityPersonalData, maskEmails, SECURITY_PERSONAL_DATA, ERASED } from "./security/security-personal-data";
// The contract the security log implements lives in platform; re-exported for callers here.
export { SecurityEventKind, type SecurityLog, type SecurityEventRecord } from "@honour/platform";

export { SiteTimeZone, addDays, daysBetween, isLocalDay, type LocalDay } from "./zone/site-time-zone";
