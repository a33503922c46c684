import { Role } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { StatsDimension, StatsMetric } from "../src";
import {
  CHROME,
  FIREFOX,
  GOOGLEBOT,
  SAFARI,
  SITE,
  expectStatus,
  openStatsTestBed,
  pageView,
  rawViews,
  system,
  userActor,
  type StatsTestBed,
  waitFor,
} from "./stats-test-bed";

describe.each(testDatabaseKinds())("ingest on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  async function visitorsByDay(from: string, to: string) {
    await bed.services.ingest.flush();
    await bed.services.rollups.rollUp(system(bed), [from, to]);
    return bed.services.queries.query(bed.ctx(userActor(Role.MARKETING)), {
      from,
      to,
      metrics: [StatsMetric.VISITORS, StatsMetric.PAGEVIEWS],
      dimension: StatsDimension.DATE,
    });
  }

  it("counts the same address and browser as one visitor all day, and as another the next day", async () => {
    expectStatus(bed, pageView({ url: `https://${SITE}/` }), 202);
    bed.clock.advance(3 * 3_600_000);
    expectStatus(bed, pageView({ url: `https://${SITE}/pricing` }), 202);
    bed.clock.advance(10 * 3_600_000); // 01:00 the next day
    expectStatus(bed, pageView({ url: `https://${SITE}/` }), 202);

    expect(await visitorsByDay("2026-11-25", "2026-11-26")).toEqual([
      { key: "2026-11-25", visitors: 1, pageviews: 2 },
      { key: "2026-11-26", visitors: 1, pageviews: 1 },
    ]);
    const views = await rawViews(bed);
    expect(views[0]!.visitorId).toBe(views[1]!.visitorId);
    expect(views[2]!.visitorId).not.toBe(views[0]!.visitorId);
  });

  it("tells visitors apart by address and by browser", async () => {
    expectStatus(bed, pageView({ ip: "203.0.113.7", userAgent: CHROME }), 202);
    expectStatus(bed, pageView({ ip: "203.0.113.8", userAgent: CHROME }), 202);
    expectStatus(bed, pageView({ ip: "203.0.113.7", userAgent: FIREFOX }), 202);
    // An IPv4 client that reached an IPv6 socket is the same client.
    expectStatus(bed, pageView({ ip: "::ffff:203.0.113.7", userAgent: CHROME }), 202);

    expect(await visitorsByDay("2026-11-25", "2026-11-25")).toEqual([{ key: "2026-11-25", visitors: 3, pageviews: 4 }]);
  });

  it.each([
    ["Do Not Track", pageView({ dnt: "1" })],
    ["Global Privacy Control", pageView({ secGpc: "1" })],
    ["Do Not Track sent twice", pageView({ dnt: "1, 1" })],
    ["a bot", pageView({ userAgent: GOOGLEBOT })],
    ["no user agent", pageView({ userAgent: undefined })],
    ["an excluded IPv4 range", pageView({ ip: "10.1.2.3" })],
    ["an excluded IPv4 range, IPv6-mapped", pageView({ ip: "::ffff:10.1.2.3" })],
    ["an excluded IPv6 range", pageView({ ip: "2001:db8::1" })],
    ["a page of another site", pageView({ url: "https://elsewhere.example/" })],
  ])("answers 202 but counts nothing for %s", async (_name, request) => {
    expectStatus(bed, request, 202);
    await bed.services.ingest.flush();

    expect(await rawViews(bed)).toEqual([]);
  });

  it("counts DNT: 0 and Sec-GPC: 0 like no header", async () => {
    expectStatus(bed, pageView({ dnt: "0", secGpc: "0" }), 202);
    await bed.services.ingest.flush();

    expect(await rawViews(bed)).toHaveLength(1);
  });

  it("keeps the path, the UTM parameters, the referring domain and the browser family, nothing else", async () => {
    expectStatus(
      bed,
      pageView({
        url: `https://www.${SITE}/Products/x?utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale&gclid=abc&email=ada@example.com#top`,
        referrer: "https://www.google.co.uk/search?q=honour+crm",
        userAgent: SAFARI,
      }),
      202,
    );
    expectStatus(bed, pageView({ url: `https://${SITE}/about`, referrer: `https://www.${SITE}/Products/x` }), 202);
    expectStatus(
      bed,
      pageView({ url: `https://${SITE}/about`, referrer: "android-app://com.google.android.gm/" }),
      202,
    );
    await bed.services.ingest.flush();

    const views = await rawViews(bed);
    // The event id, given on acceptance (for idempotent retries), says nothing of the visitor or the time.
    for (const view of views)
      expect(view.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(views.map((v) => v.eventId)).size).toBe(views.length);
    expect(views.map(({ id: _id, visitorId: _v, hour: _h, eventId: _e, ...rest }) => rest)).toEqual([
      {
        day: "2026-11-25",
        path: "/Products/x",
        referrerDomain: "google.co.uk",
        browser: "Safari",
        utmSource: "newsletter",
        utmMedium: "email",
        utmCampaign: "spring sale",
      },
      // Moving around the site is not a referral.
      {
        day: "2026-11-25",
        path: "/about",
        referrerDomain: null,
        browser: "Chrome",
        utmSource: null,
        utmMedium: null,
        utmCampaign: null,
      },
      {
        day: "2026-11-25",
        path: "/about",
        referrerDomain: null,
        browser: "Chrome",
        utmSource: null,
        utmMedium: null,
        utmCampaign: null,
      },
    ]);
    expect(views[0]!.visitorId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Date(views[0]!.hour).toISOString()).toBe("2026-11-25T12:00:00.000Z");
  });

  it("accepts application/json and falls back to the Referer header for the page", async () => {
    const request = pageView({ body: JSON.stringify({ referrer: null }), contentType: "application/json" });
    request.headers.referer = `https://${SITE}/from-header`;

    expectStatus(bed, request, 202);
    await bed.services.ingest.flush();

    expect((await rawViews(bed)).map((v) => v.path)).toEqual(["/from-header"]);
  });

  it("gives event ids in the order the views were accepted, after a random prefix drawn per process", async () => {
    for (let i = 0; i < 20; i++) expectStatus(bed, pageView({ ip: `198.51.100.${i}` }), 202);
    await bed.services.ingest.flush();
    const ids = (await rawViews(bed)).map((v) => v.eventId!);
    expect(ids).toHaveLength(20);
    // In order, the unique index takes them at one place (as auto-increment keys), not anywhere.
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids.map((id) => id.slice(0, 24))).size).toBe(1);

    await bed.restart();
    expectStatus(bed, pageView(), 202);
    await bed.services.ingest.flush();
    const next = (await rawViews(bed)).at(-1)!.eventId!;
    expect(next.slice(0, 24)).not.toBe(ids[0]!.slice(0, 24));
  });

  describe("batched writes", () => {
    const inserts = (spy: jest.SpyInstance) =>
      spy.mock.calls.filter(([sql]) => /^INSERT INTO .stats_page_view/.test(String(sql))).length;

    it("writes a full batch at once as one multi-row insert, without waiting for the timer", async () => {
      await bed.restart({ batchSize: 1000, flushIntervalMs: 60_000 });
      const spy = jest.spyOn(bed.db.dataSource.logger, "logQuery");
      try {
        for (let i = 0; i < 999; i++) expectStatus(bed, pageView({ ip: `198.51.100.${i % 250}` }), 202);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(inserts(spy)).toBe(0);

        expectStatus(bed, pageView(), 202);
        await waitFor(() => bed.services.ingest.buffered === 0);

        expect(inserts(spy)).toBe(1);
        expect(await rawViews(bed)).toHaveLength(1000);
      } finally {
        spy.mockRestore();
      }
    });

    // SQLite has one connection; MariaDB takes two inserts at once.
    (kind === "mysql" ? describe : describe.skip)("two inserts in flight", () => {
      const track = () => {
        const dataSource = bed.db.dataSource;
        const query = dataSource.query.bind(dataSource);
        const state = { running: 0, most: 0, inserts: 0, fail: 0 };
        const spy = jest
          .spyOn(dataSource, "query")
          .mockImplementation(async (sql: string, params?: unknown[] | object): Promise<unknown> => {
            if (!sql.startsWith("INSERT INTO `stats_page_view`")) return query(sql, params);
            state.inserts += 1;
            state.running += 1;
            state.most = Math.max(state.most, state.running);
            try {
              await new Promise((resolve) => setTimeout(resolve, 20));
              if (state.fail > 0) {
                state.fail -= 1;
                throw new Error("connection lost");
              }
              return await query(sql, params);
            } finally {
              state.running -= 1;
            }
          });
        return { state, spy };
      };

      it("writes two batches at once while more than one is buffered", async () => {
        await bed.restart({ batchSize: 10, flushIntervalMs: 60_000 });
        const { state, spy } = track();
        try {
          for (let i = 0; i < 30; i++) expectStatus(bed, pageView({ ip: `198.51.100.${i}` }), 202);
          await waitFor(() => bed.services.ingest.buffered === 0);

          expect(state).toMatchObject({ inserts: 3, most: 2 });
          expect(await rawViews(bed)).toHaveLength(30);
        } finally {
          spy.mockRestore();
        }
      });

      it("starts no batch after one fails, keeps the failed one and writes each view once", async () => {
        await bed.restart({ batchSize: 10, flushIntervalMs: 60_000 });
        for (let i = 0; i < 30; i++) expectStatus(bed, pageView({ ip: `198.51.100.${i}` }), 202);
        const { state, spy } = track();
        try {
          state.fail = 1;
          await expect(bed.services.ingest.flush()).rejects.toThrow("connection lost");
          // The first batch failed, the second was written, the third not started.
          expect(state.inserts).toBe(2);
          expect(bed.services.ingest.buffered).toBe(20);
          expect(await rawViews(bed)).toHaveLength(10);

          await bed.services.ingest.flush();
          const views = await rawViews(bed);
          expect(views).toHaveLength(30);
          expect(new Set(views.map((v) => v.eventId)).size).toBe(30);
        } finally {
          spy.mockRestore();
        }
      });
    });

    it("writes what it has after the flush interval", async () => {
      await bed.restart({ flushIntervalMs: 20 });

      expectStatus(bed, pageView(), 202);
      expectStatus(bed, pageView(), 202);
      await waitFor(() => bed.services.ingest.buffered === 0);

      expect(await rawViews(bed)).toHaveLength(2);
    });
  });

  describe("bad input is refused or ignored, never a crash", () => {
    it.each([
      ["a body over the limit", pageView({ body: `{"url":"https://${SITE}/${"a".repeat(9000)}"}` }), 413],
      ["a huge binary body", pageView({ body: Buffer.alloc(10_000_000, 0xff) }), 413],
      ["multi-byte text over the limit", pageView({ body: "€".repeat(3000) }), 413],
      ["no JSON", pageView({ body: "url=https://honour.example/" }), 400],
      ["a JSON array", pageView({ body: "[1,2]" }), 400],
      ["JSON null", pageView({ body: "null" }), 400],
      ["a url that is not a string", pageView({ body: '{"url":42}' }), 400],
      ["no url at all", pageView({ body: "{}" }), 400],
      ["a malformed url", pageView({ url: "https://exa mple.com:99999/" }), 400],
      ["a javascript: url", pageView({ url: "javascript:alert(1)" }), 400],
      ["a relative url", pageView({ url: "/pricing" }), 400],
      ["a url longer than any browser sends", pageView({ url: `https://${SITE}/${"a".repeat(5000)}` }), 400],
      ["non-UTF-8 bytes", pageView({ body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }), 400],
      ["a form post", pageView({ contentType: "application/x-www-form-urlencoded" }), 400],
      ["no content type", pageView({ contentType: "" }), 400],
    ])("%s", async (_name, request, status) => {
      expect(() => bed.services.ingest.accept(request)).not.toThrow();
      expectStatus(bed, request, status);
      await bed.services.ingest.flush();

      expect(await rawViews(bed)).toEqual([]);
    });

    it("ignores a malformed referrer and keeps the view", async () => {
      expectStatus(bed, pageView({ referrer: "http://[::1" }), 202);
      expectStatus(bed, pageView({ body: JSON.stringify({ url: `https://${SITE}/`, referrer: { no: 1 } }) }), 202);
      await bed.services.ingest.flush();

      expect((await rawViews(bed)).map((v) => v.referrerDomain)).toEqual([null, null]);
    });

    it("stores odd but valid input safely: encoded paths, emoji campaigns, control characters", async () => {
      expectStatus(
        bed,
        pageView({
          url: `https://${SITE}/caf\u00e9/%F0%9F%98%80?utm_source=%E2%9C%A8%00x&utm_campaign=${"z".repeat(300)}`,
        }),
        202,
      );
      await bed.services.ingest.flush();

      const [view] = await rawViews(bed);
      expect(view).toMatchObject({ path: "/caf%C3%A9/%F0%9F%98%80", utmSource: "\u2728x" });
      expect(view!.utmCampaign).toHaveLength(100);
    });
  });
});
