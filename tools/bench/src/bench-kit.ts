import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request as httpRequest } from "node:http";
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import autocannon from "autocannon";
import { perfNodeFlags, startPerf, summarisePerf } from "./perf-profile";
import { connectionsOf, recordRatio, scenarioOf } from "./ratio-check";

/** What every benchmark scenario is given: a migrated throwaway database and a running gateway. */
export interface BenchEnv {
  /** mysql:// or mariadb:// URL of the throwaway database, migrated. */
  databaseUrl: string;
  /** The gateway (NODE_ENV=production, its own process) on that database. */
  gatewayUrl: string;
  /** The gateway process's id (for its resident memory in /proc). */
  gatewayPid?: number;
  durationS: number;
  connections: number;
  rounds: number;
  /** Starts a script of the bench's dist/ (a baseline server) in its own process; stopped when the run ends. */
  startServer(script: string, env: Record<string, string>, ready: RegExp): Promise<RegExpExecArray>;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  /** Requests answered 2xx. */
  ok: number;
  /**
   * CPU time (user + system) the server process spent per request answered, in µs, when the
   * server is one the bench started (see {@link serverPids}). Unlike throughput it hardly depends
   * on how busy the rest of a shared machine is.
   */
  cpuUsPerRequest?: number;
  /**
   * With `BENCH_PERF_DIR`: the server's CPU time per layer over the run, in µs (an on-CPU profile
   * taken with Linux perf, see perf-profile.ts), and the requests it answered in that time.
   */
  perf?: { layers: Map<string, number>; requests: number };
}

/** The processes the bench started, by the port they listen on (learnt from their ready line). */
const serverPids = new Map<string, number>();

/** CPU ticks (user + system, at 100 a second) a process has used so far; undefined if unreadable. */
export function cpuTicks(pid: number): number | undefined {
  try {
    // Fields after the command's closing parenthesis: state is 3rd, utime 14th, stime 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** A process's resident memory now and at its peak (VmRSS, VmHWM), in MiB; undefined if unreadable. */
export function residentMiB(pid: number | undefined): { now: number; peak: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { now: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * Starts a process's peak resident memory (VmHWM) again from its resident memory now, so the next
 * {@link residentMiB} peak is that of what ran since (Linux: `echo 5 > /proc/<pid>/clear_refs`).
 * False when the kernel refuses, and the peak then still counts from the process's start.
 */
export function resetPeakResident(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

export interface LoadRequest {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  durationS?: number;
  /** Requests per second to hold, evenly spaced ({@link paced}); unset = as fast as possible. */
  rate?: number;
  /** Called with every run's result, warm-ups included (e.g. to count what a server accepted). */
  onResult?: (result: LoadResult) => void;
}

/**
 * Runs autocannon against one URL and returns throughput and latency; with `rate`, holds that many
 * requests a second evenly spaced instead ({@link paced}).
 */
export async function load(
  request: LoadRequest,
  env: Pick<BenchEnv, "connections" | "durationS">,
): Promise<LoadResult> {
  if (request.rate) return paced(request, request.rate, env);
  const loadResult = await measured(request.url, () =>
    autocannon({
      url: request.url,
      method: request.method ?? "POST",
      headers: request.headers,
      body: request.body,
      connections: request.connections ?? env.connections,
      duration: request.durationS ?? env.durationS,
    }),
  );
  request.onResult?.(loadResult);
  return loadResult;
}

/**
 * Runs `run` (autocannon against the server the bench started at `url`) and gives its throughput
 * and latency, the server's CPU time per request from `/proc`, and with `BENCH_PERF_DIR` its
 * on-CPU profile by layer over the same run.
 */
export async function measured(url: string, run: () => Promise<autocannon.Result>): Promise<LoadResult> {
  const pid = serverPids.get(new URL(url).port);
  const recording = pid === undefined ? undefined : await startPerf(pid);
  const ticksBefore = pid === undefined ? undefined : cpuTicks(pid);
  let result: autocannon.Result;
  try {
    result = await run();
  } catch (error) {
    await recording?.stop();
    throw error;
  }
  const ticksAfter = pid === undefined ? undefined : cpuTicks(pid);
  const loadResult: LoadResult = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p95: (result.latency as unknown as Record<string, number>).p97_5 ?? result.latency.p99,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    ok: result["2xx"],
  };
  if (ticksBefore !== undefined && ticksAfter !== undefined && result.requests.total > 0) {
    loadResult.cpuUsPerRequest = ((ticksAfter - ticksBefore) * 10_000) / result.requests.total;
  }
  if (recording) {
    await recording.stop();
    const layers = await summarisePerf(recording.file, pid!);
    if (layers) loadResult.perf = { layers, requests: result.requests.total };
  }
  return loadResult;
}

/**
 * `rate` requests a second on one evenly spaced schedule shared by `connections` keep-alive
 * connections, for the run's duration; each request's latency runs from its slot in the schedule
 * to its complete answer, so waiting for a free connection counts too. (autocannon's own rate lets
 * every connection send its share of each second at once when the second starts, so its latencies
 * measured the queue of that burst rather than the server at that rate.)
 */
async function paced(
  request: LoadRequest,
  rate: number,
  env: Pick<BenchEnv, "connections" | "durationS">,
): Promise<LoadResult> {
  const url = new URL(request.url);
  const pid = serverPids.get(url.port);
  const connections = request.connections ?? env.connections;
  const durationMs = (request.durationS ?? env.durationS) * 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  const send = () =>
    new Promise<number>((resolve) => {
      const req = httpRequest(
        url,
        { method: request.method ?? "POST", headers: request.headers, agent },
        (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode ?? 0));
          response.on("error", () => resolve(0));
        },
      );
      req.on("error", () => resolve(0));
      req.end(request.body);
    });
  const ticksBefore = pid === undefined ? undefined : cpuTicks(pid);
  const started = performance.now();
  const interval = 1000 / rate;
  let slot = 0;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        for (;;) {
          const due = started + slot++ * interval;
          if (due >= started + durationMs) break;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          const status = await send();
          latencies.push(performance.now() - due);
          if (status >= 200 && status < 300) ok++;
          else errors++;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  const ticksAfter = pid === undefined ? undefined : cpuTicks(pid);
  latencies.sort((a, b) => a - b);
  const result: LoadResult = {
    rps: latencies.length / (durationMs / 1000),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 97.5),
    p99: percentile(latencies, 99),
    errors,
    ok,
  };
  if (ticksBefore !== undefined && ticksAfter !== undefined && latencies.length > 0) {
    result.cpuUsPerRequest = ((ticksAfter - ticksBefore) * 10_000) / latencies.length;
  }
  request.onResult?.(result);
  return result;
}

/** The `p`th percentile (nearest rank) of ascending `sorted`; NaN when it is empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The numeric figures of a result. */
type Figure = { [K in keyof LoadResult]-?: NonNullable<LoadResult[K]> extends number ? K : never }[keyof LoadResult];

export function mean(results: LoadResult[], key: Figure): number {
  return results.reduce((sum, r) => sum + (r[key] ?? 0), 0) / results.length;
}

/** The mean CPU per request over the results that have it, or undefined. */
export function meanCpu(results: LoadResult[]): number | undefined {
  const measured = results.filter((r) => r.cpuUsPerRequest !== undefined);
  return measured.length === 0 ? undefined : mean(measured, "cpuUsPerRequest");
}

/** One line of the report: name, mean throughput, latencies and CPU per request over the rounds. */
export function row(name: string, results: LoadResult[]): string {
  const cpu = meanCpu(results);
  return (
    `${name.padEnd(22)} ${mean(results, "rps").toFixed(0).padStart(8)} req/s   ` +
    `p50 ${mean(results, "p50").toFixed(1).padStart(6)} ms   p99 ${mean(results, "p99").toFixed(1).padStart(6)} ms   ` +
    `errors ${mean(results, "errors").toFixed(0)}` +
    (cpu === undefined ? "" : `   CPU ${cpu.toFixed(0).padStart(5)} µs/request`)
  );
}

/**
 * Alternates the contenders round by round (after one warm-up each), so drift hits all alike, and
 * starts each round with the next contender, so none always runs right after the same other one
 * (one that leaves the database flushing its writes slows whoever comes next).
 */
export async function compare(
  env: BenchEnv,
  contenders: Record<string, LoadRequest>,
): Promise<Record<string, LoadResult[]>> {
  const entries = Object.entries(contenders);
  const results: Record<string, LoadResult[]> = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (const [, request] of entries) await load({ ...request, durationS: Math.min(3, env.durationS) }, env);
  for (let round = 0; round < env.rounds; round++) {
    for (let i = 0; i < entries.length; i++) {
      const [name, request] = entries[(round + i) % entries.length]!;
      results[name]!.push(await load(request, env));
    }
  }
  return results;
}

/** Prints the rows and the ratio of `subject` to each other contender; fails on errors. */
export function report(title: string, results: Record<string, LoadResult[]>, subject: string, goal?: string): void {
  console.log(`\n${title}`);
  for (const [name, rs] of Object.entries(results)) console.log(row(name, rs));
  for (const [name, rs] of Object.entries(results)) {
    if (name === subject) continue;
    const ratio = mean(results[subject]!, "rps") / mean(rs, "rps");
    console.log(`${subject}/${name} throughput: ${(ratio * 100).toFixed(1)} %${goal ? ` (${goal})` : ""}`);
    const [subjectCpu, otherCpu] = [meanCpu(results[subject]!), meanCpu(rs)];
    if (subjectCpu !== undefined && otherCpu !== undefined) {
      // What throughput would be if each had the CPU to itself: the load-independent ratio.
      console.log(
        `${subject}/${name} by CPU per request: ${((otherCpu / subjectCpu) * 100).toFixed(1)} % ` +
          `(${subjectCpu.toFixed(0)} vs ${otherCpu.toFixed(0)} µs)`,
      );
    }
    recordRatio({
      scenario: scenarioOf(title),
      pair: `${subject}/${name}`,
      connections: connectionsOf(title),
      ratio: ratio * 100,
      subjectRps: mean(results[subject]!, "rps"),
      subjectP99: mean(results[subject]!, "p99"),
      otherP99: mean(rs, "p99"),
    });
  }
  printLayers(results, subject);
  for (const [name, rs] of Object.entries(results)) {
    if (mean(rs, "errors") > 0)
      throw new Error(`${name}: requests failed during the benchmark; the figures are not valid.`);
  }
}

/**
 * With `BENCH_PERF_DIR`: each contender's CPU time per request by layer, over its measured rounds
 * (the warm-up left out), the subject first, largest layer first.
 */
function printLayers(results: Record<string, LoadResult[]>, subject: string): void {
  const names = [subject, ...Object.keys(results).filter((name) => name !== subject)];
  const perRequest = new Map<string, Map<string, number>>();
  for (const name of names) {
    const runs = results[name]!.filter((r) => r.perf);
    const requests = runs.reduce((sum, r) => sum + r.perf!.requests, 0);
    if (requests === 0) return;
    const layers = new Map<string, number>();
    for (const run of runs) {
      for (const [layer, us] of run.perf!.layers) layers.set(layer, (layers.get(layer) ?? 0) + us / requests);
    }
    perRequest.set(name, layers);
  }
  const all = [...new Set(names.flatMap((name) => [...perRequest.get(name)!.keys()]))];
  const of = (name: string, layer: string) => perRequest.get(name)!.get(layer) ?? 0;
  all.sort((a, b) => of(subject, b) - of(subject, a));
  console.log(`on-CPU time per request by layer (perf), µs: ${names.join(" / ")}`);
  const total = (name: string) => [...perRequest.get(name)!.values()].reduce((a, b) => a + b, 0);
  for (const layer of all) {
    console.log(`  ${layer.padEnd(44)} ${names.map((name) => of(name, layer).toFixed(1).padStart(8)).join(" ")}`);
  }
  console.log(`  ${"all".padEnd(44)} ${names.map((name) => total(name).toFixed(1).padStart(8)).join(" ")}`);
}

/** Spawns `node <script>` (an absolute path: {@link appMain}, {@link benchScript}) and resolves with the first match of `ready` in its output. */
export async function spawnServer(
  children: ChildProcess[],
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  nodeFlags: string[] = [],
): Promise<RegExpExecArray> {
  return (await spawnProcess(children, script, env, ready, nodeFlags)).match;
}

/**
 * The built entry point of an app of this repository (`gateway`, `worker`), which the bench runs as
 * a user would: `apps/<app>/dist/main.js`, seen from tools/bench/dist.
 */
export function appMain(app: "gateway" | "worker"): string {
  return join(__dirname, "..", "..", "..", "apps", app, "dist", "main.js");
}

/** A script of the bench's own dist/ (the hand-written baselines). */
export function benchScript(name: string): string {
  return join(__dirname, name);
}

/** What the server printed last, kept for the error when it exits; older output is dropped. */
const KEPT_OUTPUT_CHARS = 64 * 1024;

/**
 * Like {@link spawnServer}, but also gives the child (its pid for RSS readings). Only the last
 * {@link KEPT_OUTPUT_CHARS} of its output are kept, so a long run does not pile up its logs here.
 */
export function spawnProcess(
  children: ChildProcess[],
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  nodeFlags: string[] = [],
): Promise<{ match: RegExpExecArray; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    // BENCH_CPU_PROF_DIR=<dir>: each server writes a V8 CPU profile there when it exits (the
    // gateway on SIGTERM; see docs/performance.md for reading them). NODE_OPTIONS cannot say it.
    const profile = process.env.BENCH_CPU_PROF_DIR
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`]
      : [];
    const child = spawn(process.execPath, [...nodeFlags, ...profile, ...perfNodeFlags(), script], {
      env: { ...process.env, ...env },
      stdio: "pipe",
    });
    children.push(child);
    // BENCH_OUTPUT_DIR=<dir>: each server's whole output there too (e.g. the gateway's --trace-gc).
    const outputDir = process.env.BENCH_OUTPUT_DIR;
    const log = outputDir
      ? createWriteStream(join(outputDir, `${basename(script, ".js")}-${child.pid}.log`))
      : undefined;
    let output = "";
    let started = false;
    const onData = (chunk: Buffer) => {
      log?.write(chunk);
      output += String(chunk);
      if (!started) {
        const match = ready.exec(output);
        if (match) {
          started = true;
          // The port it listens on (a URL's or a bare number), so load() can read its CPU time.
          const port = /(?:^|:)(\d{2,5})$/.exec(match[1] ?? "")?.[1];
          if (port && child.pid !== undefined) serverPids.set(port, child.pid);
          resolve({ match, child });
        }
      }
      if (output.length > KEPT_OUTPUT_CHARS) output = output.slice(-KEPT_OUTPUT_CHARS);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
  });
}
