import { Resolver } from "node:dns/promises";
import { ConfigException, type DomainModuleDefinition, type Platform } from "@honour/platform";
import { IngestService } from "./ingest/ingest.service";
import { parseIpRanges } from "./ingest/ip-ranges";
import { PageViewEntity } from "./ingest/page-view.entity";
import { reduceHost } from "./ingest/page-view-reduction";
import { CreateStats1795631687260 } from "./migrations/1795631687260-create-stats.migration";
import { StatsLabels1795632370343 } from "./migrations/1795632370343-stats-labels.migration";
import { StatsPeriods1795638478177 } from "./migrations/1795638478177-stats-periods.migration";
import { PageViewEventIds1796419867985 } from "./migrations/1796419867985-page-view-event-ids.migration";
import { StatsQueryService } from "./query/stats-query.service";
import { DailyStatsEntity } from "./rollup/daily-stats.entity";
import { HourlyStatsEntity } from "./rollup/hourly-stats.entity";
import { PeriodStatsEntity } from "./rollup/period-stats.entity";
import { StatsLabelEntity } from "./rollup/stats-label.entity";
import { RollupService } from "./rollup/rollup.service";
import { DailySaltEntity } from "./salt/daily-salt.entity";
import { SaltService } from "./salt/salt.service";
import { SecurityEventEntity } from "./security/security-event.entity";
import { dnsHostResolver, type HostResolver } from "./security/host-names";
import { SecurityEventService } from "./security/security-event.service";
import { SqlSecurityLog } from "./security/security-log.service";
import { SecurityPersonalData } from "./security/security-personal-data.service";
import { SiteTimeZone } from "./zone/site-time-zone";

/** The statistics' and the security log's tables, and the migrations that create them on MySQL/MariaDB. */
export const statsModule: DomainModuleDefinition = {
  name: "stats",
  entities: [
    PageViewEntity,
    DailySaltEntity,
    DailyStatsEntity,
    PeriodStatsEntity,
    StatsLabelEntity,
    HourlyStatsEntity,
    SecurityEventEntity,
  ],
  migrations: [
    CreateStats1795631687260,
    StatsLabels1795632370343,
    StatsPeriods1795638478177,
    PageViewEventIds1796419867985,
  ],
};

/**
 * Settings of the statistics and the security log. Each has a default; the time zone, the
 * excluded ranges and both retentions default to the platform's config.
 */
export interface StatsOptions {
  /** IANA time zone the days and hours of the statistics are in (default `Europe/London`). */
  timeZone?: string;
  /**
   * The site's host names (`www.` is ignored). A referrer from one of them is a self-referral,
   * not a referring domain; when set, page views of pages on other hosts are not counted, and
   * the first is the site in the visitor id. {@link createStatsServices} defaults it to the
   * platform's `STATS_SITE_HOSTS` (itself the host of `PUBLIC_URL`); none here means each page's
   * own host, every host counted.
   */
  siteHosts?: readonly string[];
  /** Addresses whose page views are not counted, as CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`). */
  excludedIpRanges?: readonly string[];
  /** Whole days a day's raw page views are kept after it ends, then only the rollups remain (default 7). */
  rawEventRetentionDays?: number;
  /** Days security events are kept (default 90). */
  securityEventRetentionDays?: number;
  /** Page views held in memory while the database is unreachable before answering 503 (default 100 000). */
  bufferLimit?: number;
  /** Rows per multi-row insert (default 1 000). */
  batchSize?: number;
  /** Longest wait before a page view is written, in ms (default 250). */
  flushIntervalMs?: number;
  /** Largest tracking request body, in bytes (default 8 KiB). */
  maxBodyBytes?: number;
  /** Time limit of one host name lookup, in ms (default 2 000). */
  hostnameLookupTimeoutMs?: number;
  /**
   * DNS servers for host names (`"127.0.0.1:5353"`); default: the system's. Tests use their own
   * DNS server.
   */
  dnsServers?: readonly string[];
  /** The DNS client itself, one per lookup; default: node's, through {@link dnsServers}. */
  hostResolver?: () => HostResolver;
}

/** {@link StatsOptions} with every default filled in. */
export type ResolvedStatsOptions = Required<Omit<StatsOptions, "hostResolver" | "dnsServers">>;

export const DEFAULT_STATS_OPTIONS: ResolvedStatsOptions = Object.freeze({
  timeZone: "Europe/London",
  siteHosts: [],
  excludedIpRanges: [],
  rawEventRetentionDays: 7,
  securityEventRetentionDays: 90,
  bufferLimit: 100_000,
  batchSize: 1000,
  flushIntervalMs: 250,
  maxBodyBytes: 8192,
  hostnameLookupTimeoutMs: 2000,
});

/** The statistics' and the security log's services, as the gateway and the worker use them. */
export interface StatsServices {
  options: ResolvedStatsOptions;
  zone: SiteTimeZone;
  /** The tracking endpoint: `accept(request)` answers at once; `flush()` and `close()` for shutdown. */
  ingest: IngestService;
  salts: SaltService;
  rollups: RollupService;
  queries: StatsQueryService;
  /** The platform's SecurityLog; also give it to `createPlatform({ securityLog })`. */
  securityLog: SqlSecurityLog;
  securityEvents: SecurityEventService;
  /** The "security" section of data exports and the security log's part of closures (registered on the platform). */
  personalData: SecurityPersonalData;
}

/** The security log's contributor: it holds nothing, so every build of the services shares it. */
const securityPersonalData = new SecurityPersonalData();

/**
 * Builds the statistics' services on a platform. Throws a ConfigException naming each bad option.
 * The ingest buffer starts no timer until the first page view, so the worker can build these too.
 */
export function createStatsServices(platform: Platform, options: StatsOptions = {}): StatsServices {
  const { stats, securityLogRetentionDays } = platform.config;
  const resolved = resolveStatsOptions({
    // The operator's settings (SITE_TIME_ZONE, STATS_SITE_HOSTS, STATS_EXCLUDED_IPS,
    // STATS_RAW_RETENTION_DAYS, SECURITY_LOG_RETENTION_DAYS), unless the caller says otherwise.
    timeZone: stats.timeZone,
    siteHosts: stats.siteHosts,
    excludedIpRanges: stats.excludedIps,
    rawEventRetentionDays: stats.rawRetentionDays,
    securityEventRetentionDays: securityLogRetentionDays,
    ...definedOnly(options),
  });
  // Security events about a person go into their data export; a closure masks their e-mail and
  // phone in the log. The one shared instance: tests build services again on one platform, as a
  // restarted process would, and registering the same contributor again changes nothing.
  const personalData = platform.personalData.register(securityPersonalData);
  const zone = new SiteTimeZone(resolved.timeZone);
  const salts = new SaltService(zone);
  const ingest = new IngestService(platform.dataSource, platform.clock, platform.logger, zone, salts, {
    maxBodyBytes: resolved.maxBodyBytes,
    bufferLimit: resolved.bufferLimit,
    batchSize: resolved.batchSize,
    flushIntervalMs: resolved.flushIntervalMs,
    maxRetryMs: 5000,
    siteHosts: new Set(resolved.siteHosts.map(reduceHost)),
    excludedIps: parseIpRanges(resolved.excludedIpRanges),
  });
  return {
    options: resolved,
    zone,
    ingest,
    salts,
    rollups: new RollupService(zone, resolved.rawEventRetentionDays),
    queries: new StatsQueryService(zone),
    securityLog: new SqlSecurityLog(),
    securityEvents: new SecurityEventService(
      resolved.securityEventRetentionDays,
      options.hostResolver ?? dnsHostResolver(resolved.hostnameLookupTimeoutMs, options.dnsServers),
      resolved.hostnameLookupTimeoutMs,
      platform.logger,
    ),
    personalData,
  };
}

/** Fills in the defaults and checks every option; throws a ConfigException naming each bad one. */
export function resolveStatsOptions(options: StatsOptions): ResolvedStatsOptions {
  const resolved: ResolvedStatsOptions = { ...DEFAULT_STATS_OPTIONS, ...definedOnly(options) };
  const problems: string[] = [];
  try {
    new SiteTimeZone(resolved.timeZone);
  } catch {
    problems.push(`timeZone "${resolved.timeZone}" is not an IANA time zone (e.g. Europe/London)`);
  }
  try {
    parseIpRanges(resolved.excludedIpRanges);
  } catch (error) {
    problems.push(`excludedIpRanges: ${(error as Error).message}`);
  }
  if (options.dnsServers && options.dnsServers.length > 0) {
    try {
      new Resolver().setServers([...options.dnsServers]);
    } catch {
      problems.push(`dnsServers: ${options.dnsServers.join(", ")} are not IP addresses with optional ports`);
    }
  }
  for (const host of resolved.siteHosts) {
    // A name, an IPv4 address, or an IPv6 address in brackets, as URL.hostname writes them.
    if (!/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])$/i.test(host) || reduceHost(host) === "")
      problems.push(`siteHosts: "${host}" is not a host name`);
  }
  const whole = (name: keyof ResolvedStatsOptions, min: number, max: number) => {
    const value = resolved[name] as number;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got ${value})`);
    }
  };
  // A day's raw page views are kept this many whole days after it ends, so even 1 leaves
  // yesterday's in place for the rollup, which rewrites yesterday as well as today.
  whole("rawEventRetentionDays", 1, 3650);
  whole("securityEventRetentionDays", 1, 3650);
  whole("batchSize", 1, 3000);
  whole("bufferLimit", 1, 10_000_000);
  whole("flushIntervalMs", 1, 60_000);
  whole("maxBodyBytes", 256, 1_048_576);
  whole("hostnameLookupTimeoutMs", 1, 60_000);
  if (problems.length > 0) throw new ConfigException(problems);
  return resolved;
}

function definedOnly(options: StatsOptions): StatsOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as StatsOptions;
}
