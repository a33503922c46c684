import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compare, meanCpu, row, type BenchEnv, type LoadResult } from "./bench-kit";

/** The gateway's emitted schema, which the Apollo floor serves (seen from tools/bench/dist). */
const GATEWAY_SCHEMA = join(__dirname, "..", "..", "..", "apps", "gateway", "schema.graphql");

/** One scenario's ceiling: the best ratio the stack allows, by CPU per request. */
export interface StackCeiling {
  scenario: string;
  connections: number;
  /** µs a request the Apollo floor spends beyond the node:http one. */
  stackUs: number;
  /** The scenario's baseline, µs a request. */
  baselineUs: number;
  /** baseline / (baseline + stack), percent. */
  ceiling: number;
  goal: number;
}

const ceilings: StackCeiling[] = [];

export function stackCeilings(): readonly StackCeiling[] {
  return ceilings;
}

export interface FloorRequest {
  /** The scenario as the report names it (`me query`). */
  scenario: string;
  headers: Record<string, string>;
  body: string;
  /** What the gateway answered to `body`: both floors answer exactly this. */
  answer: unknown;
  /** The scenario's baseline results, for its CPU per request. */
  baseline: LoadResult[];
  /** The scenario's goal, percent. */
  goal: number;
}

/**
 * The stack's floor for one scenario (floor-server.ts): Apollo Server on Fastify with graphql-jit
 * answering the gateway's recorded JSON through do-nothing resolvers, against node:http writing the
 * same JSON, alternating as every pair is. Their difference in CPU per request is what the layers
 * issue 18 says to keep cost before any of Honour's work; with the scenario's baseline it bounds
 * the ratio the gateway can reach. Prints the pair and that bound, and keeps it for the summary.
 * `BENCH_FLOOR=0` skips it.
 */
export async function runFloor(env: BenchEnv, request: FloorRequest): Promise<void> {
  if (process.env.BENCH_FLOOR === "0") return;
  const dir = mkdtempSync(join(tmpdir(), "honour-floor-"));
  const answerFile = join(dir, "answer.json");
  writeFileSync(answerFile, JSON.stringify(request.answer));
  const start = async (mode: "apollo" | "http") => {
    const match = await env.startServer(
      "floor-server.js",
      { FLOOR_MODE: mode, FLOOR_ANSWER: answerFile, FLOOR_SCHEMA: GATEWAY_SCHEMA, NODE_ENV: "production" },
      /FLOOR_PORT=(\d+)/,
    );
    return `http://127.0.0.1:${match[1]}/graphql`;
  };
  let urls: Record<string, string>;
  try {
    urls = { "apollo floor": await start("apollo"), "http floor": await start("http") };
  } finally {
    rmSync(dir, { recursive: true, force: true }); // each server read it as it started
  }
  const expected = JSON.stringify(request.answer);
  for (const [name, url] of Object.entries(urls)) {
    const got = await fetch(url, { method: "POST", headers: request.headers, body: request.body })
      .then((r) => r.json())
      .then((json) => JSON.stringify(json));
    if (got !== expected)
      throw new Error(`${request.scenario}: the ${name} answers differently:\n ${got.slice(0, 400)}`);
  }
  const results = await compare(
    { ...env, durationS: Math.min(env.durationS, 5) },
    Object.fromEntries(
      Object.entries(urls).map(([name, url]) => [name, { url, headers: request.headers, body: request.body }]),
    ),
  );
  console.log(
    `stack floor of ${request.scenario}: Apollo Server on Fastify with graphql-jit, resolvers answering the gateway's JSON, against node:http writing it`,
  );
  for (const [name, rs] of Object.entries(results)) {
    console.log(row(name, rs));
    if (rs.some((r) => r.errors > 0)) throw new Error(`${request.scenario}: the ${name} failed requests; no floor.`);
  }
  const [apollo, http, baseline] = [
    meanCpu(results["apollo floor"]!),
    meanCpu(results["http floor"]!),
    meanCpu(request.baseline),
  ];
  if (apollo === undefined || http === undefined || baseline === undefined) return;
  const stackUs = Math.max(0, apollo - http);
  const ceiling = (100 * baseline) / (baseline + stackUs);
  ceilings.push({
    scenario: request.scenario,
    connections: env.connections,
    stackUs,
    baselineUs: baseline,
    ceiling,
    goal: request.goal,
  });
  console.log(
    `the stack's own cost: ${stackUs.toFixed(0)} µs a request; with the baseline's ${baseline.toFixed(0)} µs, ` +
      `the best ratio by CPU per request a gateway on it can reach is ${ceiling.toFixed(1)} % (goal ${request.goal} %)`,
  );
}
