import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { moduleDefinitions } from "@honour/composition";
import { migrateSchema, openDataSource } from "@honour/platform";
import {
  freePort,
  GraphQLTestClient,
  mariadbReplicaUnavailableReason,
  startRedisServer,
  startReplicatedMariadb,
  startSmtpPeer,
  type SmtpPeer,
  type TestRedisServer,
  type TestReplicatedMariadb,
} from "@honour/testing";
import type { DataSource } from "typeorm";
import { appMain, load, mean, row, spawnProcess, type LoadRequest, type LoadResult } from "./bench-kit";
import { seedPartnerOrders, signedInAdmin, trustedDocumentId } from "./cluster-seed";
import { insertNewsletterReaders } from "./readers";

/** Debian's HAProxy (`apt-get install haproxy`): the balancer the cluster bench starts. */
const HAPROXY = process.env.HAPROXY_BINARY ?? "/usr/sbin/haproxy";

const ME = "query Me { me { id email name organisation role createdAt } }";
const LOGIN = "mutation Login($input: LoginInput!) { login(input: $input) { user { id } } }";
const REGISTER = "mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }";
/** The orders seeded for the partner, all on the page `partnerOrders(first: 50)` reads. */
const PARTNER_ORDERS = 50;
/** The campaign's readers are `reader<n>@` this domain. */
const READERS_DOMAIN = "cluster-readers.test";

export interface ClusterSettings {
  /** The throwaway database bench.ts made on the shared server (unused: the cluster runs on a replica set of its own). */
  databaseUrl: string;
  dataDir: string;
  /** The settings every gateway of the bench gets (bench.ts's). */
  gatewayEnv: Record<string, string>;
  durationS: number;
  connections: number;
  rounds: number;
}

/** What the cluster runs on, besides its own processes. */
interface Engines {
  redis: TestRedisServer;
  mariadb: TestReplicatedMariadb;
  peer: SmtpPeer;
}

/** One line of the closing table: what was measured, and what came out. */
type Figure = [string, string];

/**
 * `npm run bench -- cluster`: two built gateways behind HAProxy (round robin, health checks on
 * `/readyz`, retries on another gateway), two workers, a MariaDB primary and a replica of it
 * (GTID replication, both started by the bench: the shared server has no binary log) and one
 * Redis, all as a site would set them (`REDIS_URL`, `DATABASE_REPLICA_URLS`). Measures `me` and a
 * partner's `partnerOrders(first: 50)` (trusted document) through the balancer against one
 * gateway direct, where those reads were served (SELECTs counted on each server) and the replica's
 * lag; a campaign sent by both workers on the Redis queue to a real SMTP peer (messages/s,
 * missing, duplicates); sign-in throttling across gateways; failed requests when a gateway is
 * killed mid-load. Ends with every figure in one table (docs/scaling.md keeps the last).
 */
export async function runCluster(settings: ClusterSettings, children: ChildProcess[]): Promise<void> {
  if (spawnSync(HAPROXY, ["-v"]).status !== 0) {
    throw new Error(
      `The cluster bench needs HAProxy at ${HAPROXY} (Debian: apt-get install -y haproxy; or set HAPROXY_BINARY).`,
    );
  }
  const mariadbMissing = mariadbReplicaUnavailableReason();
  if (mariadbMissing) throw new Error(`The cluster bench starts a MariaDB primary and replica: ${mariadbMissing}`);
  const redis = await startRedisServer();
  const mine: ChildProcess[] = [];
  let mariadb: TestReplicatedMariadb | undefined;
  let peer: SmtpPeer | undefined;
  try {
    mariadb = await startReplicatedMariadb("honour_cluster");
    peer = await startSmtpPeer();
    await cluster(settings, mine, { redis, mariadb, peer });
  } finally {
    // The gateways and workers go before the engines under them, so none is left retrying.
    await Promise.all(mine.map((child) => stopChild(child)));
    children.push(...mine);
    await peer?.close();
    await mariadb?.stop();
    await redis.stop();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

async function cluster(settings: ClusterSettings, children: ChildProcess[], engines: Engines): Promise<void> {
  const { mariadb } = engines;
  const figures: Figure[] = [];
  const { dataSource: primary } = await openDataSource(
    { kind: "mysql", url: mariadb.primaryUrl },
    {
      entities: moduleDefinitions.flatMap((m) => m.entities),
      migrations: moduleDefinitions.flatMap((m) => m.migrations),
    },
  );
  try {
    await migrateSchema(primary);
    await mariadb.caughtUp();
    await measure(settings, children, engines, primary, figures);
  } finally {
    await primary.destroy();
  }
  console.log(`\nEvery figure of this run (${machine()} at the end):\n`);
  console.log("| Figure | Result |\n|---|---|");
  for (const [name, result] of figures) console.log(`| ${name} | ${result} |`);
}

async function measure(
  settings: ClusterSettings,
  children: ChildProcess[],
  { redis, mariadb, peer }: Engines,
  primary: DataSource,
  figures: Figure[],
): Promise<void> {
  const env = {
    ...settings.gatewayEnv,
    DATABASE_URL: mariadb.primaryUrl,
    DATABASE_REPLICA_URLS: mariadb.replicaUrl,
    REDIS_URL: redis.url,
    SMTP_URL: peer.url,
    // As production has it: a partner key runs only the client's trusted documents.
    PARTNER_TRUSTED_DOCUMENTS_ONLY: "true",
  };
  for (const dir of ["gateway-0", "gateway-1", "worker-0", "worker-1"]) mkdirSync(join(settings.dataDir, dir));
  const gateways: { url: string; port: number; child: ChildProcess }[] = [];
  for (let i = 0; i < 2; i++) {
    const { match, child } = await spawnProcess(
      children,
      appMain("gateway"),
      { ...env, PORT: "0", HONOUR_DATA_DIR: join(settings.dataDir, `gateway-${i}`) },
      /GraphQL at (http:\/\/[^/\s]+)\/graphql/,
    );
    gateways.push({ url: match[1]!, port: Number(/:(\d+)$/.exec(match[1]!)![1]), child });
    printErrors(`gateway-${i}`, child);
  }
  /** Campaign batches each worker finished (its "job done" log lines). */
  const batches = [0, 0];
  for (let i = 0; i < 2; i++) {
    const { child } = await spawnProcess(
      children,
      appMain("worker"),
      { ...env, LOG_LEVEL: "info", HONOUR_DATA_DIR: join(settings.dataDir, `worker-${i}`) },
      /worker started/,
    );
    printErrors(`worker-${i}`, child);
    let pending = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      const lines = (pending + String(chunk)).split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.includes('"job done"') && line.includes('"consent.sendCampaign"')) batches[i]! += 1;
      }
    });
  }
  const balancerPort = await freePort();
  const config = join(settings.dataDir, "haproxy.cfg");
  writeFileSync(
    config,
    haproxyConfig(
      balancerPort,
      gateways.map((g) => g.port),
    ),
  );
  const haproxy = spawn(HAPROXY, ["-db", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(haproxy);
  // HAProxy in the foreground says on stderr when its checks take a gateway out or bring it back.
  const serverChanges: string[] = [];
  haproxy.stderr!.on("data", (chunk: Buffer) => {
    for (const line of String(chunk).split("\n")) {
      const change =
        /Server (\S+) is (DOWN|UP)[^.]*?(, reason: [^,]+)?/.exec(line) ??
        /backend '\S+' has no server available/.exec(line);
      if (change) serverChanges.push(`${new Date().toISOString().slice(11, 19)} ${change[0]}`);
    }
  });
  await waitForPort(balancerPort);
  const balancer = `http://127.0.0.1:${balancerPort}`;
  const startedOn = machine();
  console.log(
    `Honour cluster bench: 2 gateways behind HAProxy (${balancer}), 2 workers, MariaDB primary ` +
      `${mariadb.primaryUrl} + replica ${mariadb.replicaUrl}, Redis ${redis.url}; ` +
      `${settings.connections} connections, ${settings.durationS} s per run, ${settings.rounds} rounds; ${startedOn} at the start`,
  );
  figures.push(["Machine and load at the start", startedOn]);
  figures.push([
    "Settings",
    `${settings.connections} connections, ${settings.durationS} s per run, ${settings.rounds} rounds (alternating, after a 3 s warm-up each)`,
  ]);
  const loadEnv = { connections: settings.connections, durationS: settings.durationS };
  const lag = sampleReplicaLag(mariadb);

  // 1. `me` through the balancer against one gateway direct.
  const client = new GraphQLTestClient(balancer);
  await client.ok(REGISTER, {
    input: { email: "cluster@example.test", password: "cluster-password-1", name: "Cluster", organisation: "Honour" },
  });
  const cookie = `honour_session=${client.cookies.get("honour_session")}`;
  const me = (url: string): LoadRequest => ({
    url: `${url}/graphql`,
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ query: ME, operationName: "Me" }),
  });
  const failed: string[] = [];
  const meResults = await alternate(
    settings,
    loadEnv,
    { "one gateway direct": me(gateways[0]!.url), "balancer, 2 gateways": me(balancer) },
    failed,
  );
  printRows(`me query, ${settings.connections} connections`, meResults, figures, "`me`");

  // 2. A partner's `partnerOrders(first: 50)`, its trusted document by id, with contacts (disclosures).
  const admin = await signedInAdmin(balancer, primary);
  const bearer = await seedPartnerOrders(balancer, admin, PARTNER_ORDERS);
  await mariadb.caughtUp();
  const partnerBody = JSON.stringify({
    documentId: trustedDocumentId("PartnerOrders"),
    operationName: "PartnerOrders",
    variables: { first: PARTNER_ORDERS },
  });
  const partnerHeaders = { "content-type": "application/json", authorization: bearer };
  const check = (await (
    await fetch(`${balancer}/graphql`, { method: "POST", headers: partnerHeaders, body: partnerBody })
  ).json()) as { data?: { partnerOrders: { nodes: { contact: unknown }[] } }; errors?: unknown };
  const nodes = check.data?.partnerOrders.nodes ?? [];
  if (check.errors || nodes.length !== PARTNER_ORDERS || nodes.some((n) => !n.contact)) {
    throw new Error(`partnerOrders through the balancer: ${JSON.stringify(check).slice(0, 400)}`);
  }
  let partnerRequests = 0;
  const partner = (url: string): LoadRequest => ({
    url: `${url}/graphql`,
    headers: partnerHeaders,
    body: partnerBody,
    onResult: (r) => (partnerRequests += r.ok),
  });
  const before = await selects(mariadb);
  const partnerResults = await alternate(
    settings,
    loadEnv,
    { "one gateway direct": partner(gateways[0]!.url), "balancer, 2 gateways": partner(balancer) },
    failed,
  );
  const after = await selects(mariadb);
  printRows(
    `partnerOrders(first: ${PARTNER_ORDERS}), trusted document, ${settings.connections} connections`,
    partnerResults,
    figures,
    `\`partnerOrders(first: ${PARTNER_ORDERS})\` (partner key, trusted document by id, ${PARTNER_ORDERS} contacts)`,
  );
  const perRequest = (n: number) => (n / Math.max(1, partnerRequests)).toFixed(2);
  const onReplica = after.replica - before.replica;
  const onPrimary = after.primary - before.primary;
  const catchUpStarted = Date.now();
  await mariadb.caughtUp(120);
  const catchUpMs = Date.now() - catchUpStarted;
  const where =
    `${onReplica} SELECTs on the replica, ${onPrimary} on the primary over ${partnerRequests} answered requests ` +
    `(${perRequest(onReplica)} and ${perRequest(onPrimary)} a request; the primary's are the API key, ` +
    `the disclosures' and the workers'); the replica caught up ${catchUpMs} ms after the load`;
  console.log(`reads of partnerOrders: ${where}`);
  figures.push(["`partnerOrders` reads: where they were served", where]);

  figures.push([
    "Failed answers a probe saw beside the measured runs",
    failed.length > 0 ? failed.join("<br>") : "none",
  ]);

  // 3. A campaign sent by both workers on the Redis queue to the SMTP peer.
  await runCampaign(admin, primary, peer, batches, figures);
  const catchUpAfterCampaign = Date.now();
  await mariadb.caughtUp(120);
  const lagFigure =
    `largest Seconds_Behind_Master sampled every 500 ms through the runs above: ${lag.stop()} s; ` +
    `caught up ${Date.now() - catchUpAfterCampaign} ms after the campaign`;
  console.log(`\nreplica lag: ${lagFigure}`);
  figures.push(["Replica lag", lagFigure]);

  // 4. Sign-in throttling across gateways: 5 wrong passwords alternating, then the right one on each.
  const email = "throttled@example.test";
  const password = "cluster-password-2";
  await new GraphQLTestClient(balancer).ok(REGISTER, { input: { email, password, name: "Throttled" } });
  const codes: string[] = [];
  for (let i = 0; i < 5; i++) {
    codes.push(await loginCode(gateways[i % 2]!.url, email, `wrong password ${i}`));
  }
  const sixth = [
    await loginCode(gateways[0]!.url, email, password),
    await loginCode(gateways[1]!.url, email, password),
  ];
  const throughBalancer = await loginCode(balancer, email, password);
  const holds =
    codes.every((c) => c === "UNAUTHENTICATED") &&
    sixth.every((c) => c === "RATE_LIMITED") &&
    throughBalancer === "RATE_LIMITED";
  const throttle =
    `5 wrong passwords alternating A/B -> ${codes.join(", ")}; ` +
    `the right password next on A: ${sixth[0]}, on B: ${sixth[1]}, through the balancer: ${throughBalancer} ` +
    `-> ${holds ? "holds" : "DOES NOT HOLD"}`;
  console.log(`\nsign-in throttling across gateways: ${throttle}`);
  figures.push(["Sign-in throttling across gateways", throttle]);

  // 5. One gateway killed (SIGKILL) a third of the way into a run through the balancer.
  const killAfterMs = (settings.durationS * 1000) / 3;
  const killer = setTimeout(() => gateways[1]!.child.kill("SIGKILL"), killAfterMs);
  const { result: killed, seen: killedSeen } = await probedLoad(me(balancer), loadEnv);
  clearTimeout(killer);
  const kill =
    `${killed.ok} answered 2xx, ${killed.errors} failed (errors, non-2xx, timeouts) after HAProxy's retries; ` +
    `p99 ${killed.p99.toFixed(1)} ms${killedSeen ? `; the probe beside it got ${killedSeen}` : ""}`;
  console.log(
    `\none gateway SIGKILLed ${(killAfterMs / 1000).toFixed(1)} s into ${settings.durationS} s of me through the balancer: ${kill}`,
  );
  figures.push([
    `One gateway \`SIGKILL\`ed ${(killAfterMs / 1000).toFixed(1)} s into ${settings.durationS} s of \`me\` through HAProxy`,
    kill,
  ]);
  figures.push([
    "HAProxy's checks: gateways taken out or brought back",
    serverChanges.length > 0 ? serverChanges.join("<br>") : "none",
  ]);
  if (!holds) throw new Error("sign-in throttling did not hold across gateways");
}

/**
 * Each contender once to warm up, then `rounds` rounds, each starting with the next contender.
 * Beside each measured run, one probe sends the same request in a loop and keeps what the failed
 * answers said (autocannon counts them but keeps no body), so a row with errors can say which.
 */
async function alternate(
  settings: ClusterSettings,
  loadEnv: { connections: number; durationS: number },
  contenders: Record<string, LoadRequest>,
  failed: string[],
): Promise<Record<string, LoadResult[]>> {
  const entries = Object.entries(contenders);
  const results: Record<string, LoadResult[]> = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (const [, request] of entries) await load({ ...request, durationS: Math.min(3, settings.durationS) }, loadEnv);
  for (let round = 0; round < settings.rounds; round++) {
    for (let i = 0; i < entries.length; i++) {
      const [name, request] = entries[(round + i) % entries.length]!;
      const { result, seen } = await probedLoad(request, loadEnv);
      results[name]!.push(result);
      if (seen) {
        console.log(`${name}: the probe beside the run got failed answers: ${seen}`);
        failed.push(`${name}, round ${round + 1}: ${seen}`);
      }
    }
  }
  return results;
}

/** {@link load}, with a probe beside it that keeps what failed answers said ("" when none failed). */
async function probedLoad(
  request: LoadRequest,
  loadEnv: { connections: number; durationS: number },
): Promise<{ result: LoadResult; seen: string }> {
  const failures = new Map<string, number>();
  let measuring = true;
  const probe = (async () => {
    while (measuring) {
      const why = await failureOf(request);
      if (why) failures.set(why, (failures.get(why) ?? 0) + 1);
    }
  })();
  const result = await load(request, loadEnv);
  measuring = false;
  await probe;
  return { result, seen: [...failures].map(([why, n]) => `${n} × ${why}`).join("; ") };
}

/** Null for a 2xx answer without errors; otherwise its status and first error code and message. */
async function failureOf(request: LoadRequest): Promise<string | null> {
  try {
    const response = await fetch(request.url, {
      method: request.method ?? "POST",
      headers: request.headers,
      body: request.body,
    });
    const text = await response.text();
    let first: { message?: string; extensions?: { code?: string } } | undefined;
    try {
      first = (JSON.parse(text) as { errors?: (typeof first)[] }).errors?.[0];
    } catch {
      // not JSON: the status and the start of the text say it
    }
    if (response.ok && !first) return null;
    return `${response.status} ${first?.extensions?.code ?? ""} ${(first?.message ?? text).slice(0, 160)}`;
  } catch (error) {
    return `no answer: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function printRows(title: string, results: Record<string, LoadResult[]>, figures: Figure[], what: string): void {
  console.log(`\n${title}`);
  for (const [name, rs] of Object.entries(results)) console.log(row(name, rs));
  const ratio = mean(results["balancer, 2 gateways"]!, "rps") / mean(results["one gateway direct"]!, "rps");
  console.log(`balancer/direct throughput: ${(ratio * 100).toFixed(1)} % (2 cores: expect parity, not doubling)`);
  for (const [name, rs] of Object.entries(results)) {
    const share = name.startsWith("balancer") ? ` (${(ratio * 100).toFixed(0)} % of direct)` : "";
    figures.push([
      `${what}, ${name}`,
      `${mean(rs, "rps").toFixed(0)} req/s${share}, p99 ${mean(rs, "p99").toFixed(0)} ms, ${mean(rs, "errors").toFixed(0)} errors`,
    ]);
  }
}

/**
 * A NEWSLETTER campaign to {@link campaignRecipients} readers seeded into the primary, created and
 * sent by the ADMIN through the balancer; both workers send it through the Redis queue. Counted
 * at the SMTP peer: messages/s from `sendCampaign` to the last message accepted, recipients with
 * no message, and messages beyond one per recipient.
 */
async function runCampaign(
  admin: GraphQLTestClient,
  primary: DataSource,
  peer: SmtpPeer,
  batches: number[],
  figures: Figure[],
): Promise<void> {
  const recipients = Number(process.env.BENCH_CLUSTER_RECIPIENTS ?? 5000);
  const limitS = Number(process.env.BENCH_CAMPAIGN_LIMIT_S ?? 300);
  await insertNewsletterReaders(primary, recipients, READERS_DOMAIN);
  let lastArrival = 0;
  peer.beforeAccept = () => {
    lastArrival = Date.now();
  };
  const created = await admin.ok<{ createCampaign: { id: string } }>(
    "mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }",
    { input: { topic: "NEWSLETTER", subject: "Cluster bench", bodyText: "Hello from both workers.\n" } },
  );
  const id = created.createCampaign.id;
  batches.fill(0);
  const startedAt = Date.now();
  await admin.ok("mutation ($id: ID!) { sendCampaign(id: $id) { status } }", { id });
  let campaign: { status: string; recipientCount: number; sentCount: number; failedCount: number } | undefined;
  while (Date.now() - startedAt < limitS * 1000) {
    const answer = await admin.query<{ campaign: typeof campaign }>(
      "query ($id: ID!) { campaign(id: $id) { status recipientCount sentCount failedCount } }",
      { id },
    );
    campaign = answer.data?.campaign ?? undefined;
    if (campaign?.status === "SENT") break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const sentAfterS = (Date.now() - startedAt) / 1000;
  const copies = new Map<string, number>();
  for (const mail of peer.messages) {
    if (mail.to.endsWith(`@${READERS_DOMAIN}`)) copies.set(mail.to, (copies.get(mail.to) ?? 0) + 1);
  }
  let missing = 0;
  for (let i = 0; i < recipients; i++) if (!copies.has(`reader${i}@${READERS_DOMAIN}`)) missing += 1;
  const delivered = [...copies.values()].reduce((sum, n) => sum + n, 0);
  const duplicates = delivered - copies.size;
  const sendingS = (lastArrival - startedAt) / 1000;
  const result =
    `${campaign?.status === "SENT" ? "SENT" : `NOT SENT within ${limitS} s`}: ${delivered} messages at the SMTP peer in ` +
    `${sendingS.toFixed(1)} s = ${Math.round(delivered / sendingS)} messages/s (SENT seen after ${sentAfterS.toFixed(1)} s); ` +
    `**${missing} missing, ${duplicates} duplicates**; batches per worker ${batches.join(" + ")}`;
  console.log(`\ncampaign to ${recipients} recipients, two workers on the Redis queue: ${result}`);
  figures.push([
    `Campaign to ${recipients} recipients, 2 workers on the Redis queue, counted at a real SMTP peer`,
    result,
  ]);
  if (campaign?.status !== "SENT" || missing > 0 || duplicates > 0) {
    throw new Error(`the campaign did not go out exactly once to each recipient: ${JSON.stringify(campaign)}`);
  }
}

/** SELECT statements each server has run so far (`Com_select`; replication applies none). */
async function selects(mariadb: TestReplicatedMariadb): Promise<{ primary: number; replica: number }> {
  const count = async (server: "primary" | "replica") => {
    const connection = await mariadb.connect(server);
    try {
      const [rows] = (await connection.query("SHOW GLOBAL STATUS LIKE 'Com_select'")) as unknown as [
        { Value: string }[],
      ];
      return Number(rows[0]!.Value);
    } finally {
      await connection.end();
    }
  };
  return { primary: await count("primary"), replica: await count("replica") };
}

/** Samples the replica's `Seconds_Behind_Master` every 500 ms; `stop` answers the largest seen. */
function sampleReplicaLag(mariadb: TestReplicatedMariadb): { stop(): number } {
  let largest = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const connection = await mariadb.connect("replica");
      try {
        const [rows] = (await connection.query("SHOW SLAVE STATUS")) as unknown as [
          { Seconds_Behind_Master: number | null }[],
        ];
        largest = Math.max(largest, Number(rows[0]?.Seconds_Behind_Master ?? 0));
      } finally {
        await connection.end();
      }
    })()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 500);
  return {
    stop() {
      clearInterval(timer);
      return largest;
    },
  };
}

/** Prints the log lines of level error and above (pino's 50, 60) a gateway or worker writes, so a failure shows why. */
function printErrors(name: string, child: ChildProcess): void {
  let pending = "";
  const onData = (chunk: Buffer) => {
    const lines = (pending + String(chunk)).split("\n");
    pending = lines.pop()!;
    for (const line of lines) if (/"level":(50|60)/.test(line)) console.error(`[${name}] ${line.slice(0, 2000)}`);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
}

function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model.trim() ?? "unknown CPU"}), load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}, Node ${process.version}`;
}

async function loginCode(url: string, email: string, password: string): Promise<string> {
  const result = await new GraphQLTestClient(url).query(LOGIN, { input: { email, password } });
  return (result.errors?.[0]?.extensions?.code as string | undefined) ?? "OK";
}

/**
 * Round robin over the gateways; `/readyz` checked every 500 ms (out after 3 failures, each
 * allowed 2 s); a request whose gateway refused the connection, reset it or answered nothing is
 * sent again to the other (`retry-on`, `redispatch`; bodies buffered so POSTs can be).
 */
function haproxyConfig(port: number, gatewayPorts: number[]): string {
  return [
    "global",
    "  maxconn 4096",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 30s",
    "  timeout server 30s",
    "  option http-buffer-request",
    "  retries 3",
    "  option redispatch 1",
    "  retry-on all-retryable-errors",
    // A check answered late is not a gateway down: without it the check's timeout is `inter`, and
    // on a loaded machine both gateways' /readyz went past 500 ms, leaving HAProxy none to send to.
    "  timeout check 2s",
    "frontend honour",
    `  bind 127.0.0.1:${port}`,
    "  default_backend gateways",
    "backend gateways",
    "  balance roundrobin",
    "  option httpchk GET /readyz",
    "  http-reuse safe",
    ...gatewayPorts.map((p, i) => `  server gw${i} 127.0.0.1:${p} check inter 500 fall 3 rise 2`),
    "",
  ].join("\n");
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`HAProxy did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
