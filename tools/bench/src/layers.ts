/**
 * The layers issue 18 asks about (Fastify, Apollo's pipeline, validation, type-graphql, TypeORM,
 * mysql2, JSON, …), told by a sampled frame's script URL and function name: shared by the V8
 * profile summary (profile-summary.ts) and the on-CPU one (perf-profile.ts).
 */
/** First match wins: more specific layers first. */
export const LAYERS: [string, (url: string, fn: string) => boolean][] = [
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
  ["hand-written baseline or floor (tools/bench)", (u) => u.includes("/tools/bench/")],
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

export function layerOf(url: string, fn: string): string {
  return LAYERS.find(([, test]) => test(url, fn))![0];
}
