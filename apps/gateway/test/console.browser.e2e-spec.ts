import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GraphQLTestClient, startSmtpPeer, testDatabaseKinds, waitFor, type SmtpPeer } from "@honour/testing";
import { Secret, TOTP } from "otpauth";
import type { BrowserContext, Page } from "playwright-core";
import { DEFAULT_TRUSTED_DOCUMENTS_FILE } from "../src/graphql/trusted-documents";
import { chromiumAvailability, launchChromium } from "./support/chromium";
import { startBuiltServer, type BuiltServer } from "./support/built-processes";

/**
 * The staff console in Debian's Chromium, against the built gateway and worker started as a user
 * starts them (demo accounts on): each role sees only its pages; the Statistics page draws the
 * seeded page views and shows the figures the `stats` query answers; a campaign sent from the
 * console reaches the SMTP peer while its progress bar reaches 100%; every page works from the
 * keyboard alone and has no serious or critical axe-core violation; screenshots of every page at
 * 1280 and 390 px are written to docs/screenshots/.
 */

const DEMO_PASSWORD = "honour-demo-password";
const demo = (role: string) => `${role.toLowerCase()}@demo.example.com`;
const DESKTOP_CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const SCREENSHOTS = join(__dirname, "..", "..", "..", "docs", "screenshots");

/** Each role's pages, as the console's navigation must list them. */
const PAGES_BY_ROLE: Record<string, string[]> = {
  SUPPORT: ["Privacy requests", "Users"],
  MARKETING: ["Statistics", "Campaigns"],
  SECURITY: ["Audit log", "Security log"],
  ADMIN: ["Statistics", "Campaigns", "Privacy requests", "Audit log", "Security log", "Partners", "Users"],
};
const PATHS: Record<string, string> = {
  Statistics: "/console/statistics",
  Campaigns: "/console/campaigns",
  "Privacy requests": "/console/privacy-requests",
  "Audit log": "/console/audit-log",
  "Security log": "/console/security-log",
  Partners: "/console/partners",
  Users: "/console/users",
};

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      user {
        id
      }
    }
  }
`;
const GRANT_NEWSLETTER = /* GraphQL */ `
  mutation {
    setPreferences(input: [{ topic: NEWSLETTER, channel: EMAIL, granted: true }]) {
      topic
    }
  }
`;
const RECORD_REQUEST = /* GraphQL */ `
  mutation Record($input: RecordPrivacyRequestInput!) {
    recordPrivacyRequest(input: $input) {
      id
    }
  }
`;
/** The id of @honour/client's `query Partner` in its trusted documents. */
const PARTNER_DOCUMENT_ID = Object.entries(
  JSON.parse(readFileSync(DEFAULT_TRUSTED_DOCUMENTS_FILE, "utf8")) as Record<string, string>,
).find(([, text]) => text.startsWith("query Partner {"))![0];
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const AXE_VERSION = (JSON.parse(readFileSync(require.resolve("axe-core/package.json"), "utf8")) as { version: string })
  .version;

const STATS = /* GraphQL */ `
  query Stats($input: StatsQueryInput!) {
    stats(input: $input) {
      rows {
        key
        visitors
        pageviews
      }
    }
  }
`;

const chromium = chromiumAvailability();

if (!chromium.present && chromium.onCi) {
  describe("the staff console in Chromium", () => {
    it("needs Chromium in CI", () => {
      throw new Error(`${chromium.reason}. .ci/run installs it; in CI the browser test must run, not be skipped.`);
    });
  });
} else if (!chromium.present) {
  console.warn(`Skipping the console's browser test: ${chromium.reason}.`);
  describe.skip("the staff console in Chromium (skipped: no Chromium)", () => {
    it("signs in", () => undefined);
  });
} else {
  describe.each(testDatabaseKinds())("the staff console in Chromium, on %s", (kind) => {
    let server: BuiltServer;
    let smtp: SmtpPeer;
    let browser: { context: BrowserContext; close(): Promise<void> };
    /** Problems the pages reported: script errors and Content-Security-Policy refusals. */
    const pageProblems: string[] = [];

    beforeAll(async () => {
      smtp = await startSmtpPeer();
      server = await startBuiltServer(kind, { SMTP_URL: smtp.url, MAIL_FROM: "news@honour.test" });
      await seedPageViews(server.url);
      // The worker rolls the page views up as soon as it starts (its schedules' first slot).
      server.startWorker();
      browser = await launchChromium();
      browser.context.on("page", (page) => watch(page, pageProblems));
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await smtp?.close();
    });
    afterEach(() => {
      expect(pageProblems).toEqual([]);
      pageProblems.length = 0;
    });

    async function signIn(role: string, width = 1280, base = server.url): Promise<Page> {
      // Each sign-in starts signed out, whatever an earlier test left behind.
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${base}/console`);
      await page.getByLabel("Email").fill(demo(role));
      await page.getByLabel("Password").fill(DEMO_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("button", { name: "Sign out" }).waitFor();
      return page;
    }

    /** An API client signed in as the demo account of `role`. */
    async function apiAs(role: string): Promise<GraphQLTestClient> {
      const api = new GraphQLTestClient(server.url);
      await api.ok(
        `mutation { login(input: { email: "${demo(role)}", password: "${DEMO_PASSWORD}" }) { user { id } } }`,
      );
      return api;
    }

    async function signOut(page: Page): Promise<void> {
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
      await page.close();
    }

    it.each(Object.keys(PAGES_BY_ROLE))("lets %s sign in and shows it only its pages", async (role) => {
      const page = await signIn(role);
      const navigation = page.getByRole("navigation", { name: "Console" });
      const links = (await navigation.getByRole("link").allTextContents()).filter((text) => text !== "GraphQL IDE");
      expect(links).toEqual(PAGES_BY_ROLE[role]);
      for (const title of PAGES_BY_ROLE[role]!) {
        await navigation.getByRole("link", { name: title, exact: true }).click();
        await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(title);
        expect(new URL(page.url()).pathname).toBe(PATHS[title]);
      }
      // A page of another role, opened by its address, is not shown.
      for (const title of Object.keys(PATHS).filter((t) => !PAGES_BY_ROLE[role]!.includes(t))) {
        await page.goto(`${server.url}${PATHS[title]}`);
        await page.getByRole("heading", { level: 1 }).waitFor();
        expect(await page.getByRole("heading", { level: 1 }).textContent()).not.toBe(title);
      }
      await signOut(page);
    });

    it("keeps a customer out of the console", async () => {
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/console`);
      await page.getByLabel("Email").fill(demo("CUSTOMER"));
      await page.getByLabel("Password").fill(DEMO_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText("the console is for staff only").waitFor();
      expect(await page.getByRole("navigation", { name: "Console" }).count()).toBe(0);
      await page.close();
    });

    it("says why a sign-in failed, in words", async () => {
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/console`);
      await page.getByLabel("Email").fill(demo("MARKETING"));
      await page.getByLabel("Password").fill("not the password at all");
      await page.getByRole("button", { name: "Sign in" }).click();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      expect(await alert.getAttribute("data-code")).toBe("UNAUTHENTICATED");
      await page.close();
    });

    it("asks for the authenticator's code when the account has two-factor on, and signs in with it", async () => {
      // A new SUPPORT account (made by the demo ADMIN) turns two-factor on through the API.
      const admin = new GraphQLTestClient(server.url);
      await admin.ok(
        `mutation { login(input: { email: "${demo("ADMIN")}", password: "${DEMO_PASSWORD}" }) { user { id } } }`,
      );
      const staff = new GraphQLTestClient(server.url);
      const email = `two.factor.${Date.now()}@example.test`;
      const password = "correct horse battery";
      const registered = await staff.ok<{ register: { user: { id: string } } }>(REGISTER, {
        input: { email, password, name: "Tess Twofactor" },
      });
      await admin.ok(`mutation ($id: ID!) { setUserRole(userId: $id, role: SUPPORT) { id } }`, {
        id: registered.register.user.id,
      });
      const enrolment = await staff.ok<{ startTotpEnrolment: { secret: string } }>(
        `mutation { startTotpEnrolment { secret } }`,
      );
      const totp = new TOTP({ secret: Secret.fromBase32(enrolment.startTotpEnrolment.secret) });
      const enrolledIn = Math.floor(Date.now() / 30_000);
      await staff.ok(`mutation ($code: String!) { confirmTotpEnrolment(code: $code) }`, { code: totp.generate() });

      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/console`);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      const codeField = page.getByLabel("Code from your authenticator app, or a recovery code");
      await codeField.waitFor();
      // A wrong code is refused in words, and the step stays.
      await codeField.fill("000000");
      await page.getByRole("button", { name: "Continue" }).click();
      const refusal = page.getByRole("alert");
      await refusal.waitFor();
      expect(await refusal.getAttribute("data-code")).toBe("BAD_USER_INPUT");
      // A code is used once: wait for the next 30-second step after the one the enrolment used.
      while (Math.floor(Date.now() / 30_000) === enrolledIn) await new Promise((r) => setTimeout(r, 250));
      await codeField.fill(totp.generate());
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("button", { name: "Sign out" }).waitFor();
      const links = await page.getByRole("navigation", { name: "Console" }).getByRole("link").allTextContents();
      expect(links.filter((text) => text !== "GraphQL IDE")).toEqual(PAGES_BY_ROLE.SUPPORT);
      await signOut(page);
    }, 120_000);

    it("draws the seeded page views and shows the figures the stats query answers", async () => {
      const api = new GraphQLTestClient(server.url);
      await api.ok(
        `mutation { login(input: { email: "${demo("MARKETING")}", password: "${DEMO_PASSWORD}" }) { user { id } } }`,
      );
      const page = await signIn("MARKETING");
      const timeZone = await page.getByTestId("time-zone").textContent();
      expect(timeZone).toBe("Europe/London");
      const today = new Intl.DateTimeFormat("en-CA", { timeZone: timeZone! }).format(new Date());

      // The worker rolls up on start: wait until the API counts what was seeded (the demo data's
      // 30 days of page views are there too).
      await waitFor(
        async () => {
          const data = await api.ok<{ stats: { rows: { key: string; pageviews: number }[] } }>(STATS, {
            input: { from: today, to: today, metrics: ["PAGEVIEWS"], dimension: "PAGE", limit: 1000 },
          });
          return (
            data.stats.rows.filter((r) => r.key.startsWith(SEEDED_PREFIX)).reduce((n, r) => n + r.pageviews, 0) ===
            SEEDED_VIEWS
          );
        },
        60_000,
        250,
      );
      const figure = async (testId: string) =>
        Number((await page.getByTestId(testId).textContent())!.replace(/,/g, ""));

      for (const [period, series, from] of [
        ["Today", "HOUR", today],
        ["7 days", "DATE", addDays(today, -6)],
        ["30 days", "DATE", addDays(today, -29)],
      ] as const) {
        const totals = (
          await api.ok<{ stats: { rows: { visitors: number; pageviews: number }[] } }>(STATS, {
            input: { from, to: today, metrics: ["VISITORS", "PAGEVIEWS"], dimension: "NONE" },
          })
        ).stats.rows[0]!;
        await page.getByRole("radio", { name: period, exact: true }).check();
        await page.getByText(`${from} to ${today}, compared with`).waitFor();
        await waitFor(async () => (await figure("total-pageviews")) === totals.pageviews, 10_000);
        expect(await figure("total-visitors")).toBe(totals.visitors);

        // The chart is drawn: uPlot's canvas, one point per hour or day of the period.
        const chart = page.locator(".chart");
        const canvas = chart.locator("canvas");
        expect(await canvas.count()).toBe(1);
        const box = await canvas.boundingBox();
        expect(box!.width).toBeGreaterThan(200);
        expect(box!.height).toBeGreaterThan(100);

        // The table under the chart holds the chart's figures: the same as the stats query's.
        const expected = await api.ok<{ stats: { rows: { key: string; visitors: number; pageviews: number }[] } }>(
          STATS,
          { input: { from, to: today, metrics: ["VISITORS", "PAGEVIEWS"], dimension: series } },
        );
        expect(Number(await chart.getAttribute("data-points"))).toBe(expected.stats.rows.length);
        await page.getByText("The chart's figures as a table").click();
        const shown = await page
          .getByTestId("series")
          .locator("tbody tr")
          .evaluateAll((rows) =>
            rows.map((row) => {
              const cells = [...row.children].map((cell) => cell.textContent ?? "");
              return { key: cells[0], visitors: Number(cells[1]), pageviews: Number(cells[2]) };
            }),
          );
        expect(shown).toEqual(expected.stats.rows);
        expect(shown.reduce((sum, row) => sum + row.pageviews, 0)).toBe(totals.pageviews);
        await page.getByText("The chart's figures as a table").click();
      }
      await page.getByRole("radio", { name: "Today", exact: true }).check();
      await page.getByText(`${today} to ${today}, compared with`).waitFor();
      const totals = (
        await api.ok<{ stats: { rows: { visitors: number; pageviews: number }[] } }>(STATS, {
          input: { from: today, to: today, metrics: ["VISITORS", "PAGEVIEWS"], dimension: "NONE" },
        })
      ).stats.rows[0]!;

      // The top lists (top 10 by visitors) are the stats query's, row for row.
      for (const [caption, dimension, none] of [
        ["Top pages", "PAGE", "(none)"],
        ["Referrers", "REFERRER_DOMAIN", "Direct"],
        ["Browsers", "BROWSER", "Unknown"],
        ["UTM sources", "UTM_SOURCE", "None"],
      ] as const) {
        const expected = await api.ok<{
          stats: { rows: { key: string | null; visitors: number; pageviews: number }[] };
        }>(STATS, { input: { from: today, to: today, metrics: ["VISITORS", "PAGEVIEWS"], dimension, limit: 10 } });
        const shown = await page
          .getByRole("table", { name: caption })
          .locator("tbody tr")
          .evaluateAll((rows) =>
            rows.map((row) => [...row.children].map((cell) => (cell.textContent ?? "").replace(/,/g, ""))),
          );
        expect(shown).toEqual(expected.stats.rows.map((r) => [r.key ?? none, String(r.visitors), String(r.pageviews)]));
      }
      // The CSV holds what is on screen.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Download CSV" }).click(),
      ]);
      const csv = readFileSync((await download.path())!, "utf8");
      expect(csv.split("\r\n")[0]).toBe("section,key,visitors,pageviews");
      expect(csv).toContain(`total,(none),${totals.visitors},${totals.pageviews}`);
      const hours = csv.split("\r\n").filter((line) => line.startsWith("hour,"));
      expect(hours.length).toBeGreaterThanOrEqual(23); // 23 to 25 hours in a day of the site's zone
      expect(hours.reduce((sum, line) => sum + Number(line.split(",")[3]), 0)).toBe(totals.pageviews);
      await signOut(page);
    });

    it("serves the console with a strict Content-Security-Policy and cacheable assets", async () => {
      const response = await fetch(`${server.url}/console/statistics`);
      expect(response.status).toBe(200);
      const csp = response.headers.get("content-security-policy")!;
      const directive = (name: string) =>
        csp
          .split(";")
          .map((d) => d.trim())
          .find((d) => d.startsWith(`${name} `));
      expect(directive("script-src")).toBe("script-src 'self'");
      expect(directive("style-src")).toBe("style-src 'self'"); // style sheets: only the console's own
      expect(directive("default-src")).toBe("default-src 'none'");
      expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
      expect(response.headers.get("cache-control")).toBe("no-cache");
      const html = await response.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
      const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1]!;
      const asset = await fetch(`${server.url}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect((await fetch(`${server.url}/console/assets/nothing-here.js`)).status).toBe(404);
    });

    it("sends a campaign written in the console to the SMTP peer, its progress bar reaching 100% across a reload", async () => {
      // A customer who granted the newsletter by email.
      const customer = new GraphQLTestClient(server.url);
      const email = `reader.${Date.now()}@example.test`;
      await customer.ok(REGISTER, { input: { email, password: "correct horse battery", name: "Rita Reader" } });
      // Double opt-in: an email grant counts once the address is verified, with the link mailed to it.
      const welcome = await waitFor(
        () => smtp.messages.find((m) => m.to === email && /\/account\/verify\?token=/.test(m.body)),
        30_000,
      );
      const verifyToken = /\/account\/verify\?token=([A-Za-z0-9_-]+)/.exec(welcome.body)![1]!;
      await customer.ok(`mutation ($token: String!) { verifyEmail(token: $token) { id } }`, { token: verifyToken });
      await customer.ok(GRANT_NEWSLETTER);

      const page = await signIn("MARKETING");
      await page.getByRole("link", { name: "Campaigns", exact: true }).click();
      await page.getByRole("link", { name: "Write a campaign" }).click();
      const subject = `Winter news ${Date.now()}`;
      await page.getByLabel("Topic").selectOption("NEWSLETTER");
      await page.getByLabel("Subject").fill(subject);
      await page.getByLabel("Text (the unsubscribe footer is added)").fill("Our winter news, in plain text.");
      await page.getByLabel("HTML (optional; the footer is added)").fill("<p>Our <strong>winter</strong> news.</p>");
      await page.getByRole("button", { name: "Save as draft and preview" }).click();

      // The preview as the recipient gets it, with the footer, and the recipient count.
      const preview = page.getByTestId("preview-text");
      await preview.waitFor();
      expect(await preview.textContent()).toContain("Our winter news, in plain text.");
      expect(await preview.textContent()).toMatch(/unsubscribe/i);
      const eligible = Number(/^(\d+)/.exec((await page.getByTestId("eligible-recipients").textContent())!)![1]);
      expect(eligible).toBeGreaterThanOrEqual(1);
      expect(await page.frameLocator("iframe[title='HTML preview']").locator("strong").textContent()).toBe("winter");

      await page.getByRole("button", { name: "Send…" }).click();
      await page.getByRole("button", { name: /^Send to \d+ (person|people) now$/ }).click();
      const bar = page.getByTestId("send-progress");
      await bar.waitFor();
      const campaignPath = new URL(page.url()).pathname;
      expect(campaignPath).toMatch(/^\/console\/campaigns\/.+/);

      // A reload mid-send picks the progress up again from the address.
      await page.reload();
      await page.getByTestId("send-progress").waitFor();
      await waitFor(async () => (await page.getByTestId("send-progress").getAttribute("value")) === "100", 90_000, 200);
      expect(await page.getByText("Sent: 100%").count()).toBe(1);
      const mail = await waitFor(
        () => smtp.messages.find((m) => m.to === email && m.headers.get("subject") === subject),
        10_000,
      );
      expect(mail.body).toContain("Our winter news, in plain text.");
      expect(Number(await page.getByTestId("sent-count").textContent())).toBeGreaterThanOrEqual(1);
      await signOut(page);
    });

    it("records a request received by post and extends it with the reason, as the API then shows", async () => {
      const page = await signIn("SUPPORT");
      await page.getByRole("link", { name: "Privacy requests", exact: true }).click();
      await page.getByRole("button", { name: "Record a request received by post, phone or email" }).click();
      const contact = `Flat ${Date.now() % 1000}, 1 High Street, Leeds LS1 1AA`;
      await page.getByLabel("Type").selectOption("ACCESS");
      await page.getByLabel("Received by").selectOption("LETTER");
      await page.getByLabel("How to reach the requester (needed when no account is named)").fill(contact);
      await page.getByRole("button", { name: "Record the request" }).click();
      const row = page.getByRole("row").filter({ hasText: contact });
      await row.waitFor();
      expect(await row.textContent()).toMatch(/\d+ days left/);
      await row.getByRole("button", { name: "Extend…" }).click();
      await row.getByLabel("Why more time is needed (told to the requester)").fill("The archive boxes are off site.");
      await row.getByLabel("Months to add").selectOption("2");
      await row.getByRole("button", { name: "Extend", exact: true }).click();
      await row.getByText("extended by 2 month(s)").waitFor();

      const api = new GraphQLTestClient(server.url);
      await api.ok(
        `mutation { login(input: { email: "${demo("SUPPORT")}", password: "${DEMO_PASSWORD}" }) { user { id } } }`,
      );
      const list = await api.ok<{
        privacyRequests: {
          nodes: { requesterContact: string; extendedByMonths: number; extensionReason: string; channel: string }[];
        };
      }>(`{ privacyRequests(first: 100) { nodes { requesterContact extendedByMonths extensionReason channel } } }`);
      expect(list.privacyRequests.nodes.find((r) => r.requesterContact === contact)).toMatchObject({
        channel: "LETTER",
        extendedByMonths: 2,
        extensionReason: expect.stringContaining("The archive boxes are off site."),
      });
      await signOut(page);
    });

    it("pages the privacy queue by due date across pages, overdue first, as the API orders it", async () => {
      const api = await apiAs("SUPPORT");
      // 25 letters received over the last 50 days, recorded in no order: more than the console's page of 20.
      const now = Date.now();
      for (let i = 0; i < 25; i++) {
        const daysAgo = (i * 17) % 50;
        await api.ok(RECORD_REQUEST, {
          input: {
            type: "OBJECTION",
            channel: "LETTER",
            requesterContact: `Queue ${i}, 2 Low Road, York YO1 1AA`,
            receivedAt: new Date(now - daysAgo * 86_400_000 - i * 60_000).toISOString(),
          },
        });
      }
      const queue = await api.ok<{ privacyRequests: { nodes: { id: string; dueAt: string; daysLeft: number }[] } }>(
        `{ privacyRequests(status: RECEIVED, orderBy: DUE_FIRST, first: 100) { nodes { id dueAt daysLeft } } }`,
      );
      const expected = queue.privacyRequests.nodes;
      expect(expected.length).toBeGreaterThan(20);
      expect(expected.map((r) => r.dueAt)).toEqual(expected.map((r) => r.dueAt).sort());
      expect(expected[0]!.daysLeft).toBeLessThan(0);

      const page = await signIn("SUPPORT");
      await page.getByRole("link", { name: "Privacy requests", exact: true }).click();
      const rows = page.getByRole("table", { name: "Requests, by due date" }).locator("tbody tr[data-request-id]");
      const shownIds = () => rows.evaluateAll((all) => all.map((row) => row.getAttribute("data-request-id")));
      await rows.first().waitFor();
      expect(await shownIds()).toEqual(expected.slice(0, 20).map((r) => r.id));
      expect(await rows.first().getAttribute("data-overdue")).toBe("true");
      expect(await rows.first().textContent()).toMatch(/Overdue by \d+ days?/);

      const pager = page.getByRole("navigation", { name: "Privacy requests pages" });
      await pager.getByRole("button", { name: "Next page" }).click();
      await pager.getByText("Page 2").waitFor();
      await waitFor(async () => (await shownIds())[0] === expected[20]!.id, 10_000);
      expect(await shownIds()).toEqual(expected.slice(20, 40).map((r) => r.id));
      await signOut(page);
    });

    it("creates a partner, issues a key, rotates and revokes it, and deactivates the partner, as the API then answers", async () => {
      const page = await signIn("ADMIN");
      await page.getByRole("link", { name: "Partners", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Partners" }).waitFor();
      const name = `Reseller ${Date.now()}`;
      const form = page.getByRole("form", { name: "Add a partner" });
      await form.getByLabel("Name").fill(name);
      await form.getByLabel("Contact email").fill("keys@reseller.example");
      await form.getByRole("button", { name: "Add partner" }).click();
      const card = page.getByRole("article").filter({ has: page.getByRole("heading", { name: new RegExp(name) }) });
      await card.waitFor();
      expect(await card.getByRole("heading").textContent()).toBe(`${name} (active)`);

      const issue = async (): Promise<string> => {
        await card.getByRole("button", { name: "Issue an API key" }).click();
        const secret = card.getByTestId("api-key-secret");
        await secret.waitFor();
        const text = (await secret.textContent())!.trim();
        await card.getByRole("button", { name: "I have copied it: hide it" }).click();
        await secret.waitFor({ state: "detached" });
        return text;
      };
      const first = await issue();
      expect(first).toMatch(/^hpk_/);
      // Partner keys run only trusted documents: @honour/client's `Partner` query, by its id.
      const partnerName = async (key: string) => {
        const response = await fetch(`${server.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
          body: JSON.stringify({ documentId: PARTNER_DOCUMENT_ID }),
        });
        const body = (await response.json()) as {
          data?: { partner: { name: string } };
          errors?: { extensions?: { code?: string } }[];
        };
        return { status: response.status, ...body };
      };
      const accepted = await partnerName(first);
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data?.partner.name).toBe(name);

      // Rotation: a second key, then the first revoked from its row.
      const second = await issue();
      expect(second).not.toBe(first);
      const admin = await apiAs("ADMIN");
      const keysOf = async () => {
        const data = await admin.ok<{
          partners: {
            nodes: { name: string; active: boolean; apiKeys: { prefix: string; revokedAt: string | null }[] }[];
          };
        }>(`{ partners(first: 100) { nodes { name active apiKeys { prefix revokedAt } } } }`);
        return data.partners.nodes.find((p) => p.name === name)!;
      };
      const before = await keysOf();
      expect(before.apiKeys).toHaveLength(2);
      const firstKey = before.apiKeys.find((k) => first.startsWith(k.prefix))!;
      expect(firstKey).toBeDefined();
      await card.getByRole("button", { name: `Revoke ${firstKey.prefix}` }).click();
      await card
        .getByRole("row")
        .filter({ hasText: firstKey.prefix })
        .getByText(/^revoked/)
        .waitFor();

      const after = await keysOf();
      expect(after.apiKeys.find((k) => k.prefix === firstKey.prefix)!.revokedAt).not.toBeNull();
      expect(after.apiKeys.filter((k) => k.revokedAt === null)).toHaveLength(1);
      const refused = await partnerName(first);
      expect(refused.status).toBe(401);
      expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect((await partnerName(second)).data?.partner.name).toBe(name);

      // Deactivated, its remaining key stops working too, and it cannot be given a key.
      await card.getByRole("button", { name: "Deactivate" }).click();
      await card.getByRole("heading", { name: `${name} (inactive)` }).waitFor();
      expect((await keysOf()).active).toBe(false);
      expect((await partnerName(second)).errors?.[0]?.extensions?.code).toBeDefined();
      expect(await card.getByRole("button", { name: "Issue an API key" }).isDisabled()).toBe(true);
      await card.getByRole("button", { name: "Activate" }).click();
      await card.getByRole("heading", { name: `${name} (active)` }).waitFor();
      expect((await partnerName(second)).data?.partner.name).toBe(name);
      await signOut(page);
    });

    it("finds a user, corrects their details and changes their role, as the API then answers", async () => {
      const person = new GraphQLTestClient(server.url);
      const email = `corrected.${Date.now()}@example.test`;
      const registered = await person.ok<{ register: { user: { id: string } } }>(REGISTER, {
        input: { email, password: "correct horse battery", name: "Wrong Name" },
      });
      const id = registered.register.user.id;

      const page = await signIn("ADMIN");
      await page.getByRole("link", { name: "Users", exact: true }).click();
      await page.getByRole("search").getByLabel("Email or name").fill(email);
      await page.getByRole("search").getByRole("button", { name: "Find" }).click();
      await page.getByRole("link", { name: email }).click();
      await page.getByRole("heading", { level: 2, name: email }).waitFor();

      await page.getByLabel("Name", { exact: true }).fill("Right Name");
      await page.getByLabel("Job title").fill("Archivist");
      await page.getByRole("button", { name: "Save the correction" }).click();
      await page.getByText("Saved, and recorded in the audit log.").waitFor();

      // A label around a select is named with the option shown too ("Role customer").
      await page.getByRole("combobox", { name: /^Role/ }).selectOption("SUPPORT");
      await page.getByRole("button", { name: "Change role" }).click();
      await page.getByText("The role is now support.").waitFor();

      const admin = await apiAs("ADMIN");
      const { user } = await admin.ok<{ user: { name: string; jobTitle: string | null; role: string } }>(
        `query ($id: ID!) { user(id: $id) { name jobTitle role } }`,
        { id },
      );
      expect(user).toEqual({ name: "Right Name", jobTitle: "Archivist", role: "SUPPORT" });
      // A bad correction is refused in words, and nothing changes.
      await page.getByLabel("Phone (international form, e.g. +44 20 7946 0000)").fill("not a number");
      await page.getByRole("button", { name: "Save the correction" }).click();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      expect(await alert.getAttribute("data-code")).toBe("BAD_USER_INPUT");
      await signOut(page);
    });

    it("filters the audit log by subject and the security log by kind, showing what the API answers", async () => {
      // A person whose record the admin opens (one PERSON_VIEWED entry about them), and a failed sign-in.
      const person = new GraphQLTestClient(server.url);
      const registered = await person.ok<{ register: { user: { id: string } } }>(REGISTER, {
        input: { email: `audited.${Date.now()}@example.test`, password: "correct horse battery", name: "Aud Ited" },
      });
      const subjectId = registered.register.user.id;
      const admin = await apiAs("ADMIN");
      await admin.ok(`query ($id: ID!) { user(id: $id) { id } }`, { id: subjectId });
      const failed = await new GraphQLTestClient(server.url).query(
        `mutation { login(input: { email: "${demo("SUPPORT")}", password: "wrong password here" }) { user { id } } }`,
      );
      expect(failed.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      const security = await apiAs("SECURITY");
      const audit = await security.ok<{ auditLog: { nodes: { action: string; detail: string | null }[] } }>(
        `query ($s: String) { auditLog(subjectId: $s, first: 25) { nodes { action detail } } }`,
        { s: subjectId },
      );
      const events = await security.ok<{ securityEvents: { nodes: { id: string; kind: string }[] } }>(
        `{ securityEvents(kind: LOGIN_FAILED, first: 25) { nodes { id kind } } }`,
      );
      expect(audit.auditLog.nodes.length).toBeGreaterThanOrEqual(1);
      expect(events.securityEvents.nodes.length).toBeGreaterThanOrEqual(1);

      const page = await signIn("SECURITY");
      const rowsOf = (caption: string) =>
        page
          .getByRole("table", { name: caption })
          .locator("tbody tr")
          .evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => (cell.textContent ?? "").trim())));

      await page.getByRole("link", { name: "Audit log", exact: true }).click();
      const filters = page.getByRole("form", { name: "Filters" });
      await filters.getByLabel("Subject (user or partner id)").fill(subjectId);
      await filters.getByRole("button", { name: "Filter" }).click();
      await waitFor(async () => (await rowsOf("Entries, newest first")).length === audit.auditLog.nodes.length, 10_000);
      await waitFor(
        async () => (await rowsOf("Entries, newest first")).every((cells) => cells[3] === subjectId),
        10_000,
      );
      const auditRows = await rowsOf("Entries, newest first");
      expect(auditRows.map((cells) => [cells[2], cells[4]])).toEqual(
        audit.auditLog.nodes.map((n) => [n.action.toLowerCase().replace(/_/g, " "), n.detail ?? ""]),
      );

      await page.getByRole("link", { name: "Security log", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "Security log" }).waitFor();
      await page
        .getByRole("form", { name: "Filters" })
        .getByRole("combobox", { name: /^Kind/ })
        .selectOption("LOGIN_FAILED");
      await page.getByRole("form", { name: "Filters" }).getByRole("button", { name: "Filter" }).click();
      await waitFor(async () => {
        const rows = await rowsOf("Events, newest first");
        return rows.length === events.securityEvents.nodes.length && rows.every((cells) => cells[1] === "login failed");
      }, 10_000);
      // Not filtered: other kinds show again.
      await page.getByRole("form", { name: "Filters" }).getByRole("combobox", { name: /^Kind/ }).selectOption("");
      await page.getByRole("form", { name: "Filters" }).getByRole("button", { name: "Filter" }).click();
      await waitFor(
        async () => (await rowsOf("Events, newest first")).some((cells) => cells[1] !== "login failed"),
        10_000,
      );
      await signOut(page);
    });

    describe("on a gateway that runs only trusted documents (SITE_TRUSTED_DOCUMENTS_ONLY=true)", () => {
      let trusted: BuiltServer;
      beforeAll(async () => {
        trusted = await startBuiltServer(kind, { SITE_TRUSTED_DOCUMENTS_ONLY: "true" });
      }, 120_000);
      afterAll(() => trusted?.close());

      it("works on every page by document id, while an ad-hoc query with the same session is refused", async () => {
        const sent: Record<string, unknown>[] = [];
        const codes: string[] = [];
        const page = await signIn("ADMIN", 1280, trusted.url);
        // Everything from the sign-in on: the pages' own requests.
        page.on("request", (r) => {
          if (r.method() === "POST" && new URL(r.url()).pathname === "/graphql") {
            sent.push(JSON.parse(r.postData() ?? "{}") as Record<string, unknown>);
          }
        });
        page.on("response", (r) => {
          if (new URL(r.url()).pathname !== "/graphql") return;
          void r
            .json()
            .then((body: { errors?: { extensions?: { code?: string } }[] }) =>
              codes.push(...(body.errors ?? []).map((e) => e.extensions?.code ?? "?")),
            )
            .catch(() => undefined);
        });
        for (const title of PAGES_BY_ROLE.ADMIN!) {
          await page.goto(`${trusted.url}${PATHS[title]}`);
          await page.getByRole("heading", { level: 1, name: title }).waitFor();
          await page.waitForLoadState("networkidle");
          expect(await page.getByRole("alert").count()).toBe(0);
        }
        // A page's figures arrived: the statistics page shows its totals.
        await page.goto(`${trusted.url}/console/statistics`);
        await page.getByTestId("total-pageviews").waitFor();
        // And a mutation: a partner added from the console.
        await page.goto(`${trusted.url}/console/partners`);
        const name = `Trusted ${Date.now()}`;
        const form = page.getByRole("form", { name: "Add a partner" });
        await form.getByLabel("Name").fill(name);
        await form.getByLabel("Contact email").fill("trusted@reseller.example");
        await form.getByRole("button", { name: "Add partner" }).click();
        await page.getByRole("heading", { name: `${name} (active)` }).waitFor();

        expect(sent.length).toBeGreaterThan(PAGES_BY_ROLE.ADMIN!.length);
        expect(sent.filter((body) => typeof body.documentId !== "string" || "query" in body)).toEqual([]);
        expect(codes).toEqual([]);

        // The same session cookie with a document of its own is refused before it runs.
        const cookie = (await browser.context.cookies(trusted.url)).map((c) => `${c.name}=${c.value}`).join("; ");
        const adHoc = await fetch(`${trusted.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", cookie },
          body: JSON.stringify({ query: "{ me { email } }" }),
        });
        const refused = (await adHoc.json()) as { errors?: { extensions?: { code?: string } }[] };
        expect(refused.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_REQUIRED");
        await signOut(page);
      });
    });

    it("can be used with the keyboard alone on every page", async () => {
      const page = await signIn("ADMIN");
      for (const title of PAGES_BY_ROLE.ADMIN!) {
        // Tab to the page's link in the navigation and follow it with Enter.
        await tabUntil(page, (el) => el.tag === "A" && el.text === title);
        await page.keyboard.press("Enter");
        await page.getByRole("heading", { level: 1, name: title }).waitFor();
        // Then through the page: every stop is visibly focused, and focus never gets stuck.
        const stops = await tabThrough(page, 25);
        expect(stops.length).toBeGreaterThan(3);
        const invisible = stops.filter((stop) => !stop.visibleFocus);
        expect(invisible).toEqual([]);
      }
      // Sign out from the keyboard too.
      await tabUntil(page, (el) => el.tag === "BUTTON" && el.text === "Sign out");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
      await page.close();
    });

    it("has no serious or critical accessibility violation on any page (axe-core)", async () => {
      const figures: Record<string, number> = {};
      await browser.context.clearCookies();
      const anonymous = await browser.context.newPage();
      for (const [name, path] of [
        ["Sign in", "/console"],
        ["Home", "/"],
      ] as const) {
        await anonymous.goto(`${server.url}${path}`);
        await anonymous.getByRole("heading", { level: 1 }).waitFor();
        figures[name] = await seriousViolations(anonymous);
      }
      await anonymous.close();
      const page = await signIn("ADMIN");
      for (const title of PAGES_BY_ROLE.ADMIN!) {
        await page.goto(`${server.url}${PATHS[title]}`);
        await page.getByRole("heading", { level: 1, name: title }).waitFor();
        await page.waitForLoadState("networkidle");
        figures[title] = await seriousViolations(page);
      }
      await signOut(page);
      console.log(
        `axe-core ${AXE_VERSION}, serious or critical violations per page on ${kind}: ${JSON.stringify(figures)}`,
      );
      expect(Object.values(figures).every((count) => count === 0)).toBe(true);
    });

    it("serves GraphiQL from its own build to a browser's GET /graphql, running queries with the session cookie", async () => {
      const page = await signIn("ADMIN");
      const elsewhere: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith(server.url) && !/^(data|blob):/.test(r.url())) elsewhere.push(r.url());
      });
      await page.goto(`${server.url}/graphql`);
      await page.locator(".graphiql-container").waitFor();
      const editor = page.locator(".graphiql-query-editor .monaco-editor").first();
      await editor.waitFor();
      await editor.click();
      await page.keyboard.press("Control+A");
      await page.keyboard.press("Delete");
      await page.keyboard.type("{ me { email role");
      await page.keyboard.press("Control+Enter");
      await waitFor(
        async () => ((await page.locator(".graphiql-response").textContent()) ?? "").includes(demo("ADMIN")),
        20_000,
        200,
      );
      expect(elsewhere).toEqual([]);
      await page.close();
    });

    // Every page at a desktop's and a phone's width, for the README.
    it("writes screenshots of every page at 1280 and 390 px", async () => {
      if (kind !== "sqlite") return;
      mkdirSync(SCREENSHOTS, { recursive: true });
      await browser.context.clearCookies();
      for (const width of [1280, 390]) {
        const page = await browser.context.newPage();
        await page.setViewportSize({ width, height: 800 });
        await page.goto(`${server.url}/console`);
        await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
        await page.screenshot({ path: join(SCREENSHOTS, `console-sign-in-${width}.png`), fullPage: true });
        await page.close();
      }
      const page = await signIn("ADMIN");
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        for (const title of PAGES_BY_ROLE.ADMIN!) {
          await page.goto(`${server.url}${PATHS[title]}`);
          await page.getByRole("heading", { level: 1, name: title }).waitFor();
          await page.waitForLoadState("networkidle");
          if (title === "Statistics") await page.locator(".chart canvas").waitFor();
          const file = `console-${title.toLowerCase().replace(/ /g, "-")}-${width}.png`;
          await page.screenshot({ path: join(SCREENSHOTS, file), fullPage: true });
        }
      }
      await signOut(page);
    });
  });
}

/** Page views sent by {@link seedPageViews}, on pages under a path of their own. */
const SEEDED_VIEWS = 9;
const SEEDED_PREFIX = "/console-test";

/** Page views from a desktop Chrome, as the tracking script sends them: pages, a referrer, a UTM source. */
async function seedPageViews(url: string): Promise<void> {
  const views = [
    { url: `http://127.0.0.1${SEEDED_PREFIX}/`, referrer: "https://www.search.example/?q=honour" },
    { url: `http://127.0.0.1${SEEDED_PREFIX}/`, referrer: null },
    { url: `http://127.0.0.1${SEEDED_PREFIX}/`, referrer: null },
    { url: `http://127.0.0.1${SEEDED_PREFIX}/pricing?utm_source=newsletter`, referrer: null },
    { url: `http://127.0.0.1${SEEDED_PREFIX}/pricing?utm_source=newsletter`, referrer: "https://search.example/" },
    { url: `http://127.0.0.1${SEEDED_PREFIX}/pricing`, referrer: null },
    { url: `http://127.0.0.1${SEEDED_PREFIX}/about`, referrer: null },
    { url: `http://127.0.0.1${SEEDED_PREFIX}/about`, referrer: "https://blog.example/post" },
    { url: `http://127.0.0.1${SEEDED_PREFIX}/about?utm_source=partner`, referrer: null },
  ];
  expect(views).toHaveLength(SEEDED_VIEWS);
  for (const view of views) {
    const response = await fetch(`${url}/api/event`, {
      method: "POST",
      headers: { "content-type": "text/plain", "user-agent": DESKTOP_CHROME },
      body: JSON.stringify(view),
    });
    expect(response.status).toBe(202);
  }
  // The gateway writes its buffer every 250 ms.
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/**
 * axe-core injected by hand (evaluated through the DevTools protocol, which the page's CSP does
 * not govern): the number of serious or critical violations, each one printed.
 */
async function seriousViolations(page: Page): Promise<number> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(`axe.run(document, { resultTypes: ["violations"] }).then((r) =>
    r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) })))`);
  const list = violations as { id: string; impact: string; nodes: string[] }[];
  for (const v of list) console.log(`axe ${page.url()}: ${v.impact} ${v.id} at ${v.nodes.join(", ")}`);
  return list.length;
}

interface FocusStop {
  tag: string;
  type: string | null;
  text: string;
  /** An outline or a box shadow drawn while focused. */
  visibleFocus: boolean;
}

/** Where focus is now, as the keyboard user sees it. */
function focusStop(page: Page): Promise<FocusStop | null> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    return { tag: el.tagName, type: el.getAttribute("type"), text: (el.textContent || el.getAttribute("aria-label") || "").trim(), visibleFocus: outline || style.boxShadow !== "none" };
  })()`);
}

/** Presses Tab until the focused element matches (at most 60 times). */
async function tabUntil(page: Page, match: (stop: FocusStop) => boolean): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    const stop = await focusStop(page);
    if (stop && match(stop)) return;
  }
  throw new Error("the element was not reached with Tab");
}

/** Presses Tab `count` times and records each stop. */
async function tabThrough(page: Page, count: number): Promise<FocusStop[]> {
  const stops: FocusStop[] = [];
  for (let i = 0; i < count; i++) {
    await page.keyboard.press("Tab");
    const stop = await focusStop(page);
    if (stop) stops.push(stop);
  }
  return stops;
}

/** Collects a page's script errors and CSP refusals, which no console page may have. */
function watch(page: Page, problems: string[]): void {
  page.on("pageerror", (error) => problems.push(`${page.url()}: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && /Content Security Policy|Refused to/i.test(text))
      problems.push(`${page.url()}: ${text}`);
  });
}
