import { readFileSync } from "node:fs";

/**
 * `node tools/bench/dist/profile-summary.js <file.cpuprofile>…`: the share of a V8 CPU profile's
 * busy time (idle left out) per layer the issue asks about, by where each sampled frame's own
 * time was spent. Profiles come from `BENCH_CPU_PROF_DIR` (docs/performance.md). `PROFILE_SKIP_S`
 * leaves out the first seconds (start-up), `PROFILE_TOP=n` lists the n busiest functions too.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** First match wins: more specific layers first. */
const LAYERS: [string, (url: string, fn: string) => boolean][] = [
  ["idle", (_u, fn) => fn === "(idle)"],
  ["GC", (_u, fn) => fn === "(garbage collector)"],
  ["graphql-jit runtime", (u) => u.includes("graphql-jit")],
  ["GraphQL validation", (u) => u.includes("/graphql/validation/")],
  ["GraphQL parse", (u) => u.includes("/graphql/language/")],
  ["GraphQL execution (graphql-js)", (u) => u.includes("/node_modules/graphql/")],
  ["cost analysis (graphql-query-complexity)", (u) => u.includes("graphql-query-complexity")],
  ["Apollo pipeline", (u) => u.includes("@apollo/") || u.includes("@as-integrations/")],
  ["type-graphql wrappers and auth", (u) => u.includes("type-graphql")],
  ["class-validator", (u) => u.includes("class-validator") || u.includes("class-transformer")],
  ["TypeORM", (u) => u.includes("/typeorm/")],
  ["mysql2", (u) => u.includes("/mysql2/") || u.includes("/sqlstring/") || u.includes("iconv-lite")],
  [
    "Fastify",
    (u) =>
      /\/(fastify|@fastify|find-my-way|light-my-request|avvio|fast-json-stringify|secure-json-parse|toad-cache|fast-querystring|cookie)\//.test(
        u,
      ),
  ],
  ["pino (logging)", (u) => u.includes("/pino")],
  ["prom-client (metrics)", (u) => u.includes("prom-client")],
  ["dataloader", (u) => u.includes("/dataloader/")],
  ["Honour gateway", (u) => u.includes("/apps/gateway/")],
  ["Honour packages", (u) => u.includes("/packages/")],
  ["other node_modules", (u) => u.includes("node_modules")],
  ["JSON", (_u, fn) => /^JSON|stringify|^parse$/.test(fn)],
  [
    "Node HTTP, streams, net",
    (u) =>
      /node:(_http|http|net|stream|internal\/streams|internal\/http|events|internal\/process\/task_queues|internal\/timers|timers)/.test(
        u,
      ) || /^node:internal\/(stream|http|net|event)/.test(u),
  ],
  ["Node crypto", (u) => u.includes("crypto")],
  ["Node other", (u) => u.startsWith("node:")],
  [
    "kernel writes (writev, writeBuffer)",
    (_u, fn) => /^(writev|writeBuffer|writeUtf8String|writeLatin1String)$/.test(fn),
  ],
  ["V8, native and generated code (graphql-jit's compiled queries)", () => true],
];

function layerOf(url: string, fn: string): string {
  return LAYERS.find(([, test]) => test(url, fn))![0];
}

function summarise(file: string): void {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // PROFILE_SKIP_S: leave out the first seconds (start-up, seeding) to see the load alone.
  const skipUs = Number(process.env.PROFILE_SKIP_S ?? 0) * 1e6;
  const hits = new Map<number, number>();
  let at = profile.startTime;
  const samples = profile.samples ?? [];
  let all = 0;
  samples.forEach((id, i) => {
    at += profile.timeDeltas?.[i] ?? 0;
    if (at - profile.startTime < skipUs) return;
    all++;
    hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  const totals = new Map<string, number>();
  let busy = 0;
  for (const [id, count] of hits) {
    const node = byId.get(id)!;
    const layer = layerOf(node.callFrame.url, node.callFrame.functionName);
    totals.set(layer, (totals.get(layer) ?? 0) + count);
    if (layer !== "idle") busy += count;
  }
  const seconds = (profile.endTime - profile.startTime - skipUs) / 1e6;
  console.log(`\n${file}: ${seconds.toFixed(1)} s, busy ${((busy / Math.max(1, all)) * seconds).toFixed(1)} s`);
  for (const [layer, count] of [...totals].filter(([l]) => l !== "idle").sort((a, b) => b[1] - a[1])) {
    console.log(`  ${layer.padEnd(42)} ${((count / Math.max(1, busy)) * 100).toFixed(1).padStart(5)} %`);
  }
  if (process.env.PROFILE_TOP) {
    const fns = new Map<string, number>();
    for (const [id, count] of hits) {
      const { functionName, url } = byId.get(id)!.callFrame;
      if (functionName === "(idle)") continue;
      const key = `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/\/work\/main\//, "")}`;
      fns.set(key, (fns.get(key) ?? 0) + count);
    }
    for (const [key, count] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP))) {
      console.log(`    ${((count / Math.max(1, busy)) * 100).toFixed(1).padStart(5)} %  ${key}`);
    }
  }
}

for (const file of process.argv.slice(2)) summarise(file);
