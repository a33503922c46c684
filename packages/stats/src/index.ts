import "reflect-metadata";

// The statistics domain's front door. It lists, by name, what other packages and apps import and
// what README.md's "Public API" section promises; everything else is private to the package.
// GraphQL types and resolvers live behind "@honour/stats/graphql".

// The module, its services and jobs (gateway, worker).
export { statsModule, createStatsServices, type StatsServices, type StatsOptions } from "./stats.module";
export { statsJobs, STATS_JOBS } from "./stats.job";
export { type HostResolver } from "./security/host-names";
export { SqlSecurityLog } from "./security/security-log.service";

// The tracking endpoint (gateway).
export { type IngestRequest, type IngestStatus } from "./ingest/ingest.service";
export { TRACKING_SCRIPT } from "./ingest/tracking-script";

// Queries over the rollups (services.queries).
export { StatsMetric, StatsDimension, type StatsQuery, type StatsRow } from "./query/stats-query.service";

// Building blocks the gateway's benchmarks measure against.
export { BrowserFamilies, reducePageUrl, referrerDomain } from "./ingest/page-view-reduction";
export { RollupDimension } from "./rollup/daily-stats.entity";
export { planRange, rangeSums, type RangePlan } from "./rollup/periods";
export { SiteTimeZone, addDays, daysBetween } from "./zone/site-time-zone";
