import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { GraphQLTestClient } from "@honour/testing";
import { createConnection } from "mysql2/promise";
import type { BrowserContext } from "playwright-core";
import type { BenchEnv } from "./bench-kit";

/** The console's budget (issue 15): what a first visit must download before it can run. */
export const CONSOLE_INITIAL_JS_BUDGET_BYTES = 200 * 1024;
/** The statistics page over 90 days of rollups of 100 000 page views a day: interactive within this. */
export const STATISTICS_INTERACTIVE_BUDGET_MS = 1000;
/** The people's pages, all of them together (issue 15). */
export const PEOPLE_PAGES_BUDGET_BYTES = 30 * 1024;

/**
 * The staff console's initial JavaScript, as the gateway serves it: the page's module script and
 * the chunks it preloads, each gzipped as the gateway sends it. Pages are separate chunks loaded
 * when opened, so they are reported apart (the largest one, which a first page may add).
 */
export async function runConsoleBench(env: BenchEnv): Promise<void> {
  const page = await fetch(`${env.gatewayUrl}/console`);
  if (!page.ok) throw new Error(`GET /console answered ${page.status}: is the console built (npm run build)?`);
  const html = await page.text();
  const initial = [
    ...html.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g),
  ].map((m) => m[1]!);
  if (initial.length === 0) throw new Error("the console's page loads no script");

  const gzipped = async (path: string) => {
    const body = Buffer.from(await (await fetch(`${env.gatewayUrl}${path}`)).arrayBuffer());
    return { raw: body.length, gzip: gzipSync(body).length, text: body.toString("utf8") };
  };
  const files = await Promise.all(initial.map(async (path) => ({ path, ...(await gzipped(path)) })));
  const total = files.reduce((sum, f) => sum + f.gzip, 0);
  // The entry names its page chunks (import(`./statistics-….js`)) for when they are opened.
  const lazy = [
    ...new Set(
      files.flatMap((f) => [...f.text.matchAll(/["'`]\.\/([\w-]+\.js)["'`]/g)].map((m) => `/console/assets/${m[1]}`)),
    ),
  ].filter((path) => !initial.includes(path));
  const pages = await Promise.all(lazy.map(async (path) => ({ path, ...(await gzipped(path)) })));
  const largest = pages.sort((a, b) => b.gzip - a.gzip)[0];

  console.log("\nStaff console: initial JavaScript as the gateway serves it (gzipped)");
  for (const f of files)
    console.log(`  ${f.path.padEnd(48)} ${kB(f.raw).padStart(9)} raw  ${kB(f.gzip).padStart(8)} gzipped`);
  const verdict = total <= CONSOLE_INITIAL_JS_BUDGET_BYTES ? "within" : "OVER";
  console.log(`  total ${kB(total)} gzipped: ${verdict} the budget of ${kB(CONSOLE_INITIAL_JS_BUDGET_BYTES)}`);
  if (largest) console.log(`  largest page chunk, loaded when opened: ${largest.path} ${kB(largest.gzip)} gzipped`);
  if (total > CONSOLE_INITIAL_JS_BUDGET_BYTES) process.exitCode = 1;

  await peoplePagesBench(env);
  await statisticsPageBench(env);
}

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`;

/**
 * The people's pages as the gateway serves them (bytes on the wire, uncompressed): the preference
 * centre signed in and its sign-in form signed out, the policy, the password reset form, a bad
 * unsubscribe link's page and the stylesheet they share.
 */
async function peoplePagesBench(env: BenchEnv): Promise<void> {
  const person = new GraphQLTestClient(env.gatewayUrl);
  await person.ok(REGISTER, {
    input: { email: `people-pages-bench.${Date.now()}@example.test`, password: "bench-password-1", name: "Pat Pages" },
  });
  const anonymous = new GraphQLTestClient(env.gatewayUrl);
  const pages: [string, GraphQLTestClient, string][] = [
    ["preference centre (signed in)", person, "/account/preferences"],
    ["preference centre sign-in form", anonymous, "/account/preferences"],
    ["privacy policy", anonymous, "/privacy-policy"],
    ["password reset form", anonymous, "/account/reset?token=x"],
    ["unsubscribe, a bad link", anonymous, "/unsubscribe/not-a-token"],
    ["stylesheet", anonymous, "/assets/pages.css"],
  ];
  console.log("\nPeople's pages as the gateway serves them (uncompressed)");
  let total = 0;
  for (const [name, client, path] of pages) {
    const response = await client.fetch(path);
    const bytes = (await response.arrayBuffer()).byteLength;
    total += bytes;
    console.log(`  ${name.padEnd(34)} ${String(response.status).padStart(3)} ${kB(bytes).padStart(9)}`);
  }
  const verdict = total <= PEOPLE_PAGES_BUDGET_BYTES ? "within" : "OVER";
  console.log(`  total ${kB(total)}: ${verdict} the budget of ${kB(PEOPLE_PAGES_BUDGET_BYTES)}`);
  if (total > PEOPLE_PAGES_BUDGET_BYTES) process.exitCode = 1;
}

/**
 * The Statistics page in Chromium (playwright-core, the gateway tests' browser) over the rollups
 * the stats scenario seeded (90 days and more of 100 000 page views a day): the time from opening
 * /console/statistics to its first figures and chart, and from choosing "90 days" to the 90 days'
 * figures and chart drawn, median of five each. Skipped, saying why, without the seeded rollups
 * (BENCH_ONLY without stats) or without Chromium.
 */
async function statisticsPageBench(env: BenchEnv): Promise<void> {
  console.log("\nStatistics page in Chromium over 90 days of rollups of 100 000 page views a day");
  const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  let playwright: typeof import("playwright-core");
  try {
    // The gateway's tests' playwright-core, resolved from there (the bench declares no browser of its own).
    const gateway = join(__dirname, "..", "..", "..", "apps", "gateway");
    const loaded = (await import(
      require.resolve("playwright-core", { paths: [gateway] })
    )) as typeof import("playwright-core") & {
      default?: typeof import("playwright-core");
    };
    // A CommonJS module imported: its exports may sit under `default`.
    playwright = loaded.chromium ? loaded : loaded.default!;
  } catch {
    console.log("  skipped: playwright-core is not installed (npm install in apps/gateway)");
    return;
  }

  // A MARKETING account, promoted in the database as an operator would, signed in over the API.
  const email = `console-bench.${Date.now()}@example.test`;
  const staff = new GraphQLTestClient(env.gatewayUrl);
  await staff.ok(REGISTER, { input: { email, password: "bench-password-1", name: "Con Sole" } });
  const db = await createConnection({ uri: env.databaseUrl.replace(/^mariadb:/, "mysql:") });
  try {
    await db.query("UPDATE `user` SET `role` = 'MARKETING' WHERE `email` = ?", [email]);
  } finally {
    await db.end();
  }
  await staff.ok(`mutation ($input: LoginInput!) { login(input: $input) { user { id } } }`, {
    input: { email, password: "bench-password-1" },
  });
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: process.env.SITE_TIME_ZONE ?? "Europe/London" }).format(
    new Date(),
  );
  const from = new Date(`${today}T00:00:00Z`);
  from.setUTCDate(from.getUTCDate() - 89);
  const from90 = from.toISOString().slice(0, 10);
  const seeded = await staff.ok<{ stats: { rows: { pageviews: number }[] } }>(
    `query ($input: StatsQueryInput!) { stats(input: $input) { rows { pageviews } } }`,
    { input: { from: from90, to: today, metrics: ["PAGEVIEWS"], dimension: "NONE" } },
  );
  const views = seeded.stats.rows[0]?.pageviews ?? 0;
  if (views < 89 * 100_000) {
    console.log(
      `  skipped: ${views} page views in the 90 days; the stats scenario seeds them (BENCH_ONLY=stats,console)`,
    );
    return;
  }

  let browser: Awaited<ReturnType<typeof playwright.chromium.launch>>;
  try {
    browser = await playwright.chromium.launch({
      executablePath: chromiumPath,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
  } catch (error) {
    console.log(`  skipped: Chromium did not start at ${chromiumPath} (${(error as Error).message.split("\n")[0]})`);
    return;
  }
  const opened: number[] = [];
  const switched: number[] = [];
  try {
    for (let run = 0; run < 5; run++) {
      // A fresh context each run: nothing cached, as a first visit.
      const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const origin = new URL(env.gatewayUrl);
      await context.addCookies([
        {
          name: "honour_session",
          value: staff.cookies.get("honour_session")!,
          domain: origin.hostname,
          path: "/",
          httpOnly: true,
          sameSite: "Lax",
        },
      ]);
      const page = await context.newPage();
      const start = performance.now();
      await page.goto(`${env.gatewayUrl}/console/statistics`);
      await page.locator(".chart canvas").waitFor();
      await page.locator('[data-testid="total-pageviews"]').waitFor();
      opened.push(performance.now() - start);

      const chosen = performance.now();
      await page.getByRole("radio", { name: "90 days", exact: true }).check();
      await page.getByText(`${from90} to ${today}, compared with`).waitFor();
      await page.locator('.chart[data-points="90"] canvas').waitFor();
      switched.push(performance.now() - chosen);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  console.log(`  ${views.toLocaleString("en-GB")} page views in ${from90}…${today}`);
  console.log(`  open /console/statistics to figures and chart (30 days): median ${ms(median(opened))}`);
  const verdict = median(switched) <= STATISTICS_INTERACTIVE_BUDGET_MS ? "within" : "OVER";
  console.log(
    `  choose "90 days" to its figures and chart: median ${ms(median(switched))} ` +
      `(runs ${switched.map(ms).join(", ")}): ${verdict} the budget of ${ms(STATISTICS_INTERACTIVE_BUDGET_MS)}`,
  );
  if (median(switched) > STATISTICS_INTERACTIVE_BUDGET_MS) process.exitCode = 1;
}
