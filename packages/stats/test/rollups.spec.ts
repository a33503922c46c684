import { ErrorCode, Role } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { StatsDimension, StatsMetric, type StatsRow } from "../src";
import { PageViewEntity } from "../src/ingest/page-view.entity";
import {
  CHROME,
  FIREFOX,
  SAFARI,
  SITE,
  expectStatus,
  openStatsTestBed,
  pageView,
  rawViews,
  system,
  userActor,
  type StatsTestBed,
} from "./stats-test-bed";

const BOTH = [StatsMetric.VISITORS, StatsMetric.PAGEVIEWS];

/** A small deterministic pseudo-random generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe.each(testDatabaseKinds())("rollups on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  const marketing = () => bed.ctx(userActor(Role.MARKETING));
  const query = (from: string, to: string, dimension: StatsDimension, limit?: number) =>
    bed.services.queries.query(marketing(), { from, to, metrics: BOTH, dimension, limit });

  /** What a query over the rollups must answer, computed straight from the raw page views. */
  function fromRaw(
    views: PageViewEntity[],
    key: (view: PageViewEntity) => string | null,
  ): Map<string | null, StatsRow> {
    const perDay = new Map<string, { visitors: Set<string>; pageviews: number }>();
    for (const view of views) {
      const id = JSON.stringify([view.day, key(view)]);
      const entry = perDay.get(id) ?? { visitors: new Set<string>(), pageviews: 0 };
      entry.visitors.add(view.visitorId);
      entry.pageviews += 1;
      perDay.set(id, entry);
    }
    const rows = new Map<string | null, StatsRow>();
    for (const [id, entry] of perDay) {
      const k = (JSON.parse(id) as [string, string | null])[1];
      const row = rows.get(k) ?? { key: k, visitors: 0, pageviews: 0 };
      row.visitors! += entry.visitors.size;
      row.pageviews! += entry.pageviews;
      rows.set(k, row);
    }
    return rows;
  }

  const sortByKey = (rows: StatsRow[]) => [...rows].sort((a, b) => String(a.key).localeCompare(String(b.key)));

  it("answers exactly what the raw page views say, for every dimension, across the October clock change", async () => {
    const next = random(42);
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
    const start = new Date("2026-10-22T20:00:00.000Z").getTime();
    const span = 5 * 24 * 3_600_000;
    const paths = ["/", "/pricing", "/about", "/blog/one", "/blog/two"];
    const referrers = [null, null, "https://www.google.co.uk/", "https://aol.com/x", `https://${SITE}/`];
    const sources = ["", "", "", "utm_source=newsletter", "utm_source=partner"];
    for (let i = 0; i < 400; i++) {
      bed.clock.set(new Date(start + Math.floor(next() * span)));
      const source = pick(sources);
      const request = pageView({
        url: `https://${SITE}${pick(paths)}${source ? `?${source}` : ""}`,
        referrer: pick(referrers),
        ip: `198.51.100.${Math.floor(next() * 12)}`,
        userAgent: pick([CHROME, FIREFOX, SAFARI]),
      });
      expectStatus(bed, request, 202);
    }
    await bed.services.ingest.flush();
    bed.clock.set("2026-10-28T12:00:00.000Z");
    await bed.services.rollups.rollUp(system(bed), [
      "2026-10-22",
      "2026-10-23",
      "2026-10-24",
      "2026-10-25",
      "2026-10-26",
      "2026-10-27",
    ]);
    const views = await rawViews(bed);
    expect(views).toHaveLength(400);
    const from = "2026-10-22";
    const to = "2026-10-27";

    const cases: [StatsDimension, (v: PageViewEntity) => string | null][] = [
      [StatsDimension.NONE, () => null],
      [StatsDimension.DATE, (v) => v.day],
      [StatsDimension.PAGE, (v) => v.path],
      [StatsDimension.REFERRER_DOMAIN, (v) => v.referrerDomain],
      [StatsDimension.BROWSER, (v) => v.browser],
      [StatsDimension.UTM_SOURCE, (v) => v.utmSource],
    ];
    for (const [dimension, key] of cases) {
      const expected = [...fromRaw(views, key).values()];
      const actual = await query(from, to, dimension);
      expect({ dimension, rows: sortByKey(actual) }).toEqual({ dimension, rows: sortByKey(expected) });
    }
    // Hours: every hour of the range is listed; those with views match the raw counts.
    const zone = bed.services.zone;
    const hours = await query(from, to, StatsDimension.HOUR);
    const byHour = fromRaw(views, (v) => zone.formatHour(new Date(v.hour).getTime()));
    expect(hours.filter((row) => row.pageviews! > 0)).toEqual(sortByHour([...byHour.values()]));
    expect(hours).toHaveLength(6 * 24 + 1); // the 25th has 25 hours
    // Daily unique visitors add up: the range's visitors are the days' visitors summed.
    const days = await query(from, to, StatsDimension.DATE);
    const [total] = await query(from, to, StatsDimension.NONE);
    expect(total!.visitors).toBe(days.reduce((sum, d) => sum + d.visitors!, 0));
    expect(total!.pageviews).toBe(400);
  });

  it("sorts rankings by visitors then page views, and keeps to the limit", async () => {
    const view = (path: string, ip: string) => expectStatus(bed, pageView({ url: `https://${SITE}${path}`, ip }), 202);
    view("/a", "192.0.2.1");
    view("/b", "192.0.2.1");
    view("/b", "192.0.2.2");
    view("/c", "192.0.2.1");
    view("/c", "192.0.2.1");
    view("/c", "192.0.2.1");
    await bed.services.ingest.flush();
    await bed.services.rollups.rollUp(system(bed));

    expect(await query("2026-11-25", "2026-11-25", StatsDimension.PAGE)).toEqual([
      { key: "/b", visitors: 2, pageviews: 2 },
      { key: "/c", visitors: 1, pageviews: 3 },
      { key: "/a", visitors: 1, pageviews: 1 },
    ]);
    expect(await query("2026-11-25", "2026-11-25", StatsDimension.PAGE, 1)).toEqual([
      { key: "/b", visitors: 2, pageviews: 2 },
    ]);
    const pageviewsOnly = await bed.services.queries.query(marketing(), {
      from: "2026-11-25",
      to: "2026-11-25",
      metrics: [StatsMetric.PAGEVIEWS],
      dimension: StatsDimension.PAGE,
    });
    expect(pageviewsOnly).toEqual([
      { key: "/c", visitors: null, pageviews: 3 },
      { key: "/b", visitors: null, pageviews: 2 },
      { key: "/a", visitors: null, pageviews: 1 },
    ]);
  });

  it("puts views on the right side of midnight and of both clock changes", async () => {
    const at = (instant: string, path: string) => {
      bed.clock.set(instant);
      expectStatus(bed, pageView({ url: `https://${SITE}${path}` }), 202);
    };
    at("2026-07-14T22:59:59.000Z", "/late-on-the-14th"); // 23:59:59 BST
    at("2026-07-14T23:00:00.000Z", "/early-on-the-15th"); // 00:00 BST
    at("2026-03-29T00:30:00.000Z", "/spring-a"); // 00:30 GMT
    at("2026-03-29T01:30:00.000Z", "/spring-b"); // 02:30 BST
    at("2026-10-24T23:30:00.000Z", "/autumn-a"); // 00:30 BST on the 25th
    at("2026-10-25T00:30:00.000Z", "/autumn-b"); // 01:30 BST
    at("2026-10-25T01:30:00.000Z", "/autumn-c"); // 01:30 GMT
    await bed.services.ingest.flush();

    const views = await rawViews(bed);
    expect(views.map((v) => [v.path, v.day, bed.services.zone.formatHour(new Date(v.hour).getTime())])).toEqual([
      ["/late-on-the-14th", "2026-07-14", "2026-07-14T23:00+01:00"],
      ["/early-on-the-15th", "2026-07-15", "2026-07-15T00:00+01:00"],
      ["/spring-a", "2026-03-29", "2026-03-29T00:00+00:00"],
      ["/spring-b", "2026-03-29", "2026-03-29T02:00+01:00"],
      ["/autumn-a", "2026-10-25", "2026-10-25T00:00+01:00"],
      ["/autumn-b", "2026-10-25", "2026-10-25T01:00+01:00"],
      ["/autumn-c", "2026-10-25", "2026-10-25T01:00+00:00"],
    ]);

    bed.clock.set("2026-10-26T12:00:00.000Z");
    await bed.services.rollups.rollUp(system(bed), ["2026-10-25"]);
    const hours = await query("2026-10-25", "2026-10-25", StatsDimension.HOUR);
    expect(hours).toHaveLength(25);
    expect(hours.slice(0, 4)).toEqual([
      { key: "2026-10-25T00:00+01:00", visitors: 1, pageviews: 1 },
      { key: "2026-10-25T01:00+01:00", visitors: 1, pageviews: 1 },
      { key: "2026-10-25T01:00+00:00", visitors: 1, pageviews: 1 },
      { key: "2026-10-25T02:00+00:00", visitors: 0, pageviews: 0 },
    ]);
  });

  it("counts a view written after a rollup at the next one, and a second rollup changes nothing", async () => {
    expectStatus(bed, pageView(), 202);
    await bed.services.ingest.flush();
    await bed.services.rollups.rollUp(system(bed));
    expect(await query("2026-11-25", "2026-11-25", StatsDimension.NONE)).toEqual([
      { key: null, visitors: 1, pageviews: 1 },
    ]);

    expectStatus(bed, pageView({ ip: "192.0.2.99" }), 202);
    await bed.services.ingest.flush();
    await bed.services.rollups.rollUp(system(bed));
    await bed.services.rollups.rollUp(system(bed));

    expect(await query("2026-11-25", "2026-11-25", StatsDimension.NONE)).toEqual([
      { key: null, visitors: 2, pageviews: 2 },
    ]);
  });

  it("rolls up yesterday as well by default, for views that arrive late", async () => {
    bed.clock.set("2026-11-25T23:59:00.000Z");
    expectStatus(bed, pageView(), 202);
    bed.clock.set("2026-11-26T00:10:00.000Z");
    await bed.services.ingest.flush();

    expect(await bed.services.rollups.rollUp(system(bed))).toEqual(["2026-11-25", "2026-11-26"]);
    expect((await query("2026-11-25", "2026-11-26", StatsDimension.DATE)).map((r) => r.pageviews)).toEqual([1, 0]);
  });

  it("deletes raw page views after the retention period and keeps the counts", async () => {
    bed.clock.set("2026-11-17T12:00:00.000Z");
    expectStatus(bed, pageView(), 202);
    bed.clock.set("2026-11-18T12:00:00.000Z");
    expectStatus(bed, pageView(), 202);
    await bed.services.ingest.flush();
    await bed.services.rollups.rollUp(system(bed), ["2026-11-17", "2026-11-18"]);
    bed.clock.set("2026-11-25T12:00:00.000Z"); // the 17th is now 8 days ago, the 18th 7

    expect(await bed.services.rollups.purgeRawPageViews(system(bed))).toBe(1);

    expect((await rawViews(bed)).map((v) => v.day)).toEqual(["2026-11-18"]);
    expect((await query("2026-11-17", "2026-11-18", StatsDimension.DATE)).map((r) => r.pageviews)).toEqual([1, 1]);
    await expect(bed.services.rollups.rollUp(system(bed), ["2026-11-17"])).rejects.toMatchObject({
      code: ErrorCode.BAD_USER_INPUT,
    });
    expect(bed.services.rollups.oldestKeptDay(system(bed))).toBe("2026-11-18");
  });

  it("lists every day of a DATE range, with zeros where nothing happened", async () => {
    expect(await query("2026-11-24", "2026-11-26", StatsDimension.DATE)).toEqual([
      { key: "2026-11-24", visitors: 0, pageviews: 0 },
      { key: "2026-11-25", visitors: 0, pageviews: 0 },
      { key: "2026-11-26", visitors: 0, pageviews: 0 },
    ]);
  });

  it.each([
    ["no metric", { metrics: [] }, "input.metrics"],
    ["to before from", { from: "2026-11-25", to: "2026-11-24" }, "input.to"],
    ["a range over two years", { from: "2024-01-01", to: "2026-11-24" }, "input.to"],
    [
      "hours of more than 92 days",
      { from: "2026-01-01", to: "2026-11-24", dimension: StatsDimension.HOUR },
      "input.to",
    ],
    ["a limit of 0", { limit: 0 }, "input.limit"],
    ["a day that does not exist", { from: "2026-02-30" }, "input.from"],
  ])("refuses %s", async (_name, change, field) => {
    const result = bed.services.queries.query(marketing(), {
      from: "2026-11-25",
      to: "2026-11-25",
      metrics: BOTH,
      ...change,
    });

    await expect(result).rejects.toMatchObject({ code: ErrorCode.BAD_USER_INPUT, fields: [{ field }] });
  });
});

/** Hour rows in time order; their keys are local times with offsets (`2026-10-25T01:00+01:00`). */
function sortByHour(rows: StatsRow[]): StatsRow[] {
  const instant = (key: string) => new Date(`${key.slice(0, 16)}:00${key.slice(16)}`).getTime();
  return [...rows].sort((a, b) => instant(a.key!) - instant(b.key!));
}
