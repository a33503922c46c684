import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { open, readFile, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { layerOf } from "./layers";

/**
 * On-CPU profiles of the servers under load, taken with Linux `perf` (`BENCH_PERF_DIR=<dir>`).
 *
 * V8's own profiler (`BENCH_CPU_PROF_DIR`) samples the main thread on a wall-clock timer, so a
 * thread that waits for a core in the middle of a system call is charged to that call: on these
 * 2-core machines a socket write that wakes MariaDB looked three times dearer in the gateway than
 * in the baseline. It also leaves out V8's helper threads (parallel scavenges, concurrent
 * marking), which `/proc` counts. `perf record` samples what each thread of the process runs on a
 * CPU, kernel included, and the JIT's symbol map (`--perf-basic-prof`) names the JavaScript; so
 * its samples divided by the requests of the run give each layer's CPU time per request, and
 * they add up to the run's CPU per request from `/proc` (within the sampling error).
 */

/** Samples a second per thread. */
const FREQUENCY = 999;
/** CPU time one sample stands for, in µs. */
const SAMPLE_US = 1e6 / FREQUENCY;

/** The directory profiles go to; undefined when not asked for. */
export function perfDir(): string | undefined {
  return process.env.BENCH_PERF_DIR || undefined;
}

/** Node flags a profiled server needs: the JIT's symbol map, with V8's code log kept out of its cwd. */
export function perfNodeFlags(): string[] {
  const dir = perfDir();
  if (!dir) return [];
  return [
    "--perf-basic-prof",
    "--interpreted-frames-native-stack",
    `--logfile=${join(dir, "v8-%p.log")}`,
    "--no-logfile-per-isolate",
  ];
}

let available: boolean | undefined;

/** Whether `perf record` works here (installed, and allowed to sample). */
export function perfAvailable(): boolean {
  if (available === undefined) {
    const probe = spawnSync("perf", ["record", "-q", "-o", "/dev/null", "--", "true"], { stdio: "ignore" });
    available = probe.status === 0;
    if (!available) console.warn("BENCH_PERF_DIR: `perf record` does not run here; no on-CPU profiles are taken");
  }
  return available;
}

/** A running `perf record` of one process; {@link stop} ends it and waits for its file. */
export interface PerfRecording {
  file: string;
  stop(): Promise<void>;
}

let recordings = 0;

/**
 * Starts sampling process `pid` (every thread, with call stacks) into a new file of the directory,
 * and resolves once perf samples: it starts with its events off and turns them on through its
 * control FIFO, which acknowledges (attaching and reading the process's maps take perf a few
 * hundred milliseconds, which a fixed wait would guess at).
 */
export async function startPerf(pid: number): Promise<PerfRecording | undefined> {
  const dir = perfDir();
  if (!dir || !perfAvailable()) return undefined;
  const name = join(dir, `${pid}-${++recordings}`);
  const file = `${name}.data`;
  const [control, ack] = [`${name}.control`, `${name}.ack`];
  if (spawnSync("mkfifo", [control, ack]).status !== 0) throw new Error(`mkfifo ${control} ${ack} failed`);
  const args = ["record", "-q", "-D", "-1", "--control", `fifo:${control},${ack}`];
  const child: ChildProcess = spawn("perf", [...args, "-F", String(FREQUENCY), "-g", "-p", String(pid), "-o", file], {
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Opened for reading and writing, which never blocks on a FIFO (a write-only open would wait
  // for perf forever if it had already failed). If perf exits first, the line written here ends
  // the wait for its answer.
  const [controlFifo, ackFifo] = [await open(control, "r+"), await open(ack, "r+")];
  let waiting = true;
  void exited.then(async () => {
    if (waiting) await ackFifo.write("exited\n").catch(() => undefined);
  });
  try {
    await controlFifo.write("enable\n");
    const answer = Buffer.alloc(16);
    const { bytesRead } = await ackFifo.read(answer, 0, answer.length);
    const text = answer.toString("latin1", 0, bytesRead);
    if (!text.startsWith("ack")) throw new Error(`perf record -p ${pid} did not start sampling (${text.trim()})`);
  } finally {
    waiting = false;
    await Promise.all([controlFifo.close(), ackFifo.close()]);
    await Promise.all([rm(control), rm(ack)]);
  }
  return {
    file,
    stop: async () => {
      child.kill("SIGINT");
      await exited;
    },
  };
}

/** One sample's frames, leaf first (`perf script`'s default output). */
interface Sample {
  frames: string[];
}

const GC =
  /Scavenger|ScavengerCollector|MarkCompactCollector|Heap::CollectGarbage|IncrementalMarking|ConcurrentMarking|Sweeper|MinorMarkSweep|MemoryAllocator::Unmapper/;

/**
 * The layer a sample's CPU time goes to. Garbage collection anywhere on the stack (on the main
 * thread when an allocation starts it, or on a helper thread) is GC, whoever allocated; time in
 * the kernel is the kernel's (socket writes and reads, waking the peer, scheduling); V8's JSON
 * built-ins are JSON; otherwise the innermost JavaScript frame's script tells the layer, as in
 * the V8 profile summary; a sample with no JavaScript on its stack is the event loop's native code
 * (the HTTP parser, the allocator, libuv).
 */
export function layerOfSample(frames: readonly string[]): string {
  if (frames.some((frame) => GC.test(frame))) return "GC (main thread and helpers)";
  const leaf = frames[0] ?? "";
  if (leaf.includes("[kernel.kallsyms]")) return "kernel (sockets, waking, scheduling)";
  if (frames.some((frame) => frame.includes("PlatformWorkerThread"))) return "V8 helper threads (compiler)";
  if (/Json(Stringif|Pars)|JSON/.test(leaf) && !leaf.includes("JS:")) return "JSON";
  for (const frame of frames) {
    const js = /\bJS:[*~^+-]?(\S*) (\S+?):\d+:\d+/.exec(frame) ?? /\bJS:[*~^+-]?(\S*) (node:\S+|\/\S+)/.exec(frame);
    if (!js) continue;
    const url = js[2]!.startsWith("/") ? `file://${js[2]}` : js[2]!;
    return layerOf(url, js[1] ?? "");
  }
  return "native (event loop, HTTP parser, allocator)";
}

/**
 * The JIT's symbols for process `pid` as its perf map (`/tmp/perf-<pid>.map`, appended to as V8
 * compiles) has them now, the latest entry winning where entries overlap: V8 frees code and reuses
 * its addresses, and perf itself resolves an address to whichever old entry it finds first (in a
 * baseline that never validates anything, class-validator's start-up code showed up).
 */
export class JitSymbols {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly names: string[] = [];

  constructor(map: string) {
    const entries: [number, number, string][] = [];
    for (const line of map.split("\n")) {
      const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
      if (match) entries.push([parseInt(match[1]!, 16), parseInt(match[2]!, 16), match[3]!]);
    }
    // Newest first: an entry is kept unless a newer one already covers part of its range.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [start, size, name] = entries[i]!;
      const end = start + Math.max(size, 1);
      const at = this.indexAfter(start);
      if (at > 0 && this.ends[at - 1]! > start) continue;
      if (at < this.starts.length && this.starts[at]! < end) continue;
      this.starts.splice(at, 0, start);
      this.ends.splice(at, 0, end);
      this.names.splice(at, 0, name);
    }
  }

  /** The name of the code at `address`, or undefined. */
  nameAt(address: number): string | undefined {
    const at = this.indexAfter(address) - 1;
    return at >= 0 && address < this.ends[at]! ? this.names[at] : undefined;
  }

  /** The index of the first kept range starting after `address`. */
  private indexAfter(address: number): number {
    let low = 0;
    let high = this.starts.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.starts[mid]! <= address) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** A frame of `perf script` with its JIT symbol resolved by {@link JitSymbols} instead of perf. */
function resolved(frame: string, symbols: JitSymbols | undefined): string {
  if (!symbols || !/\(\/tmp\/perf-\d+\.map\)$/.test(frame)) return frame;
  const address = /^([0-9a-f]+) /.exec(frame)?.[1];
  const name = address === undefined ? undefined : symbols.nameAt(parseInt(address, 16));
  return `${address ?? ""} ${name ?? "[unknown]"} (JIT)`;
}

/**
 * Reads a recording with `perf script` and returns the CPU time of each layer, in µs, summed over
 * the run ({@link layerOfSample}). Resolves to undefined when perf cannot read it.
 */
export async function summarisePerf(file: string, pid: number): Promise<Map<string, number> | undefined> {
  let symbols: JitSymbols | undefined;
  try {
    symbols = new JitSymbols(await readFile(`/tmp/perf-${pid}.map`, "utf8"));
  } catch {
    symbols = undefined;
  }
  const child = spawn("perf", ["script", "-i", file, "-F", "comm,tid,ip,sym,dso"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const layers = new Map<string, number>();
  let sample: Sample | undefined;
  const flush = () => {
    if (sample && sample.frames.length > 0) {
      const layer = layerOfSample(sample.frames);
      layers.set(layer, (layers.get(layer) ?? 0) + SAMPLE_US);
    }
    sample = undefined;
  };
  for await (const line of createInterface({ input: child.stdout! })) {
    if (!line.trim()) flush();
    else if (/^\s/.test(line)) (sample ??= { frames: [] }).frames.push(resolved(line.trim(), symbols));
    else {
      flush();
      sample = { frames: [] };
    }
  }
  flush();
  const code = await new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", resolve);
  });
  return code === 0 ? layers : undefined;
}
