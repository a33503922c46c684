import { Role } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { addDays, planRange, StatsDimension, StatsMetric, type StatsRow } from "../src";
import { PageViewEntity } from "../src/ingest/page-view.entity";
import { PeriodStatsEntity } from "../src/rollup/period-stats.entity";
import { monthOf, rebuildPeriods, tenthOf } from "../src/rollup/periods";
import type { EntityManager } from "typeorm";
import { openStatsTestBed, system, userActor, type StatsTestBed } from "./stats-test-bed";

const BOTH = [StatsMetric.VISITORS, StatsMetric.PAGEVIEWS];
const FIRST_DAY = "2026-07-28";
const LAST_DAY = "2026-11-25"; // the test bed's today
const RANKINGS: [StatsDimension, string][] = [
  [StatsDimension.PAGE, "PAGE"],
  [StatsDimension.REFERRER_DOMAIN, "REFERRER_DOMAIN"],
  [StatsDimension.BROWSER, "BROWSER"],
  [StatsDimension.UTM_SOURCE, "UTM_SOURCE"],
];

/** A small deterministic pseudo-random generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe("planRange", () => {
  const TODAY = "2026-11-25";
  const none = { periods: [], days: [] };

  it("reads whole months as one period each", () => {
    expect(planRange("2026-09-01", "2026-10-31", TODAY)).toEqual({
      plus: { periods: ["2026-09", "2026-10"], days: [] },
      minus: none,
    });
    expect(planRange("2028-02-01", "2028-02-29", "2028-03-01").plus.periods).toEqual(["2028-02"]); // a leap year
  });

  it("of a part month, reads its tenths and days inside, or the month less its tenths and days outside", () => {
    // The bench's 90 days seen on Nov 25: five days of August, and November less the days from
    // today on, of which only today can have rows.
    expect(planRange("2026-08-27", "2026-11-24", TODAY)).toEqual({
      plus: { periods: ["2026-09", "2026-10", "2026-11"], days: [["2026-08-27", "2026-08-31"]] },
      minus: { periods: [], days: [["2026-11-25", "2026-11-30"]] },
    });
    // Months cut near the middle of a tenth at both ends: about the most a 90-day range reads.
    expect(planRange("2026-08-16", "2026-11-13", TODAY)).toEqual({
      plus: {
        periods: ["2026-08/3", "2026-09", "2026-10", "2026-11/1"],
        days: [
          ["2026-08-16", "2026-08-20"],
          ["2026-11-11", "2026-11-13"],
        ],
      },
      minus: none,
    });
    expect(planRange("2026-07-02", "2026-09-29", TODAY)).toEqual({
      plus: { periods: ["2026-07", "2026-08", "2026-09"], days: [] },
      minus: {
        periods: [],
        days: [
          ["2026-07-01", "2026-07-01"],
          ["2026-09-30", "2026-09-30"],
        ],
      },
    });
    // A tenth less its days outside, within a month read by its tenths.
    expect(planRange("2026-09-02", "2026-09-20", TODAY)).toEqual({
      plus: { periods: ["2026-09/1", "2026-09/2"], days: [] },
      minus: { periods: [], days: [["2026-09-01", "2026-09-01"]] },
    });
  });

  it("reads short ranges day by day, across month ends too", () => {
    expect(planRange("2026-10-31", "2026-11-01", TODAY)).toEqual({
      plus: { periods: [], days: [["2026-10-31", "2026-11-01"]] },
      minus: none,
    });
  });
});

describe.each(testDatabaseKinds())("period rollups on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind, { rawEventRetentionDays: 400 });
    await seedAndRollUp();
  });
  afterAll(() => bed?.close());

  const marketing = () => bed.ctx(userActor(Role.MARKETING));
  const query = (from: string, to: string, dimension: StatsDimension, limit?: number) =>
    bed.services.queries.query(marketing(), { from, to, metrics: BOTH, dimension, limit });

  /** Raw page views on every day from FIRST_DAY to LAST_DAY, then every day rolled up. */
  async function seedAndRollUp(): Promise<void> {
    const next = random(7);
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
    const views: Partial<PageViewEntity>[] = [];
    const days: string[] = [];
    for (let day = FIRST_DAY; day <= LAST_DAY; day = addDays(day, 1)) {
      days.push(day);
      // Pages that appear only in some months, so a month less its outside days leaves labels at zero.
      const paths = ["/", "/pricing", "/about", `/news/${day.slice(0, 7)}`, day.endsWith("-01") ? "/first" : "/"];
      for (let i = 0, n = 5 + Math.floor(next() * 20); i < n; i++) {
        views.push({
          day,
          hour: new Date(`${day}T${String(Math.floor(next() * 24)).padStart(2, "0")}:00:00.000Z`),
          visitorId: `${day}-${Math.floor(next() * 8)}`.padEnd(32, "0"),
          path: pick(paths),
          referrerDomain: pick([null, null, "google.co.uk", "aol.com", day < "2026-09-15" ? "old.example" : null]),
          browser: pick(["Chrome", "Firefox", "Safari"]),
          utmSource: pick([null, null, null, "newsletter", "partner"]),
          utmMedium: null,
          utmCampaign: null,
        });
      }
    }
    for (let i = 0; i < views.length; i += 200) {
      await bed.db.dataSource.manager.insert(PageViewEntity, views.slice(i, i + 200));
    }
    await bed.services.rollups.rollUp(system(bed), days);
  }

  /** The answer summed from the daily rows alone, as the query did before there were months. */
  async function fromDays(from: string, to: string, dimension: string, limit = 100): Promise<StatsRow[]> {
    const rows: { id: number | string; label: string | null; visitors: number | string; pageviews: number | string }[] =
      await bed.db.dataSource.query(
        "SELECT d.`labelId` AS id, l.`label` AS label, SUM(d.`visitors`) AS visitors, SUM(d.`pageviews`) AS pageviews " +
          "FROM `stats_daily` d LEFT JOIN `stats_label` l ON l.`id` = d.`labelId` " +
          "WHERE d.`dimension` = ? AND d.`day` BETWEEN ? AND ? GROUP BY d.`labelId`, l.`label`",
        [dimension, from, to],
      );
    // Ties at the limit are cut by label id (the order labels were first seen), then shown by key.
    return rows
      .map((r) => ({ id: Number(r.id), key: r.label, visitors: Number(r.visitors), pageviews: Number(r.pageviews) }))
      .sort((a, b) => b.visitors - a.visitors || b.pageviews - a.pageviews || a.id - b.id)
      .slice(0, limit)
      .sort(
        (a, b) =>
          b.visitors - a.visitors ||
          b.pageviews - a.pageviews ||
          String(a.key ?? "").localeCompare(String(b.key ?? "")),
      )
      .map(({ id: _id, ...row }) => row);
  }

  /** Every month's and every tenth's rows equal the sums of their days' rows. */
  async function expectPeriodsEqualDays(): Promise<void> {
    const daily: Record<string, unknown>[] = await bed.db.dataSource.query("SELECT * FROM `stats_daily`");
    const sums = new Map<string, [number, number]>();
    for (const row of daily) {
      for (const period of [monthOf(String(row.day)), tenthOf(String(row.day))]) {
        const key = `${String(row.dimension)} ${period} ${Number(row.labelId)}`;
        const [v, p] = sums.get(key) ?? [0, 0];
        sums.set(key, [v + Number(row.visitors), p + Number(row.pageviews)]);
      }
    }
    const periods = await bed.db.dataSource.manager.find(PeriodStatsEntity);
    expect(periods.map((r) => `${r.dimension} ${r.period} ${r.labelId} ${r.visitors} ${r.pageviews}`).sort()).toEqual(
      [...sums].map(([key, [v, p]]) => `${key} ${v} ${p}`).sort(),
    );
    expect(periods.length).toBeGreaterThan(200);
  }

  const RANGES: [string, string][] = [
    ["2026-07-28", "2026-11-25"], // everything
    ["2026-08-27", "2026-11-24"], // the bench's 90 days
    ["2026-07-31", "2026-08-01"], // across one month end
    ["2026-08-02", "2026-10-30"], // months less their outside days at both ends
    ["2026-09-01", "2026-09-30"], // one whole month
    ["2026-09-15", "2026-10-14"], // half and half
    ["2026-10-25", "2026-11-03"],
    ["2026-11-02", "2026-11-25"], // this month up to today
    ["2026-08-15", "2026-08-15"], // one day
    ["2026-11-20", "2026-12-10"], // into the future
    ["2026-08-16", "2026-11-13"], // tenths and days at both ends
    ["2026-09-02", "2026-09-20"], // a tenth less a day
    ["2026-08-12", "2026-08-29"],
  ];

  it("keeps every month and tenth equal to the sums of its days", async () => {
    await expectPeriodsEqualDays();
  });

  it("rebuilds a day's periods by primary key, never reading the whole of stats_period or stats_daily", async () => {
    const statements: [string, unknown[]][] = [];
    const recorder = {
      query: async (sql: string, params: unknown[]) => {
        statements.push([sql, params]);
        return [];
      },
    } as unknown as EntityManager;
    await rebuildPeriods(recorder, "2026-09-15");
    expect(statements).toHaveLength(4);
    for (const [sql, params] of statements) {
      // The SELECT an INSERT … SELECT reads with (MariaDB explains no INSERT).
      const read = sql.replace(/^INSERT INTO .*?\) (?=SELECT)/, "");
      if (kind === "sqlite") {
        const plan: { detail: string }[] = await bed.db.dataSource.query(`EXPLAIN QUERY PLAN ${read}`, params);
        expect({ sql, plan: plan.map((row) => row.detail) }).toEqual({
          sql,
          plan: expect.not.arrayContaining([expect.stringMatching(/^SCAN /)]),
        });
        expect(plan.map((row) => row.detail).join(" ")).toMatch(/SEARCH .* USING (PRIMARY KEY|INDEX sqlite_autoindex)/);
      } else {
        const plan: { table: string; type: string; key: string | null }[] = await bed.db.dataSource.query(
          `EXPLAIN ${read}`,
          params,
        );
        expect({ sql, plan: plan.map((row) => [row.table, row.type, row.key]) }).toEqual({
          sql,
          plan: [[expect.any(String), "range", "PRIMARY"]],
        });
      }
    }
  });

  it.each(RANGES)("answers %s…%s exactly as the daily rows do, in every ranking and in total", async (from, to) => {
    for (const [dimension, rollup] of RANKINGS) {
      expect({ dimension, rows: await query(from, to, dimension) }).toEqual({
        dimension,
        rows: await fromDays(from, to, rollup),
      });
      expect({ dimension, rows: await query(from, to, dimension, 2) }).toEqual({
        dimension,
        rows: await fromDays(from, to, rollup, 2),
      });
    }
    const [total] = await fromDays(from, to, "TOTAL");
    expect(await query(from, to, StatsDimension.NONE)).toEqual([
      { key: null, visitors: total?.visitors ?? 0, pageviews: total?.pageviews ?? 0 },
    ]);
  });

  it("stays right when days are rolled up again with late views, and again with nothing new", async () => {
    const late = (day: string, path: string, visitor: string): Partial<PageViewEntity> => ({
      day,
      hour: new Date(`${day}T10:00:00.000Z`),
      visitorId: `${day}-${visitor}`.padEnd(32, "0"),
      path,
      referrerDomain: "late.example",
      browser: "Edge",
      utmSource: null,
      utmMedium: null,
      utmCampaign: null,
    });
    await bed.db.dataSource.manager.insert(PageViewEntity, [
      late("2026-08-31", "/late", "a"),
      late("2026-08-31", "/late", "b"),
      late("2026-09-01", "/pricing", "late"),
      late("2026-10-10", "/late", "a"),
    ]);
    await bed.services.rollups.rollUp(system(bed), ["2026-08-31", "2026-09-01", "2026-10-10"]);
    await bed.services.rollups.rollUp(system(bed), ["2026-10-10"]);

    await expectPeriodsEqualDays();
    for (const [from, to] of RANGES) {
      for (const [dimension, rollup] of RANKINGS) {
        expect({ from, to, dimension, rows: await query(from, to, dimension) }).toEqual({
          from,
          to,
          dimension,
          rows: await fromDays(from, to, rollup),
        });
      }
    }
    expect(await query("2026-08-02", "2026-10-30", StatsDimension.PAGE)).toContainEqual({
      key: "/late",
      visitors: 3,
      pageviews: 3,
    });
  });
});
