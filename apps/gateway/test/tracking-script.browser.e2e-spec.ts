import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RequestContext } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import type { BrowserContext, Request } from "playwright-core";
import { chromiumAvailability, launchChromium } from "./support/chromium";
import { signedInAdmin, startTestGateway, type TestGateway } from "./support/test-gateway";

/**
 * /js/honour.js in a real browser: Debian's headless Chromium loads a page of a site that embeds
 * the script from the gateway, as a customer's site would; the beacon it sends reaches the
 * gateway and is counted; with Do Not Track on in Chromium's settings, or Global Privacy Control
 * on, it sends nothing.
 */

/**
 * Headless Chromium calls itself "HeadlessChrome", which the gateway rightly drops as a bot; the
 * browser here says what a desktop Chrome says.
 */
const DESKTOP_CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
/** What the page's browser says, evaluated in the page (as text: this package has no DOM types). */
const SIGNALS = "[navigator.doNotTrack, navigator.globalPrivacyControl === true]";
/** How long a page that must not send a beacon is watched after it loaded. */
const QUIET_MS = 500;

const chromium = chromiumAvailability();

if (!chromium.present && chromium.onCi) {
  describe("the tracking script in Chromium", () => {
    it("needs Chromium in CI", () => {
      throw new Error(`${chromium.reason}. .ci/run installs it; in CI the browser test must run, not be skipped.`);
    });
  });
} else if (!chromium.present) {
  console.warn(`Skipping the tracking script's browser test: ${chromium.reason}.`);
  describe.skip("the tracking script in Chromium (skipped: no Chromium)", () => {
    it("counts page views", () => undefined);
  });
} else {
  describeBrowserTests();
}

/** A site on its own origin whose pages embed the gateway's tracking script; records each page request's headers. */
async function startSite(
  gatewayUrl: string,
): Promise<{ url: string; seen: Map<string, IncomingHttpHeaders>; server: Server }> {
  const seen = new Map<string, IncomingHttpHeaders>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://site").pathname;
    if (path === "/favicon.ico") {
      response.writeHead(404).end();
      return;
    }
    seen.set(path, request.headers);
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(
      `<!doctype html><html><head><title>${path}</title>` +
        `<script src="${gatewayUrl}/js/honour.js" async></script></head><body><h1>${path}</h1></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

function describeBrowserTests(): void {
  /** Requests each browser sent to /js/honour.js and /api/event, across pages. */
  const sent = new Map<BrowserContext, Request[]>();
  const browsers: Record<"plain" | "doNotTrack" | "gpc", { context: BrowserContext; close(): Promise<void> }> =
    {} as never;

  beforeAll(async () => {
    const [plain, doNotTrack, gpc] = await Promise.all([
      launchChromium({}, { userAgent: DESKTOP_CHROME }),
      // Chromium's own setting, "Send a 'Do Not Track' request with your browsing traffic".
      launchChromium({ doNotTrack: true }, { userAgent: DESKTOP_CHROME }),
      // Chromium has no Global Privacy Control setting; extensions that add it set the header
      // and navigator.globalPrivacyControl, as this profile does.
      launchChromium({}, { userAgent: DESKTOP_CHROME, extraHTTPHeaders: { "Sec-GPC": "1" } }),
    ]);
    await gpc.context.addInitScript({
      content: `Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true, configurable: true });`,
    });
    Object.assign(browsers, { plain, doNotTrack, gpc });
    for (const { context } of [plain, doNotTrack, gpc]) {
      sent.set(context, []);
      context.on("request", (request) => {
        if (/\/(js\/honour\.js|api\/event)$/.test(new URL(request.url()).pathname)) sent.get(context)!.push(request);
      });
    }
  }, 30_000);
  afterAll(async () => {
    await Promise.all(Object.values(browsers).map((b) => b.close()));
  });

  describe.each(testDatabaseKinds())("the tracking script in Chromium, counted on %s", (kind) => {
    let t: TestGateway;
    let site: Awaited<ReturnType<typeof startSite>>;

    beforeAll(async () => {
      t = await startTestGateway(kind);
      site = await startSite(t.url);
    });
    afterAll(async () => {
      // The browser keeps its connections to the site open; close them rather than wait.
      site?.server.closeAllConnections();
      await new Promise((resolve) => site?.server.close(resolve));
      await t?.close();
    });

    /** Paths of the raw page views stored so far, once the gateway's buffer is written. */
    async function storedPaths(): Promise<string[]> {
      await t.gateway.services.stats.ingest.flush();
      const rows: { path: string }[] = await t.gateway.dataSource.query("SELECT path FROM stats_page_view");
      return rows.map((r) => r.path).sort();
    }

    async function waitForStored(count: number): Promise<string[]> {
      const deadline = Date.now() + 5000;
      for (;;) {
        const paths = await storedPaths();
        if (paths.length >= count || Date.now() > deadline) return paths;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    const beacons = (context: BrowserContext, fromPath: string) =>
      sent
        .get(context)!
        .filter((r) => r.url() === `${t.url}/api/event`)
        .filter((r) => new URL((JSON.parse(r.postData() ?? "{}") as { url: string }).url).pathname === fromPath);

    it("sends a beacon on load and on a single-page navigation, and the gateway counts both", async () => {
      const { context } = browsers.plain;
      const page = await context.newPage();
      const landing = `${site.url}/pricing?utm_source=newsletter&utm_medium=email&session=abc#plans`;
      const first = page.waitForRequest((r) => r.url() === `${t.url}/api/event`);
      await page.goto(landing);
      const beacon = await first;

      expect(beacon.method()).toBe("POST");
      expect(beacon.headers()["content-type"]).toBe("text/plain;charset=UTF-8");
      expect(JSON.parse(beacon.postData()!)).toEqual({ url: landing, referrer: null });
      expect(await page.evaluate(SIGNALS)).toEqual([null, false]);

      const second = page.waitForRequest(
        (r) => r.url() === `${t.url}/api/event` && r.postData()?.includes("/about") === true,
      );
      await page.evaluate(`history.pushState({}, "", "/about")`);
      expect(JSON.parse((await second).postData()!)).toEqual({ url: `${site.url}/about`, referrer: landing });
      await page.close();

      expect(await waitForStored(2)).toEqual(["/about", "/pricing"]);
      const ctx = new RequestContext(t.gateway.dataSource, { kind: "system", name: "test" }, { now: () => new Date() });
      await t.gateway.services.stats.rollups.rollUp(ctx);
      const admin = await signedInAdmin(t);
      const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date());
      const stats = async (dimension: string) =>
        (
          await admin.ok<{ stats: { rows: { key: string | null; visitors: number; pageviews: number }[] } }>(
            `query ($input: StatsQueryInput!) { stats(input: $input) { rows { key visitors pageviews } } }`,
            { input: { from: today, to: today, metrics: ["VISITORS", "PAGEVIEWS"], dimension } },
          )
        ).stats.rows;
      // One visitor (same address and browser, same day), two pages; the site itself is no referrer.
      expect(await stats("NONE")).toEqual([{ key: null, visitors: 1, pageviews: 2 }]);
      expect(await stats("PAGE")).toEqual([
        { key: "/about", visitors: 1, pageviews: 1 },
        { key: "/pricing", visitors: 1, pageviews: 1 },
      ]);
      expect(await stats("UTM_SOURCE")).toEqual([
        { key: null, visitors: 1, pageviews: 1 },
        { key: "newsletter", visitors: 1, pageviews: 1 },
      ]);
      expect(await stats("BROWSER")).toEqual([{ key: "Chrome", visitors: 1, pageviews: 2 }]);
      expect(await stats("REFERRER_DOMAIN")).toEqual([{ key: null, visitors: 1, pageviews: 2 }]);
    });

    it.each([
      ["Do Not Track is on in Chromium's settings", "doNotTrack", "/dnt", ["1", false], { dnt: "1" }],
      ["Global Privacy Control is on", "gpc", "/gpc", [null, true], { "sec-gpc": "1" }],
    ] as const)("sends nothing when %s", async (_name, which, path, signals, header) => {
      const { context } = browsers[which];
      const before = await storedPaths();
      const page = await context.newPage();
      const script = page.waitForResponse((r) => r.url() === `${t.url}/js/honour.js`);
      await page.goto(`${site.url}${path}?utm_source=newsletter`);
      // The script was fetched and ran (the page's load waits for it); the browser said what it should.
      expect((await script).status()).toBe(200);
      await page.waitForLoadState("load");
      expect(await page.evaluate(SIGNALS)).toEqual(signals);
      expect(site.seen.get(path)).toMatchObject(header);
      // A single-page navigation sends nothing either.
      await page.evaluate(`history.pushState({}, "", "/after")`);
      await page.waitForTimeout(QUIET_MS);
      await page.close();

      expect(beacons(context, path)).toEqual([]);
      expect(beacons(context, "/after")).toEqual([]);
      expect(sent.get(context)!.filter((r) => r.url().endsWith("/api/event"))).toEqual([]);
      expect(await storedPaths()).toEqual(before);
    });
  });
}
