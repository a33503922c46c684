import { RequestContext } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { LOGIN, signedInAdmin, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const VISITOR_IP = "203.0.113.77";
const METRICS_TOKEN = "metrics-token-for-tests-0123456789-abcdef";

describe.each(testDatabaseKinds())("statistics and the security log over HTTP on %s", (kind) => {
  let t: TestGateway;

  beforeAll(async () => {
    // Behind a proxy, so the test can send from a visitor address of its choosing. The site is the
    // public URL's host (STATS_SITE_HOSTS unset); cookies stay plain-http for the test client.
    t = await startTestGateway(kind, {
      TRUST_PROXY: "true",
      PUBLIC_URL: "https://www.honour.example",
      COOKIE_SECURE: "false",
      METRICS_TOKEN,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const beacon = (body: string, headers: Record<string, string> = {}) =>
    t.client().fetch("/api/event", {
      method: "POST",
      headers: {
        "content-type": "text/plain;charset=UTF-8",
        "user-agent": CHROME,
        "x-forwarded-for": VISITOR_IP,
        ...headers,
      },
      body,
    });

  it("counts page views sent to /api/event without keeping the visitor's IP or user agent", async () => {
    const view = JSON.stringify({
      url: "https://www.honour.example/pricing?utm_source=news&email=x@y.z",
      referrer: "https://www.google.co.uk/search?q=crm",
    });
    expect((await beacon(view)).status).toBe(202);
    expect((await beacon(view)).status).toBe(202);
    expect((await beacon(view, { dnt: "1" })).status).toBe(202); // accepted, then dropped
    expect((await beacon(view, { "sec-gpc": "1" })).status).toBe(202);
    expect((await beacon(view, { "user-agent": "Googlebot/2.1 (+http://www.google.com/bot.html)" })).status).toBe(202);

    const { stats } = t.gateway.services;
    await stats.ingest.flush();
    const ctx = new RequestContext(t.gateway.dataSource, { kind: "system", name: "test" }, { now: () => new Date() });
    await stats.rollups.rollUp(ctx);

    const admin = await signedInAdmin(t);
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date());
    const result = await admin.ok<{ stats: { rows: { key: string; visitors: number; pageviews: number }[] } }>(
      `query ($input: StatsQueryInput!) { stats(input: $input) { rows { key visitors pageviews } } }`,
      { input: { from: today, to: today, metrics: ["VISITORS", "PAGEVIEWS"], dimension: "REFERRER_DOMAIN" } },
    );
    expect(result.stats.rows).toEqual([{ key: "google.co.uk", visitors: 1, pageviews: 2 }]);

    // No stats table holds the address or the browser string.
    for (const table of t.gateway.dataSource.entityMetadatas.filter((m) => m.tableName.startsWith("stats_"))) {
      const rows = await t.gateway.dataSource.query(
        `SELECT * FROM ${t.gateway.dataSource.driver.escape(table.tableName)}`,
      );
      const text = JSON.stringify(rows);
      expect(text).not.toContain(VISITOR_IP);
      expect(text).not.toContain("Chrome/131");
      expect(text).not.toContain("x@y.z");
    }
  });

  it("counts only pages on the site's own hosts: a beacon for another host is answered 202 and dropped", async () => {
    const page = (url: string) => beacon(JSON.stringify({ url, referrer: null }));
    expect((await page("https://example.org/hosts-check")).status).toBe(202);
    expect((await page("https://honour.example.evil.test/hosts-check")).status).toBe(202);
    expect((await page("https://www.honour.example/hosts-check")).status).toBe(202);
    expect((await page("https://honour.example/hosts-check")).status).toBe(202); // www. is the same site

    const { stats } = t.gateway.services;
    await stats.ingest.flush();
    const ctx = new RequestContext(t.gateway.dataSource, { kind: "system", name: "test" }, { now: () => new Date() });
    await stats.rollups.rollUp(ctx);
    const admin = await signedInAdmin(t);
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date());
    const result = await admin.ok<{ stats: { rows: { key: string; pageviews: number }[] } }>(
      `query ($input: StatsQueryInput!) { stats(input: $input) { rows { key pageviews } } }`,
      { input: { from: today, to: today, metrics: ["PAGEVIEWS"], dimension: "PAGE", limit: 1000 } },
    );
    expect(result.stats.rows.filter((row) => row.key === "/hosts-check")).toEqual([
      { key: "/hosts-check", pageviews: 2 },
    ]);
  });

  it("rejects an oversized or malformed beacon with a 4xx, never a 500", async () => {
    expect((await beacon("x".repeat(20_000))).status).toBe(413);
    const malformed = await beacon("{not json");
    expect(malformed.status).toBeGreaterThanOrEqual(400);
    expect(malformed.status).toBeLessThan(500);
    const binary = await t.client().fetch("/api/event", {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "user-agent": CHROME },
      body: new Uint8Array([0xff, 0xfe, 0x00, 0xc3]),
    });
    expect(binary.status).toBeLessThan(500);
  });

  it("explains refusals with a code, counts every answer in /metrics and logs the route, not the visitor", async () => {
    const view = JSON.stringify({ url: "https://www.honour.example/metrics-check" });
    const tooBig = await beacon("x".repeat(20_000));
    expect(await tooBig.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    const malformed = await beacon("{not json");
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: "BAD_EVENT" });
    expect((await beacon(view)).status).toBe(202);
    expect(
      (
        await t.client().fetch("/api/event?from=test", {
          method: "POST",
          headers: { "content-type": "text/plain", "user-agent": CHROME },
          body: view,
        })
      ).status,
    ).toBe(202);
    // Another method on the beacon's path is Fastify's: an ordinary 404.
    expect((await t.client().fetch("/api/event")).status).toBe(404);

    const metrics = await (
      await t.client().fetch("/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    const count = (status: number) =>
      Number(
        new RegExp(`honour_http_requests_total\\{route="/api/event",method="POST",status="${status}"\\} (\\d+)`).exec(
          metrics,
        )?.[1] ?? 0,
      );
    expect(count(202)).toBeGreaterThanOrEqual(2);
    expect(count(400)).toBeGreaterThanOrEqual(1);
    expect(count(413)).toBeGreaterThanOrEqual(1);

    const logs = t.logs.join("");
    expect(logs).toContain('"url":"/api/event?from=[REDACTED]"');
    expect(logs).not.toContain(VISITOR_IP);
  });

  it("serves the tracking script, which respects Do-Not-Track and Global Privacy Control", async () => {
    const response = await t.client().fetch("/js/honour.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/javascript/);
    const script = await response.text();
    expect(script).toContain("sendBeacon");
    expect(script).toMatch(/doNotTrack/);
    expect(script).toMatch(/globalPrivacyControl/);
  });

  it("logs failed sign-ins with the client's address for SECURITY and ADMIN only", async () => {
    const failed = await t.client({ "x-forwarded-for": "198.51.100.9" }).query(LOGIN, {
      input: { email: "intruder@example.test", password: "guessing-again-1" },
    });
    expect(failed.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    const query = `{ securityEvents(kind: LOGIN_FAILED, first: 50) { nodes { kind ip userId detail } } }`;
    const admin = await signedInAdmin(t);
    const events = await admin.ok<{ securityEvents: { nodes: { kind: string; ip: string; detail: string }[] } }>(query);
    expect(events.securityEvents.nodes).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: "LOGIN_FAILED", ip: "198.51.100.9" })]),
    );
    expect(JSON.stringify(events)).not.toContain("intruder@example.test");

    const { client } = await signedInCustomer(t);
    expect((await client.query(query)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await t.client().query(query)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});
