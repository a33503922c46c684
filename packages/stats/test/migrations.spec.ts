import { isSchemaCurrent } from "@honour/platform";
import { pendingSchemaChanges, testDatabaseKinds, type TestDatabaseKind } from "@honour/testing";
import { addDays } from "../src";
import { PageViewEntity } from "../src/ingest/page-view.entity";
import { StatsPeriods1795638478177 } from "../src/migrations/1795638478177-stats-periods.migration";
import { openStatsTestBed, system, type StatsTestBed } from "./stats-test-bed";

describe.each(testDatabaseKinds())("schema on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind);
  });
  afterAll(() => bed?.close());

  it("is exactly what the entities describe once the migrations have run", async () => {
    expect(await pendingSchemaChanges(bed.db.dataSource)).toEqual([]);
    expect(await isSchemaCurrent(bed.db.dataSource)).toBe(true);
  });
});

/** MariaDB only: the migrations run there; SQLite builds the tables from the entities. */
const MIGRATED = testDatabaseKinds().filter((kind) => kind === "mysql");
// describe.each of an empty list fails the whole file: without MariaDB, the suite is skipped instead.
const onMariaDb = MIGRATED.length > 0 ? describe.each(MIGRATED) : describe.skip.each<TestDatabaseKind>(["mysql"]);

onMariaDb("migration StatsPeriods on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind, { rawEventRetentionDays: 400 });
  });
  afterAll(() => bed?.close());

  it("fills the months and tenths of the daily rows already there, as the rollups would", async () => {
    const views: Partial<PageViewEntity>[] = [];
    for (let day = "2026-08-25"; day <= "2026-10-05"; day = addDays(day, 1)) {
      for (let i = 0; i < 4; i++) {
        views.push({
          day,
          hour: new Date(`${day}T1${i}:00:00.000Z`),
          visitorId: `${day}-${i % 3}`.padEnd(32, "0"),
          path: i === 0 ? `/on-${day.slice(8)}` : "/",
          referrerDomain: i === 1 ? "aol.com" : null,
          browser: "Firefox",
          utmSource: null,
          utmMedium: null,
          utmCampaign: null,
        });
      }
    }
    const ds = bed.db.dataSource;
    await ds.manager.insert(PageViewEntity, views);
    await bed.services.rollups.rollUp(system(bed), [...new Set(views.map((v) => v.day!))]);
    const rows = async () =>
      JSON.stringify(await ds.query("SELECT * FROM `stats_period` ORDER BY `dimension`, `period`, `labelId`"));
    const rolledUp = await rows();
    expect(JSON.parse(rolledUp).length).toBeGreaterThan(100);

    // As on a database that had daily rows before the table existed.
    const runner = ds.createQueryRunner();
    try {
      await runner.query("DROP TABLE `stats_period`");
      await new StatsPeriods1795638478177().up(runner);
    } finally {
      await runner.release();
    }

    expect(await rows()).toBe(rolledUp);
  });
});
