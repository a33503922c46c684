import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { type AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { openDataSource } from "@honour/platform";
import { GraphQLTestClient } from "@honour/testing";
import { createConnection, type Connection, type RowDataPacket } from "mysql2/promise";
import { SMTPServer } from "smtp-server";
import { moduleDefinitions } from "@honour/composition";
import { appMain, percentile, spawnProcess, type BenchEnv } from "./bench-kit";
import { insertNewsletterReaders } from "./readers";

/** The host of the page views the benchmarks send (bench.ts gives it to the gateway as STATS_SITE_HOSTS). */
export const BENCH_SITE_HOST = "www.honour.example";
/** The secret bench.ts gives the gateway; the worker must share it. */
const BENCH_SECRET = "bench-secret-0123456789-0123456789-abcdef";
const PASSWORD = "soak-password-1";
const USER_AGENT =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
/** A request unanswered this long is an error (and frees its connection). */
const REQUEST_TIMEOUT_MS = 10_000;
const CAMPAIGN_SUBJECT = "Soak campaign";

const ME = "query Me { me { id email name organisation role createdAt } }";
const MY_ORDERS =
  "query MyOrders { myOrders(first: 20) { nodes { id number status totalMinor lines { sku name quantity unitPriceMinor } " +
  "contact { name email phone organisation address { line1 line2 city postcode country } } " +
  "payment { brand last4 expiryMonth expiryYear } } } }";
const MY_PREFERENCES = "query MyPreferences { myPreferences { topic channel granted updatedAt } }";
const SET_PREFERENCES =
  "mutation SetPreferences($input: [PreferenceInput!]!) { setPreferences(input: $input) { topic channel granted updatedAt } }";
const LOGIN = "mutation Login($input: LoginInput!) { login(input: $input) { user { id } } }";
const LOGOUT = "mutation Logout { logout }";

/**
 * The mix, per 200 requests: page views and reads dominate, as on a site. A sign-in (scrypt, about
 * 0.2 s of CPU by design) is one in 200, so the mix's p99 is that of the other requests; the
 * summary gives the sign-ins' own. Every sign-in is followed by a sign-out of the session it made
 * (so sessions do not pile up as no real user's do). setPreferences toggles SPECIAL_OFFERS by
 * email; the campaign is on NEWSLETTER, so its recipients stay the same.
 */
const WEIGHTS = {
  event: 72,
  me: 40,
  myOrders: 30,
  myPreferences: 26,
  setPreferences: 30,
  signIn: 1,
  signOut: 1,
} as const;
type Kind = keyof typeof WEIGHTS;
const KINDS = Object.keys(WEIGHTS) as Kind[];

interface Settings {
  durationS: number;
  warmupS: number;
  binS: number;
  calibrateS: number;
  load: number;
  rate?: number;
  bulkRecipients: number;
  ordersPerUser: number;
  campaignAtS: number;
  campaignWaitS: number;
}

function settings(): Settings {
  const num = (name: string, fallback: number, min: number, max: number): number => {
    const raw = process.env[name];
    const value = raw === undefined || raw === "" ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`${name} must be a number from ${min} to ${max} (got "${raw}")`);
    }
    return value;
  };
  const durationS = num("SOAK_DURATION_S", 600, 10, 86_400);
  const binS = num("SOAK_BIN_S", 60, 1, 3600);
  const warmupS = num("SOAK_WARMUP_S", Math.min(60, durationS / 2), 0, durationS - binS);
  return {
    durationS,
    warmupS,
    binS,
    calibrateS: num("SOAK_CALIBRATE_S", 15, 2, 600),
    load: num("SOAK_LOAD", 0.7, 0.01, 1),
    rate: process.env.SOAK_RATE ? num("SOAK_RATE", 0, 1, 1_000_000) : undefined,
    bulkRecipients: num("SOAK_CAMPAIGN_RECIPIENTS", 2000, 0, 1_000_000),
    ordersPerUser: num("SOAK_ORDERS_PER_USER", 5, 0, 100),
    campaignAtS: num("SOAK_CAMPAIGN_AT_S", Math.max(warmupS, Math.round(durationS / 3)), 0, durationS),
    campaignWaitS: num("SOAK_CAMPAIGN_WAIT_S", 300, 1, 3600),
  };
}

// --- the load generator -------------------------------------------------------------------------

interface SoakUser {
  email: string;
  cookie: string;
}

interface Step {
  kind: Kind;
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface Answer {
  status: number;
  body: string;
  setCookie: string[];
}

/** One connection's user and its place in the mix. */
class Client {
  private position: number;
  private granted = false;
  /** The session the last sign-in made, for the sign-out that follows it. */
  private fresh: string | undefined;
  private page = 0;

  constructor(
    readonly user: SoakUser,
    private readonly cycle: Kind[],
    offset: number,
    /** The first path segment of its page views, so each phase's can be counted apart. */
    private readonly pagePrefix: string,
  ) {
    this.position = offset % cycle.length;
  }

  next(): Step {
    const kind = this.cycle[this.position]!;
    this.position = (this.position + 1) % this.cycle.length;
    const graphql = (cookie: string | undefined, body: object): Step => ({
      kind,
      method: "POST",
      path: "/graphql",
      headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    switch (kind) {
      case "event": {
        this.page = (this.page + 1) % 50;
        return {
          kind,
          method: "POST",
          path: "/api/event",
          headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": USER_AGENT },
          body: JSON.stringify({
            url: `https://${BENCH_SITE_HOST}/${this.pagePrefix}/page-${this.page}`,
            referrer: this.page % 3 === 0 ? "https://www.google.co.uk/" : "",
          }),
        };
      }
      case "me":
        return graphql(this.user.cookie, { query: ME, operationName: "Me" });
      case "myOrders":
        return graphql(this.user.cookie, { query: MY_ORDERS, operationName: "MyOrders" });
      case "myPreferences":
        return graphql(this.user.cookie, { query: MY_PREFERENCES, operationName: "MyPreferences" });
      case "setPreferences":
        this.granted = !this.granted;
        return graphql(this.user.cookie, {
          query: SET_PREFERENCES,
          operationName: "SetPreferences",
          variables: { input: [{ topic: "SPECIAL_OFFERS", channel: "EMAIL", granted: this.granted }] },
        });
      case "signIn":
        return graphql(undefined, {
          query: LOGIN,
          operationName: "Login",
          variables: { input: { email: this.user.email, password: PASSWORD } },
        });
      case "signOut": {
        const cookie = this.fresh;
        this.fresh = undefined;
        // Without a session from the sign-in before (it failed, and was counted), this signs out nobody.
        return graphql(cookie, { query: LOGOUT, operationName: "Logout" });
      }
    }
  }

  /** Why the answer is wrong, or undefined when it is right. */
  check(step: Step, answer: Answer): string | undefined {
    if (step.kind === "event") return answer.status === 202 ? undefined : `HTTP ${answer.status}`;
    if (answer.status !== 200) return `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
    if (answer.body.includes('"errors"') || !answer.body.startsWith('{"data":{')) return answer.body.slice(0, 200);
    if (step.kind === "signIn") {
      const session = answer.setCookie.map((c) => /^honour_session=([^;]+)/.exec(c)?.[1]).find(Boolean);
      if (!session) return "login set no session cookie";
      this.fresh = `honour_session=${session}`;
    }
    return undefined;
  }
}

/** The mix as one cycle, each kind spread evenly (smooth weighted round robin), a sign-out after each sign-in. */
function mixCycle(): Kind[] {
  const drawn = KINDS.filter((k) => k !== "signOut");
  const total = drawn.reduce((sum, k) => sum + WEIGHTS[k], 0);
  const current = new Map<Kind, number>(drawn.map((k) => [k, 0]));
  const cycle: Kind[] = [];
  for (let i = 0; i < total; i++) {
    let best = drawn[0]!;
    for (const k of drawn) {
      current.set(k, current.get(k)! + WEIGHTS[k]);
      if (current.get(k)! > current.get(best)!) best = k;
    }
    current.set(best, current.get(best)! - total);
    cycle.push(best);
    if (best === "signIn") cycle.push("signOut");
  }
  return cycle;
}

function send(agent: Agent, base: URL, step: Step): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method: step.method,
        path: step.path,
        headers: { ...step.headers, "content-length": String(Buffer.byteLength(step.body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            setCookie: res.headers["set-cookie"] ?? [],
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(step.body);
  });
}

interface Done {
  kind: Kind;
  /** performance.now() when the answer was complete. */
  at: number;
  ms: number;
  error?: string;
  /** How long after its slot in the schedule the request went out (rate-held runs). */
  lateMs: number;
}

/**
 * Each client sends one request at a time on its own keep-alive connection until `untilMs`
 * (performance.now()); with `rate`, requests follow one schedule of `rate` per second shared by
 * all clients (a request goes out when its slot comes and a client is free), otherwise as fast as
 * the answers come. Every request sent is waited for, so every answer is seen.
 */
async function drive(
  base: URL,
  clients: Client[],
  untilMs: number,
  rate: number | undefined,
  onDone: (done: Done) => void,
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients.length });
  const started = performance.now();
  const interval = rate ? 1000 / rate : 0;
  let slot = 0;
  try {
    await Promise.all(
      clients.map(async (client) => {
        // Bounded: every pass either waits for a later slot or sends, and both end at untilMs.
        for (;;) {
          let due = performance.now();
          if (rate) {
            due = started + slot++ * interval;
            if (due >= untilMs) break;
            const wait = due - performance.now();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          } else if (due >= untilMs) {
            break;
          }
          const step = client.next();
          const sent = performance.now();
          let error: string | undefined;
          try {
            error = client.check(step, await send(agent, base, step));
          } catch (e) {
            error = e instanceof Error ? e.message : String(e);
          }
          const at = performance.now();
          onDone({ kind: step.kind, at, ms: at - sent, error, lateMs: Math.max(0, sent - due) });
        }
      }),
    );
  } finally {
    agent.destroy();
  }
}

// --- measuring ----------------------------------------------------------------------------------

/** Resident memory of a process in MiB, from /proc (Linux); undefined elsewhere or once it has gone. */
function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const mib = (v: number | undefined) => (v === undefined ? "n/a" : `${v.toFixed(1)} MiB`);
const ms = (v: number) => `${v.toFixed(1)} ms`;
const sleep = (msToWait: number) => new Promise((resolve) => setTimeout(resolve, msToWait));

interface Bin {
  latencies: number[];
  errors: number;
  late: number;
  rssGateway?: number;
  rssWorker?: number;
}

// --- setting up ---------------------------------------------------------------------------------

async function registerUser(env: BenchEnv, email: string, newsletter: boolean): Promise<SoakUser & { id: string }> {
  const client = new GraphQLTestClient(env.gatewayUrl);
  const data = await client.ok<{ register: { user: { id: string } } }>(
    `mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`,
    {
      input: {
        email,
        password: PASSWORD,
        name: "Soak User",
        organisation: "Honour",
        ...(newsletter ? { communications: [{ topic: "NEWSLETTER", channel: "EMAIL" }] } : {}),
      },
    },
  );
  return { email, id: data.register.user.id, cookie: `honour_session=${client.cookies.get("honour_session")}` };
}

async function graphql<T>(env: BenchEnv, cookie: string, query: string, variables?: object): Promise<T> {
  const response = await fetch(`${env.gatewayUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (!response.ok || body.errors || !body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body)}`);
  return body.data;
}

/** Products, then `perUser` orders for every user, through the API (an admin makes the products). */
async function seedOrders(env: BenchEnv, db: Connection, users: SoakUser[], perUser: number): Promise<void> {
  const admin = await registerUser(env, "soak-admin@bench.test", false);
  await db.query("UPDATE `user` SET `role` = 'ADMIN' WHERE `id` = ?", [admin.id]);
  const skus = ["SOAK-LICENCE", "SOAK-SERVICE"];
  for (const [i, sku] of skus.entries()) {
    await graphql(
      env,
      admin.cookie,
      `
        mutation ($input: CreateProductInput!) {
          createProduct(input: $input) {
            id
          }
        }
      `,
      {
        input: { sku, name: `Soak ${i}`, priceMinor: 1500 + i * 1000, kind: i === 0 ? "LICENCE" : "SERVICE" },
      },
    );
  }
  for (const user of users) {
    for (let i = 0; i < perUser; i++) {
      await graphql(
        env,
        user.cookie,
        `
          mutation ($input: PlaceOrderInput!) {
            placeOrder(input: $input) {
              id
            }
          }
        `,
        {
          input: {
            lines: skus.map((sku) => ({ sku, quantity: 1 + (i % 3) })),
            contact: {
              name: "Ada Lovelace",
              email: user.email,
              phone: "+44 20 7946 0000",
              organisation: "Analytical Engines Ltd",
              address: { line1: "12 St James's Square", city: "London", postcode: "SW1Y 4JH", country: "GB" },
            },
            payment: {
              cardNumber: "4111111111111111",
              expiryMonth: 12,
              expiryYear: 2030,
              cvc: "123",
              cardholderName: "A L",
            },
          },
        },
      );
    }
  }
}

/** Newsletter readers straight into the tables (as the consent bench does): the campaign's bulk. */
async function seedReaders(env: BenchEnv, count: number): Promise<void> {
  if (count === 0) return;
  const { dataSource } = await openDataSource(
    { kind: "mysql", url: env.databaseUrl },
    { entities: moduleDefinitions.flatMap((m) => m.entities), migrations: [] },
  );
  try {
    await insertNewsletterReaders(dataSource, count, "soak.example");
  } finally {
    await dataSource.destroy();
  }
}

interface CampaignState {
  status: string;
  recipientCount: number;
  sentCount: number;
  skippedCount: number;
  failedCount: number;
}

// --- the soak -----------------------------------------------------------------------------------

/**
 * `npm run bench -- soak`: the gateway (its own process, as bench.ts starts it) and a worker on
 * MariaDB, a mixed workload (sign-in and sign-out, `me`, `myOrders`, preference reads and writes,
 * page views, and one campaign sent by the worker to an SMTP peer in this process) held at
 * SOAK_LOAD (0.7) of the mix's measured maximum for SOAK_DURATION_S (600) seconds. Prints a line
 * per SOAK_BIN_S (60) seconds, then memory growth after the SOAK_WARMUP_S (60) seconds of
 * warm-up, p99 flatness, errors, page views accepted against stored, and campaign recipients
 * against delivered. Fails on an error or anything lost; reports the memory and p99 goals.
 */
export async function runSoak(env: BenchEnv, dataDir: string): Promise<void> {
  const s = settings();
  const base = new URL(env.gatewayUrl);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) throw new Error(`not a loopback gateway: ${base}`);

  // The SMTP peer: counts the campaign's messages apart from any other mail the worker sends.
  let delivered = 0;
  let otherMail = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      let head = "";
      stream.on("data", (chunk: Buffer) => {
        if (head.length < 8192) head += chunk.toString("utf8");
      });
      stream.on("end", () => {
        if (/^Subject: Soak campaign/im.test(head)) delivered += 1;
        else otherMail += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const workers: ChildProcess[] = [];
  const db = await createConnection({ uri: env.databaseUrl.replace(/^mariadb:/, "mysql:"), timezone: "Z" });
  try {
    const { child: worker } = await spawnProcess(
      workers,
      appMain("worker"),
      {
        DATABASE_URL: env.databaseUrl,
        NODE_ENV: "production",
        HONOUR_SECRET: BENCH_SECRET,
        HONOUR_DATA_DIR: dataDir,
        STATS_SITE_HOSTS: BENCH_SITE_HOST,
        SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
        // "worker started" is logged at info; so is every job done (the kept output is bounded).
        LOG_LEVEL: "info",
      },
      /worker started/,
    );
    let workerExit: number | null | undefined;
    worker.once("exit", (code) => (workerExit = code));

    // --- seed: one user per connection (newsletter readers, with orders), a marketer, the bulk.
    const seeding = performance.now();
    const users: SoakUser[] = [];
    for (let i = 0; i < env.connections; i++) users.push(await registerUser(env, `soak-${i}@bench.test`, true));
    await seedOrders(env, db, users, s.ordersPerUser);
    const marketer = await registerUser(env, "soak-marketing@bench.test", false);
    await db.query("UPDATE `user` SET `role` = 'MARKETING' WHERE `id` = ?", [marketer.id]);
    await seedReaders(env, s.bulkRecipients);
    const [readers] = await db.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM `consent_preference` WHERE `topic` = 'NEWSLETTER' AND `channel` = 'EMAIL' AND `granted` = 1",
    );
    const expectedRecipients = Number(readers[0]!.n);
    const created = await graphql<{ createCampaign: { id: string } }>(
      env,
      marketer.cookie,
      `
        mutation ($input: CreateCampaignInput!) {
          createCampaign(input: $input) {
            id
          }
        }
      `,
      { input: { topic: "NEWSLETTER", subject: CAMPAIGN_SUBJECT, bodyText: "Hello from the soak.\n" } },
    );
    const campaignId = created.createCampaign.id;
    console.log(
      `soak: ${users.length} users with ${s.ordersPerUser} orders each, ${expectedRecipients} newsletter readers ` +
        `(campaign ${campaignId} waiting), seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
    );

    const cycle = mixCycle();
    const makeClients = (pagePrefix: string) =>
      users.map((u, i) => new Client(u, cycle, Math.round((i * cycle.length) / users.length), pagePrefix));
    const mix = KINDS.map((k) => `${k} ${((WEIGHTS[k] / cycle.length) * 100).toFixed(1)} %`).join(", ");
    const rss = () => ({ gateway: rssMiB(env.gatewayPid), worker: rssMiB(worker.pid) });
    const rssStart = rss();
    console.log(`mix: ${mix}; ${users.length} connections`);
    console.log(`RSS at start: gateway ${mib(rssStart.gateway)}, worker ${mib(rssStart.worker)}`);

    // --- calibrate: the mix as fast as it goes (after a short unmeasured warm-up).
    let rate = s.rate;
    if (rate === undefined) {
      await drive(
        base,
        makeClients("calibrate"),
        performance.now() + Math.min(5, s.calibrateS) * 1000,
        undefined,
        () => {},
      );
      let answered = 0;
      const calibrationErrors: string[] = [];
      const from = performance.now();
      await drive(base, makeClients("calibrate"), from + s.calibrateS * 1000, undefined, (d) => {
        answered += 1;
        if (d.error) calibrationErrors.push(`${d.kind}: ${d.error}`);
      });
      const max = answered / ((performance.now() - from) / 1000);
      if (calibrationErrors.length > 0) {
        throw new Error(`calibration: ${calibrationErrors.length} errors, first: ${calibrationErrors[0]}`);
      }
      rate = Math.max(1, Math.round(max * s.load));
      console.log(
        `calibration: the mix peaks at ${max.toFixed(0)} req/s (${s.calibrateS} s, ${users.length} connections); ` +
          `holding ${rate} req/s (${(s.load * 100).toFixed(0)} %)`,
      );
    } else {
      console.log(`holding SOAK_RATE=${rate} req/s (no calibration)`);
    }

    // --- the soak itself.
    const bins: Bin[] = [];
    const binCount = Math.floor(s.durationS / s.binS);
    for (let i = 0; i < binCount; i++) bins.push({ latencies: [], errors: 0, late: 0 });
    const warmBins = Math.ceil(s.warmupS / s.binS);
    const byKind = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    const errorsByKind = new Map<Kind, number>();
    const firstErrors: string[] = [];
    let accepted = 0;
    let errors = 0;
    const soakStart = performance.now();
    const soakEnd = soakStart + binCount * s.binS * 1000;
    const onDone = (d: Done) => {
      const index = Math.min(binCount - 1, Math.floor((d.at - soakStart) / (s.binS * 1000)));
      const bin = bins[index]!;
      bin.latencies.push(d.ms);
      if (d.lateMs > 100) bin.late += 1;
      if (index >= warmBins) byKind.get(d.kind)!.push(d.ms);
      if (d.error) {
        errors += 1;
        bin.errors += 1;
        errorsByKind.set(d.kind, (errorsByKind.get(d.kind) ?? 0) + 1);
        if (firstErrors.length < 5) firstErrors.push(`${d.kind}: ${d.error}`);
      } else if (d.kind === "event") {
        accepted += 1;
      }
    };
    const load = drive(base, makeClients("soak"), soakEnd, rate, onDone);
    const campaign = (async () => {
      await sleep(Math.max(0, soakStart + s.campaignAtS * 1000 - performance.now()));
      await graphql(
        env,
        marketer.cookie,
        `
          mutation ($id: ID!) {
            sendCampaign(id: $id) {
              status
            }
          }
        `,
        { id: campaignId },
      );
      return performance.now();
    })();
    campaign.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    console.log(
      `\nsoak: ${rate} req/s for ${binCount * s.binS} s, a line per ${s.binS} s, the first ${warmBins} warm-up; ` +
        `campaign sent at ${s.campaignAtS} s`,
    );
    console.log(
      `  ${s.binS === 60 ? "min" : "bin"}      requests     req/s      p50        p99   errors  late   RSS gateway    RSS worker`,
    );
    for (let i = 0; i < binCount; i++) {
      await sleep(Math.max(0, soakStart + (i + 1) * s.binS * 1000 - performance.now()));
      const bin = bins[i]!;
      const now = rss();
      bin.rssGateway = now.gateway;
      bin.rssWorker = now.worker;
      const sorted = Float64Array.from(bin.latencies).sort();
      const lat = Array.from(sorted);
      console.log(
        `  ${String(i + 1).padStart(3)}${i < warmBins ? "w" : " "}  ${String(bin.latencies.length).padStart(10)}  ` +
          `${(bin.latencies.length / s.binS).toFixed(0).padStart(8)}  ${ms(percentile(lat, 50)).padStart(9)}  ` +
          `${ms(percentile(lat, 99)).padStart(9)}  ${String(bin.errors).padStart(6)}  ${String(bin.late).padStart(4)}  ` +
          `${mib(now.gateway).padStart(12)}  ${mib(now.worker).padStart(12)}`,
      );
    }
    await load;
    const sentAt = await campaign;

    // --- what was lost: page views stored against accepted (the buffer writes every 250 ms).
    const stored = async () => {
      const [rows] = await db.query<RowDataPacket[]>(
        "SELECT COUNT(*) AS n FROM `stats_page_view` WHERE `path` LIKE '/soak/%'",
      );
      return Number(rows[0]!.n);
    };
    let storedViews = await stored();
    for (let i = 0; i < 40 && storedViews < accepted; i++) {
      await sleep(500);
      storedViews = await stored();
    }

    // --- the campaign: wait for the worker to finish it, then compare with what the peer got.
    let state: CampaignState | undefined;
    const waitUntil = performance.now() + s.campaignWaitS * 1000;
    while (performance.now() < waitUntil) {
      const data = await graphql<{ campaign: CampaignState | null }>(
        env,
        marketer.cookie,
        `
          query ($id: ID!) {
            campaign(id: $id) {
              status
              recipientCount
              sentCount
              skippedCount
              failedCount
            }
          }
        `,
        { id: campaignId },
      );
      state = data.campaign ?? undefined;
      if (state?.status === "SENT") break;
      await sleep(500);
    }
    await sleep(500); // the last message's end of data may still be on its way to the peer

    // --- the summary.
    const measured = bins.slice(warmBins);
    const p99s = measured.map((b) => percentile(Array.from(Float64Array.from(b.latencies).sort()), 99));
    const flatness = Math.max(...p99s) / Math.min(...p99s);
    const afterWarmup = warmBins > 0 ? bins[warmBins - 1]!.rssGateway : rssStart.gateway;
    const atEnd = bins[binCount - 1]!.rssGateway;
    // Growth from the lowest reading since the end of warm-up: one reading taken while a sign-in's
    // 32 MiB of scrypt happened to be held would otherwise hide a leak behind a "negative growth".
    const readings = [afterWarmup, ...bins.slice(warmBins).map((b) => b.rssGateway)].filter(
      (v): v is number => v !== undefined,
    );
    const lowest = readings.length > 0 ? Math.min(...readings) : undefined;
    const growth = lowest && atEnd ? (atEnd - lowest) / lowest : NaN;
    const workerAfterWarmup = warmBins > 0 ? bins[warmBins - 1]!.rssWorker : rssStart.worker;
    const workerAtEnd = bins[binCount - 1]!.rssWorker;
    const lost = accepted - storedViews;
    const total = bins.reduce((n, b) => n + b.latencies.length, 0);
    const late = bins.reduce((n, b) => n + b.late, 0);

    console.log(`\nsoak summary (${total} requests, ${errors} errors, ${late} sent over 100 ms behind schedule)`);
    for (const kind of KINDS) {
      const lat = Array.from(Float64Array.from(byKind.get(kind)!).sort());
      console.log(
        `  ${kind.padEnd(15)} ${String(lat.length).padStart(8)} after warm-up   p50 ${ms(percentile(lat, 50)).padStart(9)}   ` +
          `p99 ${ms(percentile(lat, 99)).padStart(9)}   errors ${errorsByKind.get(kind) ?? 0}`,
      );
    }
    for (const e of firstErrors) console.log(`  error: ${e}`);
    console.log(
      `RSS gateway: start ${mib(rssStart.gateway)}, after warm-up ${mib(afterWarmup)}, lowest since ${mib(lowest)}, ` +
        `end ${mib(atEnd)}: growth ${(growth * 100).toFixed(1)} % from the lowest after warm-up to the end ` +
        `(goal under 10 %: ${growth < 0.1 ? "met" : "NOT met"})`,
    );
    console.log(
      `RSS worker:  start ${mib(rssStart.worker)}, after warm-up ${mib(workerAfterWarmup)}, end ${mib(workerAtEnd)}`,
    );
    console.log(
      `p99 per ${s.binS} s after warm-up: ${p99s.map((p) => p.toFixed(1)).join(", ")} ms; max/min ${flatness.toFixed(2)} ` +
        `(goal flat within 25 %, max/min ≤ 1.25: ${flatness <= 1.25 ? "met" : "NOT met"})`,
    );
    console.log(`errors: ${errors}`);
    console.log(`page views: ${accepted} accepted (202), ${storedViews} stored in stats_page_view, lost ${lost}`);
    const sendS = ((sentAt - soakStart) / 1000).toFixed(0);
    console.log(
      state
        ? `campaign (sent at ${sendS} s, ${state.status}): ${state.recipientCount} recipients of ${expectedRecipients} ` +
            `readers, ${state.sentCount} sent, ${state.skippedCount} skipped, ${state.failedCount} failed; ` +
            `the SMTP peer got ${delivered} (and ${otherMail} other messages)`
        : "campaign: no answer",
    );

    const problems: string[] = [];
    if (errors > 0) problems.push(`${errors} requests failed`);
    if (workerExit !== undefined) problems.push(`the worker exited (${workerExit}) during the soak`);
    if (lost !== 0) problems.push(`${accepted} page views accepted but ${storedViews} stored`);
    if (!state || state.status !== "SENT") problems.push(`the campaign did not finish within ${s.campaignWaitS} s`);
    else if (
      state.recipientCount !== expectedRecipients ||
      state.sentCount !== state.recipientCount ||
      delivered !== state.recipientCount
    ) {
      problems.push(`campaign: ${state.recipientCount} recipients, ${state.sentCount} sent, ${delivered} delivered`);
    }
    console.log(problems.length === 0 ? "errors 0, loss 0: passed" : `FAILED: ${problems.join("; ")}`);
    if (problems.length > 0) throw new Error(`soak failed: ${problems.join("; ")}`);
  } finally {
    await db.end();
    for (const worker of workers) {
      if (worker.exitCode !== null) continue;
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      worker.kill("SIGTERM");
      await Promise.race([exited, sleep(15_000)]);
    }
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  }
}
