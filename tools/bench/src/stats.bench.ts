import {
  addDays,
  daysBetween,
  planRange,
  rangeSums,
  RollupDimension,
  SiteTimeZone,
  type RangePlan,
} from "@honour/stats";
import { GraphQLTestClient } from "@honour/testing";
import { createConnection, type Connection, type ResultSetHeader, type RowDataPacket } from "mysql2/promise";
import { compare, load, mean, report, type BenchEnv, type LoadRequest, type LoadResult } from "./bench-kit";

const USER_AGENT =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

/** Each contender's page views get their own first path segment, so the gateway's rows can be counted apart. */
const eventBody = (tag: string) =>
  JSON.stringify({ url: `https://www.honour.example/${tag}/pricing`, referrer: "https://www.google.co.uk/" });

const STATS = "query Stats($input: StatsQueryInput!) { stats(input: $input) { rows { key visitors pageviews } } }";

/**
 * The seeded rollups: 100 000 page views a day, spread Zipf-like over these many labels, for
 * `seededDays` up to yesterday; the queries cover `days`.
 */
const SEED = {
  days: 90,
  seededDays: 130,
  viewsPerDay: 100_000,
  pages: 1000,
  referrers: 200,
  browsers: 12,
  sources: 30,
};
const QUERY_RATE = 100;

/**
 * Page-view ingest through `POST /api/event` against three node:http baselines (accept only;
 * hand-written hash + batched mysql2 insert; one insert per event), a check that every accepted
 * event was stored, and the `stats` query over 90 days of rollups.
 */
export async function runStatsBench(env: BenchEnv): Promise<void> {
  // BENCH_STATS=query (or ingest) runs one half only.
  const parts = process.env.BENCH_STATS?.split(",").filter(Boolean) ?? ["ingest", "query"];
  if (parts.includes("ingest")) await ingestBench(env);
  if (parts.includes("query")) await queryBench(env);
}

async function ingestBench(env: BenchEnv): Promise<void> {
  const baseline = async (mode: string) => {
    const match = await env.startServer(
      "stats-baseline-server.js",
      { BENCH_STATS_MODE: mode, BENCH_DATABASE_URL: env.databaseUrl },
      /BASELINE_PORT=(\d+)/,
    );
    return `http://127.0.0.1:${match[1]}`;
  };
  const [acceptUrl, batchUrl, singleUrl] = await Promise.all([
    baseline("accept"),
    baseline("batch"),
    baseline("single"),
  ]);

  let gatewayAccepted = 0;
  let gatewayRuns = 0;
  const request = (base: string, tag: string, onResult?: (r: LoadResult) => void): LoadRequest => ({
    url: `${base}/api/event`,
    headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": USER_AGENT },
    body: eventBody(tag),
    onResult,
  });
  const contenders = {
    gateway: request(env.gatewayUrl, "gateway", (r) => {
      gatewayAccepted += r.ok;
      gatewayRuns += 1;
    }),
    "(a) accept only": request(acceptUrl, "accept"),
    "(b) http+mysql2 batch": request(batchUrl, "batch"),
    "(c) insert per event": request(singleUrl, "single"),
  };

  // Each must accept the event before its speed means anything.
  for (const [name, r] of Object.entries(contenders)) {
    const response = await fetch(r.url, { method: "POST", headers: r.headers, body: r.body });
    if (response.status !== 202) throw new Error(`${name} answered ${response.status} to a page view`);
    if (name === "gateway") gatewayAccepted += 1;
  }

  const results = await compare(env, contenders);
  report(
    `stats ingest, POST /api/event, ${env.connections} connections, ${env.durationS} s per run, ${env.rounds} rounds (req/s = events/s)`,
    results,
    "gateway",
  );
  const gatewayRps = mean(results.gateway!, "rps");
  const ofBatch = gatewayRps / mean(results["(b) http+mysql2 batch"]!, "rps");
  console.log(
    `goal ≥ 25 000 events/s: ${gatewayRps.toFixed(0)} events/s, ${gatewayRps >= 25_000 ? "met" : "NOT met"}; ` +
      `goal ≥ 95 % of (b): ${(ofBatch * 100).toFixed(1)} %, ${ofBatch >= 0.95 ? "met" : "NOT met"}`,
  );

  // Every event the gateway answered 202 must be a row once the buffer is written (every 250 ms).
  const db = await connect(env);
  try {
    const count = async () => {
      const [rows] = await db.query<RowDataPacket[]>(
        "SELECT COUNT(*) AS n FROM `stats_page_view` WHERE `path` = '/gateway/pricing'",
      );
      return Number(rows[0]!.n);
    };
    await sleep(1000);
    let stored = await count();
    for (let i = 0; i < 20; i++) {
      await sleep(250);
      const again = await count();
      if (again === stored) break;
      stored = again;
    }
    // autocannon stops with up to one request per connection in flight: the gateway may have
    // accepted (and stored) those, but autocannon never saw their 202.
    const inFlight = gatewayRuns * env.connections;
    const counted = stored >= gatewayAccepted && stored <= gatewayAccepted + inFlight;
    console.log(
      `gateway answered 202 to ${gatewayAccepted} events (plus at most ${inFlight} cut off in flight by autocannon); ` +
        `stats_page_view holds ${stored} of them`,
    );
    console.log(`every accepted event counted: ${counted ? "yes" : "no"}`);
    if (!counted) throw new Error(`${gatewayAccepted} events accepted, ${stored} stored`);
  } finally {
    await db.end();
  }
}

async function queryBench(env: BenchEnv): Promise<void> {
  const zone = new SiteTimeZone(process.env.SITE_TIME_ZONE ?? "Europe/London");
  const today = zone.dayOf(Date.now());
  const to = addDays(today, -1);
  const from = addDays(to, -(SEED.days - 1));
  const seededFrom = addDays(to, -(SEED.seededDays - 1));
  // The 90 days within the seeded ones that read the most rows: months cut mid-tenth at both ends.
  const cost = (start: string) => setsRead(planRange(start, addDays(start, SEED.days - 1), today));
  let worst = seededFrom;
  for (let start = seededFrom; start <= from; start = addDays(start, 1)) if (cost(start) > cost(worst)) worst = start;
  const worstTo = addDays(worst, SEED.days - 1);

  const db = await connect(env);
  const client = new GraphQLTestClient(env.gatewayUrl);
  try {
    const started = Date.now();
    const rows = await seedRollups(db, zone, seededFrom, to);
    console.log(
      `\nseeded ${rows} rollup rows (${SEED.seededDays} days ${seededFrom}…${to}) in ${Date.now() - started} ms`,
    );

    await client.ok(`mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`, {
      input: {
        email: "stats-bench@example.test",
        password: "bench-password-1",
        name: "Stats Bench",
        organisation: "Honour",
      },
    });
    await db.query("UPDATE `user` SET `role` = 'ADMIN' WHERE `email` = ?", ["stats-bench@example.test"]);
  } finally {
    await db.end();
  }
  const headers = {
    "content-type": "application/json",
    cookie: `honour_session=${client.cookies.get("honour_session")}`,
  };

  await sqlBench(
    env,
    [
      [`${from}…${to}`, from, to],
      [`${worst}…${worstTo}`, worst, worstTo],
    ],
    today,
  );

  const durationS = Math.max(2, Math.round(env.durationS / 2));
  const results: Record<string, LoadResult[]> = {};
  for (const [name, dimension, expected, start, end] of [
    [`PAGE ${from}…${to}`, "PAGE", 100, from, to],
    [`PAGE ${worst}…${worstTo}`, "PAGE", 100, worst, worstTo],
    [`DATE ${from}…${to}`, "DATE", SEED.days, from, to],
  ] as const) {
    const body = JSON.stringify({
      query: STATS,
      operationName: "Stats",
      variables: { input: { from: start, to: end, metrics: ["VISITORS", "PAGEVIEWS"], dimension } },
    });
    // It must answer the whole range before its speed means anything.
    const answer = (await fetch(`${env.gatewayUrl}/graphql`, { method: "POST", headers, body }).then((r) =>
      r.json(),
    )) as { data?: { stats?: { rows: { pageviews: number }[] } }; errors?: unknown };
    const got = answer.data?.stats?.rows;
    if (!got || got.length !== expected || answer.errors) {
      throw new Error(`stats ${dimension} answered unexpectedly: ${JSON.stringify(answer).slice(0, 500)}`);
    }
    const request: LoadRequest = { url: `${env.gatewayUrl}/graphql`, headers, body, connections: 4, rate: QUERY_RATE };
    await load({ ...request, durationS: 1 }, env);
    results[name] = [await load({ ...request, durationS }, env)];
  }
  console.log(
    `\nstats query, ${SEED.days} days of ${SEED.viewsPerDay} views a day (${SEED.pages} pages), ` +
      `${QUERY_RATE} req/s held evenly spaced, ${durationS} s each (p95 is the p97.5, the nearer stricter figure)`,
  );
  for (const [name, [r]] of Object.entries(results)) {
    console.log(
      `${name.padEnd(28)} ${r!.rps.toFixed(0).padStart(8)} req/s   p50 ${r!.p50.toFixed(1).padStart(6)} ms   ` +
        `p95 ${r!.p95.toFixed(1).padStart(6)} ms   p99 ${r!.p99.toFixed(1).padStart(6)} ms   errors ${r!.errors}   ` +
        `goal p95 < 50 ms: ${r!.p95 < 50 ? "met" : "NOT met"}`,
    );
    if (r!.errors > 0) throw new Error(`${name}: requests failed during the benchmark; the figures are not valid.`);
  }
}

/** Periods and days (up to yesterday, the last seeded) a plan reads. */
function setsRead(plan: RangePlan): number {
  const yesterday = addDays(new SiteTimeZone(process.env.SITE_TIME_ZONE ?? "Europe/London").dayOf(Date.now()), -1);
  let sets = plan.plus.periods.length + plan.minus.periods.length;
  for (const [a, b] of [...plan.plus.days, ...plan.minus.days]) {
    if (a <= yesterday) sets += daysBetween(a, b < yesterday ? b : yesterday) + 1;
  }
  return sets;
}

/**
 * The PAGE ranking's SQL alone, one connection, alternating: summed from the daily rows only (as
 * before the monthly rollups) and from months plus or minus days (as the query does now).
 */
async function sqlBench(env: BenchEnv, ranges: [string, string, string][], today: string): Promise<void> {
  const db = await connect(env);
  const tail =
    "GROUP BY u.labelId HAVING SUM(u.p) > 0 ORDER BY sumVisitors DESC, sumPageviews DESC, labelId ASC LIMIT 100";
  const head = "SELECT u.labelId AS labelId, SUM(u.v) AS sumVisitors, SUM(u.p) AS sumPageviews FROM";
  const ROUNDS = 60;
  try {
    console.log(`\nstats PAGE ranking, the SQL alone, ${ROUNDS} runs each alternating (ms)`);
    for (const [name, from, to] of ranges) {
      const daily = {
        sql:
          `${head} (SELECT d.\`labelId\` AS labelId, d.\`visitors\` AS v, d.\`pageviews\` AS p FROM \`stats_daily\` d ` +
          `WHERE d.\`dimension\` = ? AND d.\`day\` BETWEEN ? AND ?) u ${tail}`,
        params: [RollupDimension.PAGE, from, to],
      };
      const plan = planRange(from, to, today);
      const sums = rangeSums(RollupDimension.PAGE, plan);
      const monthly = { sql: `${head} (${sums.sql}) u ${tail}`, params: sums.params };
      const [a] = await db.query<RowDataPacket[]>(daily.sql, daily.params);
      const [b] = await db.query<RowDataPacket[]>(monthly.sql, monthly.params);
      if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${name}: the two sums differ`);
      const times: Record<"daily" | "monthly", number[]> = { daily: [], monthly: [] };
      for (let i = 0; i < ROUNDS; i++) {
        for (const [key, q] of [
          ["daily", daily],
          ["monthly", monthly],
        ] as const) {
          const started = process.hrtime.bigint();
          await db.query(q.sql, q.params);
          times[key].push(Number(process.hrtime.bigint() - started) / 1e6);
        }
      }
      const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.ceil((p / 100) * xs.length) - 1]!;
      const periods = plan.plus.periods.length + plan.minus.periods.length;
      console.log(
        `${name}: daily rows only p50 ${pct(times.daily, 50).toFixed(1)} p95 ${pct(times.daily, 95).toFixed(1)}; ` +
          `${periods} periods ± ${setsRead(plan) - periods} days p50 ${pct(times.monthly, 50).toFixed(1)} ` +
          `p95 ${pct(times.monthly, 95).toFixed(1)}; same rows: yes`,
      );
    }
  } finally {
    await db.end();
  }
}

/**
 * Writes what RollupService would have for `from`…`to`: labels in stats_label, per day a TOTAL
 * row and one row per page, referrer domain (0 = direct), browser and UTM source (0 = none) in
 * stats_daily, and every local hour in stats_hourly. Counts fall off like Zipf's law.
 */
async function seedRollups(db: Connection, zone: SiteTimeZone, from: string, to: string): Promise<number> {
  const dims = [
    { dimension: "PAGE", n: SEED.pages, share: 1, label: (i: number) => `/articles/${i}` },
    { dimension: "REFERRER_DOMAIN", n: SEED.referrers, share: 0.4, label: (i: number) => `referrer-${i}.example` },
    { dimension: "BROWSER", n: SEED.browsers, share: 1, label: (i: number) => `Browser ${i}` },
    { dimension: "UTM_SOURCE", n: SEED.sources, share: 0.1, label: (i: number) => `source-${i}` },
  ];
  const ids = new Map<string, number[]>();
  for (const d of dims) {
    const labels = Array.from({ length: d.n }, (_, i) => d.label(i));
    await db.query("INSERT INTO `stats_label` (`dimension`, `label`) VALUES ?", [labels.map((l) => [d.dimension, l])]);
    const [rows] = await db.query<RowDataPacket[]>("SELECT `id`, `label` FROM `stats_label` WHERE `dimension` = ?", [
      d.dimension,
    ]);
    const byLabel = new Map(rows.map((r) => [String(r.label), Number(r.id)]));
    ids.set(
      d.dimension,
      labels.map((l) => byLabel.get(l)!),
    );
  }

  let random = 42;
  const jitter = () => {
    random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
    return 0.9 + (random / 2 ** 31) * 0.2;
  };
  const daily: (string | number)[][] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const views = Math.round(SEED.viewsPerDay * jitter());
    daily.push(["TOTAL", day, 0, Math.round(views * 0.6), views]);
    for (const d of dims) {
      const harmonic = Array.from({ length: d.n }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b, 0);
      let labelled = 0;
      ids.get(d.dimension)!.forEach((id, i) => {
        const pageviews = Math.round(((views * d.share) / (i + 1) / harmonic) * jitter());
        if (pageviews === 0) return;
        labelled += pageviews;
        daily.push([d.dimension, day, id, Math.max(1, Math.round(pageviews * 0.7)), pageviews]);
      });
      if (d.share < 1) daily.push([d.dimension, day, 0, Math.round((views - labelled) * 0.7), views - labelled]);
    }
  }
  for (let i = 0; i < daily.length; i += 5000) {
    await db.query("INSERT INTO `stats_daily` (`dimension`, `day`, `labelId`, `visitors`, `pageviews`) VALUES ?", [
      daily.slice(i, i + 5000),
    ]);
  }
  // The months and their tenths, as the rollups rebuild them from their days.
  let periodRows = 0;
  const tenth =
    "CONCAT(LEFT(`day`, 7), '/', CASE WHEN SUBSTRING(`day`, 9, 2) <= '10' THEN '1' " +
    "WHEN SUBSTRING(`day`, 9, 2) <= '20' THEN '2' ELSE '3' END)";
  for (const period of [tenth, "LEFT(`day`, 7)"]) {
    const [result] = await db.query<ResultSetHeader>(
      "INSERT INTO `stats_period` (`dimension`, `period`, `labelId`, `visitors`, `pageviews`) " +
        `SELECT \`dimension\`, ${period}, \`labelId\`, SUM(\`visitors\`), SUM(\`pageviews\`) FROM \`stats_daily\` ` +
        `GROUP BY \`dimension\`, ${period}, \`labelId\``,
    );
    periodRows += result.affectedRows;
  }
  const hourly = zone.hoursOf(from, to).map(({ start }) => {
    const iso = new Date(start).toISOString();
    const pageviews = Math.round((SEED.viewsPerDay / 24) * jitter());
    return [`${iso.slice(0, 10)} ${iso.slice(11, 19)}`, Math.round(pageviews * 0.8), pageviews];
  });
  await db.query("INSERT INTO `stats_hourly` (`hour`, `visitors`, `pageviews`) VALUES ?", [hourly]);
  return daily.length + periodRows + hourly.length;
}

function connect(env: BenchEnv): Promise<Connection> {
  return createConnection({ uri: env.databaseUrl, timezone: "Z" });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
