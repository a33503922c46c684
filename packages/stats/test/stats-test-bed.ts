import {
  ANONYMOUS,
  JobEntity,
  ManualClock,
  newId,
  platformModule,
  RequestContext,
  type Actor,
  type Platform,
  type Role,
} from "@honour/platform";
import { createTestPlatform, openTestDataSource, type TestDatabaseKind, type TestDataSource } from "@honour/testing";
import {
  createStatsServices,
  SqlSecurityLog,
  statsModule,
  type IngestRequest,
  type StatsOptions,
  type StatsServices,
} from "../src";
import { PageViewEntity } from "../src/ingest/page-view.entity";
import { DailyStatsEntity } from "../src/rollup/daily-stats.entity";
import { HourlyStatsEntity } from "../src/rollup/hourly-stats.entity";
import { PeriodStatsEntity } from "../src/rollup/period-stats.entity";
import { StatsLabelEntity } from "../src/rollup/stats-label.entity";
import { DailySaltEntity } from "../src/salt/daily-salt.entity";
import { SecurityEventEntity } from "../src/security/security-event.entity";

/** Noon in London on a winter day: GMT, so London and UTC agree. */
export const START = "2026-11-25T12:00:00.000Z";
export const SITE = "honour.example";
export const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
export const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
export const SAFARI =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";
export const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/** The options every test bed starts from; tests override what they are about. */
export const TEST_OPTIONS: StatsOptions = {
  siteHosts: [SITE],
  excludedIpRanges: ["10.0.0.0/8", "2001:db8::/32"],
  // Timers are not what these tests are about: they flush by hand.
  flushIntervalMs: 60_000,
  // No DNS questions leave the machine: tests about host names start their own DNS server.
  hostResolver: () => ({
    reverse: async (ip) => {
      throw Object.assign(new Error(`no PTR record for ${ip}`), { code: "ENOTFOUND" });
    },
    addresses: async () => [],
    cancel: () => undefined,
  }),
};

export interface StatsTestBed {
  kind: TestDatabaseKind;
  db: TestDataSource;
  clock: ManualClock;
  platform: Platform;
  /** Services as of the last `reset` (or `restart`): a fresh process's, with empty memory. */
  services: StatsServices;
  ctx(actor?: Actor): RequestContext;
  /** Services of a second process (another gateway, or the worker) on the same database. */
  otherProcess(options?: StatsOptions): StatsServices;
  /** Builds services anew with these options, as a restarted process would. */
  restart(options?: StatsOptions): Promise<void>;
  /** Empties every table, puts the clock back to {@link START} and builds services anew. */
  reset(options?: StatsOptions): Promise<void>;
  close(): Promise<void>;
}

/** A signed-in user with `role`, as the gateway's session lookup would make it. */
export function userActor(role: Role): Actor {
  return { kind: "user", userId: newId(), role, sessionId: newId() };
}

/** A tracking request from a browser, with whatever the test changes. */
export function pageView(
  overrides: {
    url?: string;
    referrer?: string | null;
    ip?: string;
    userAgent?: string | undefined;
    dnt?: string;
    secGpc?: string;
    body?: string | Buffer;
    contentType?: string;
  } = {},
): IngestRequest {
  const url = "url" in overrides ? overrides.url : `https://www.${SITE}/`;
  const referrer = "referrer" in overrides ? overrides.referrer : null;
  return {
    body: overrides.body ?? JSON.stringify({ url, referrer }),
    contentType: overrides.contentType ?? "text/plain;charset=UTF-8",
    headers: {
      userAgent: "userAgent" in overrides ? overrides.userAgent : CHROME,
      dnt: overrides.dnt,
      secGpc: overrides.secGpc,
    },
    ip: overrides.ip ?? "203.0.113.7",
  };
}

export async function openStatsTestBed(kind: TestDatabaseKind, options: StatsOptions = {}): Promise<StatsTestBed> {
  const db = await openTestDataSource(kind, [platformModule, statsModule]);
  const clock = new ManualClock(START);
  const platform = createTestPlatform(db.dataSource, { clock, securityLog: new SqlSecurityLog() });
  const build = (more: StatsOptions = {}) => createStatsServices(platform, { ...TEST_OPTIONS, ...options, ...more });
  const bed: StatsTestBed = {
    kind,
    db,
    clock,
    platform,
    services: build(),
    ctx: (actor: Actor = ANONYMOUS) => new RequestContext(db.dataSource, actor, clock),
    otherProcess: (more) => build(more),
    restart: async (more) => {
      await bed.services.ingest.close();
      bed.services = build(more);
    },
    reset: async (more) => {
      await bed.services.ingest.close().catch(() => undefined);
      for (const entity of [
        PageViewEntity,
        DailyStatsEntity,
        PeriodStatsEntity,
        StatsLabelEntity,
        HourlyStatsEntity,
        DailySaltEntity,
        SecurityEventEntity,
        JobEntity,
      ]) {
        await db.dataSource.createQueryBuilder().delete().from(entity).execute();
      }
      clock.set(START);
      bed.services = build(more);
    },
    close: async () => {
      await bed.services.ingest.close().catch(() => undefined);
      await db.close();
    },
  };
  return bed;
}

/** The system acting, as the worker's jobs do. */
export function system(bed: StatsTestBed): RequestContext {
  return bed.ctx({ kind: "system", name: "test" });
}

/** Accepts `request` and expects it answered with `status`. */
export function expectStatus(bed: StatsTestBed, request: IngestRequest, status: number): void {
  expect(bed.services.ingest.accept(request)).toBe(status);
}

/** Every raw page view, oldest first. */
export async function rawViews(bed: StatsTestBed): Promise<PageViewEntity[]> {
  return bed.db.dataSource.manager.find(PageViewEntity, { order: { id: "ASC" } });
}

export { waitFor } from "@honour/testing";
