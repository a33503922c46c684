import { Role } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { addDays, RollupDimension, StatsDimension, StatsMetric, type StatsRow } from "../src";
import { PageViewEntity } from "../src/ingest/page-view.entity";
import { DailyStatsEntity } from "../src/rollup/daily-stats.entity";
import { PeriodStatsEntity } from "../src/rollup/period-stats.entity";
import { monthOf, rebuildPeriods, tenthOf } from "../src/rollup/periods";
import { StatsLabelEntity } from "../src/rollup/stats-label.entity";
import * as periods from "../src/rollup/periods";
import { openStatsTestBed, system, userActor, type StatsTestBed } from "./stats-test-bed";

const BOTH = [StatsMetric.VISITORS, StatsMetric.PAGEVIEWS];
const FIRST_DAY = "2026-07-28";
const TODAY = "2026-11-25"; // the test bed's today

/** Ranges the query plans with whole months (and months less a few days), and their answers' sums. */
const RANGES: [string, string][] = [
  ["2026-08-01", "2026-10-31"], // three whole months
  ["2026-09-01", "2026-09-30"], // one whole month
  ["2026-08-02", "2026-10-30"], // months less their outside days: negative without the months
  ["2026-07-28", "2026-11-25"], // everything, November from its tenths
  ["2026-11-02", "2026-11-25"], // this month up to today
];

describe.each(testDatabaseKinds())("stats_period repair on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind, { rawEventRetentionDays: 400 });
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());
  afterEach(() => jest.restoreAllMocks());

  const query = (from: string, to: string, dimension: StatsDimension) =>
    bed.services.queries.query(bed.ctx(userActor(Role.MARKETING)), { from, to, metrics: BOTH, dimension });

  /**
   * Daily rows (TOTAL and PAGE) from FIRST_DAY to `last`, as rollups made them before
   * `stats_period` existed: no period rows.
   */
  async function insertDailyRows(last: string): Promise<void> {
    const manager = bed.db.dataSource.manager;
    const label = async (text: string) =>
      (await manager.save(Object.assign(new StatsLabelEntity(), { dimension: RollupDimension.PAGE, label: text }))).id;
    const home = await label("/");
    const pricing = await label("/pricing");
    const news = new Map<string, number>();
    const rows: Partial<DailyStatsEntity>[] = [];
    let n = 0;
    for (let day = FIRST_DAY; day <= last; day = addDays(day, 1), n++) {
      const month = monthOf(day);
      if (!news.has(month)) news.set(month, await label(`/news/${month}`));
      const row = (dimension: RollupDimension, labelId: number, visitors: number, pageviews: number) =>
        rows.push({ dimension, day, labelId, visitors, pageviews });
      row(RollupDimension.TOTAL, 0, 10 + (n % 7), 30 + (n % 11));
      row(RollupDimension.PAGE, home, 6 + (n % 5), 15 + (n % 6));
      row(RollupDimension.PAGE, pricing, 2 + (n % 3), 5 + (n % 4));
      row(RollupDimension.PAGE, news.get(month)!, 1 + (n % 2), 10 + (n % 5));
    }
    for (let i = 0; i < rows.length; i += 200) await manager.insert(DailyStatsEntity, rows.slice(i, i + 200));
  }

  /** The answer summed from the daily rows alone, ordered by key. */
  async function fromDays(from: string, to: string, dimension: RollupDimension): Promise<StatsRow[]> {
    const rows: { label: string | null; visitors: number | string; pageviews: number | string }[] =
      await bed.db.dataSource.query(
        "SELECT l.`label` AS label, SUM(d.`visitors`) AS visitors, SUM(d.`pageviews`) AS pageviews " +
          "FROM `stats_daily` d LEFT JOIN `stats_label` l ON l.`id` = d.`labelId` " +
          "WHERE d.`dimension` = ? AND d.`day` BETWEEN ? AND ? GROUP BY d.`labelId`, l.`label`",
        [dimension, from, to],
      );
    return byKey(rows.map((r) => ({ key: r.label, visitors: Number(r.visitors), pageviews: Number(r.pageviews) })));
  }

  const byKey = (rows: StatsRow[]) => [...rows].sort((a, b) => String(a.key).localeCompare(String(b.key)));

  /** Every range answers, in total and by page, exactly the sums of its daily rows. */
  async function expectAnswersFromDays(): Promise<void> {
    for (const [from, to] of RANGES) {
      const [total] = await fromDays(from, to, RollupDimension.TOTAL);
      expect({ from, to, total: await query(from, to, StatsDimension.NONE) }).toEqual({
        from,
        to,
        total: [{ key: null, visitors: total!.visitors, pageviews: total!.pageviews }],
      });
      expect({ from, to, pages: byKey(await query(from, to, StatsDimension.PAGE)) }).toEqual({
        from,
        to,
        pages: await fromDays(from, to, RollupDimension.PAGE),
      });
    }
  }

  /** Every month's and tenth's TOTAL row equals its days' sums, and none is missing. */
  async function expectTotalPeriodsEqualDays(): Promise<void> {
    const days = await bed.db.dataSource.manager.find(DailyStatsEntity, {
      where: { dimension: RollupDimension.TOTAL },
    });
    const sums = new Map<string, number>();
    for (const row of days) {
      for (const period of [monthOf(row.day), tenthOf(row.day)]) {
        sums.set(period, (sums.get(period) ?? 0) + row.pageviews);
      }
    }
    const rows = await bed.db.dataSource.manager.find(PeriodStatsEntity, {
      where: { dimension: RollupDimension.TOTAL },
    });
    expect(Object.fromEntries(rows.map((r) => [r.period, r.pageviews]))).toEqual(Object.fromEntries(sums));
  }

  it("rebuilds at a process's first rollup the months and tenths of daily rows that have none", async () => {
    await insertDailyRows(TODAY);
    // What an SQLite database made before stats_period answers without the repair: whole months are 0.
    expect(await query("2026-08-01", "2026-10-31", StatsDimension.NONE)).toEqual([
      { key: null, visitors: 0, pageviews: 0 },
    ]);

    // The scheduled rollup: yesterday and today, which have no raw page views here.
    expect(await bed.services.rollups.rollUp(system(bed))).toEqual(["2026-11-24", TODAY]);

    await expectTotalPeriodsEqualDays();
    await expectAnswersFromDays();
    expect(await bed.services.rollups.repairPeriods(system(bed))).toEqual([]);
  });

  it("notices, in a process that has checked already, older days whose periods are missing and a month made of one tenth", async () => {
    // The process's first rollup, on a database without daily rows: nothing to repair.
    expect(await bed.services.rollups.repairPeriods(system(bed))).toEqual([]);
    // Then days rolled up before stats_period existed appear (a restored backup, or the release
    // before this repair), and today's rollup wrote only its own tenth, and a month of that tenth.
    await insertDailyRows("2026-11-24");
    await bed.db.dataSource.manager.insert(PageViewEntity, {
      day: TODAY,
      hour: new Date(`${TODAY}T10:00:00.000Z`),
      visitorId: "today-visitor".padEnd(32, "0"),
      path: "/pricing",
      referrerDomain: null,
      browser: "Firefox",
      utmSource: null,
      utmMedium: null,
      utmCampaign: null,
    });
    await bed.db.dataSource.transaction((manager) => rebuildPeriods(manager, "2026-11-24"));
    // November's month row holds only its third tenth.
    const [november] = await fromDays("2026-11-01", "2026-11-30", RollupDimension.TOTAL);
    const [novemberRow] = await query("2026-11-01", "2026-11-30", StatsDimension.NONE);
    expect(novemberRow!.pageviews).toBeLessThan(november!.pageviews!);

    const fullCheck = jest.spyOn(periods, "missingTenths");
    await bed.services.rollups.rollUp(system(bed), [TODAY]);
    expect(fullCheck).toHaveBeenCalledTimes(1);

    await expectTotalPeriodsEqualDays();
    await expectAnswersFromDays();
  });

  it("after its first check, makes only the cheap check at each rollup while nothing is missing", async () => {
    await insertDailyRows("2026-09-05");
    const fullCheck = jest.spyOn(periods, "missingTenths");
    const cheapCheck = jest.spyOn(periods, "periodsLookIncomplete");
    expect(await bed.services.rollups.repairPeriods(system(bed))).toEqual([
      "2026-07/3",
      "2026-08/1",
      "2026-08/2",
      "2026-08/3",
      "2026-09/1",
    ]);
    expect(fullCheck).toHaveBeenCalledTimes(1);
    expect(cheapCheck).not.toHaveBeenCalled();

    await bed.services.rollups.rollUp(system(bed));
    await bed.services.rollups.rollUp(system(bed));
    expect(cheapCheck).toHaveBeenCalledTimes(2);
    expect(fullCheck).toHaveBeenCalledTimes(1);
    await expectTotalPeriodsEqualDays();

    // A new process checks every day once.
    await bed.restart();
    expect(await bed.services.rollups.repairPeriods(system(bed))).toEqual([]);
    expect(fullCheck).toHaveBeenCalledTimes(2);
  });
});
