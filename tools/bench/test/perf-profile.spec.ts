import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuTicks } from "../src/bench-kit";
import { JitSymbols, layerOfSample, perfAvailable, perfNodeFlags, startPerf, summarisePerf } from "../src/perf-profile";

describe("JitSymbols", () => {
  it("resolves an address to the newest entry covering it, as V8 reuses freed code's addresses", () => {
    const symbols = new JitSymbols(
      [
        "1000 100 Eval:~ /app/node_modules/class-validator/cjs/index.js:1:1",
        "2000 50 JS:*kept /app/dist/server.js:1:1",
        // Newer code at part of the old range: the old entry no longer names anything there.
        "1040 20 JS:*handlePacket /app/node_modules/mysql2/lib/base/connection.js:556:15",
        "",
      ].join("\n"),
    );
    expect(symbols.nameAt(0x1045)).toBe("JS:*handlePacket /app/node_modules/mysql2/lib/base/connection.js:556:15");
    // The rest of the old range is not guessed at: it was freed when the newer code took part of it.
    expect(symbols.nameAt(0x1000)).toBeUndefined();
    expect(symbols.nameAt(0x2010)).toBe("JS:*kept /app/dist/server.js:1:1");
    expect(symbols.nameAt(0x2050)).toBeUndefined();
    expect(symbols.nameAt(0x10)).toBeUndefined();
  });
});

describe("layerOfSample", () => {
  const js = (name: string, path: string) => `7f00 JS:*${name} ${path}:1:1 (JIT)`;

  it("charges a sample to the innermost JavaScript frame's layer", () => {
    expect(
      layerOfSample([
        "150bccd Builtins_LoadIC (/usr/bin/node)",
        js("handlePacket", "/w/node_modules/mysql2/lib/base/connection.js"),
        js("processGraphQLRequest", "/w/node_modules/@apollo/server/dist/cjs/requestPipeline.js"),
      ]),
    ).toBe("mysql2");
    expect(layerOfSample([js("validate", "/w/node_modules/class-validator/cjs/index.js")])).toBe("class-validator");
    expect(layerOfSample([js("", "/w/packages/consent/dist/preference/consent.service.js")])).toBe("Honour packages");
    expect(layerOfSample([js("answer", "/w/tools/bench/dist/consent-baseline-server.js")])).toBe(
      "hand-written baseline or floor (tools/bench)",
    );
  });

  it("charges garbage collection to GC whoever allocated, and the kernel to the kernel", () => {
    expect(
      layerOfSample([
        "c0ffee v8::internal::Scavenger::ScavengeObject (/usr/bin/node)",
        js("readField", "/w/node_modules/mysql2/lib/commands/execute.js"),
      ]),
    ).toBe("GC (main thread and helpers)");
    expect(
      layerOfSample([
        "ffffffff81ba9050 _raw_spin_unlock_irqrestore ([kernel.kallsyms])",
        "9dd94f node::StreamBase::WriteBuffer (/usr/bin/node)",
        js("writePacket", "/w/node_modules/mysql2/lib/base/connection.js"),
      ]),
    ).toBe("kernel (sockets, waking, scheduling)");
    expect(layerOfSample(["14b8865 uv__read (/usr/bin/node)", "14ac8a7 uv_run (/usr/bin/node)"])).toBe(
      "native (event loop, HTTP parser, allocator)",
    );
  });
});

/** CPU time (user + system) process `pid` has used, in ms, at the kernel's 100 Hz tick. */
const cpuMs = (pid: number) => cpuTicks(pid)! * 10;

// Where perf is installed and may sample (these machines, as root), a real recording of a process
// burning CPU in one named function must put its time there, in the right amount.
(perfAvailable() ? describe : describe.skip)("a recording with perf", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "honour-perf-"));
    process.env.BENCH_PERF_DIR = dir;
  });
  afterAll(() => {
    delete process.env.BENCH_PERF_DIR;
    rmSync(dir, { recursive: true, force: true });
  });

  it("adds up to the CPU time the kernel counted while sampling, most of it in the layer that burnt it", async () => {
    const script =
      "function burnInPlace(n) { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) % 1000003; return x; }" +
      "process.stdout.write('ready\\n'); let s = 0; for (;;) s += burnInPlace(1e5);";
    const child = spawn(process.execPath, [...perfNodeFlags(), "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
      const recording = await startPerf(child.pid!);
      expect(recording).toBeDefined();
      // Sampling from here: about a second of the process's CPU, as much as the machine gives it.
      const before = cpuMs(child.pid!);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const used = cpuMs(child.pid!) - before;
      child.kill("SIGKILL");
      await exited;
      await recording!.stop();
      const layers = await summarisePerf(recording!.file, child.pid!);
      expect(layers).toBeDefined();
      const total = [...layers!.values()].reduce((sum, us) => sum + us, 0) / 1000;
      // What perf sampled is what the kernel counted (at its 10 ms tick), within a quarter.
      expect(used).toBeGreaterThan(200);
      expect(Math.abs(total - used)).toBeLessThan(used * 0.25 + 20);
      // `-e` code has no file: its frames are V8's catch-all, not a package's.
      const burnt = layers!.get("V8, native and generated code (graphql-jit's compiled queries)") ?? 0;
      expect(burnt / 1000 / total).toBeGreaterThan(0.9);
    } finally {
      child.kill("SIGKILL");
      rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
    }
  });
});
