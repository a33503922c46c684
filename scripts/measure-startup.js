#!/usr/bin/env node
// Start-up and idle memory of the built gateway (issue 18): spawns `node [flags] apps/gateway/dist/main.js`
// on a throwaway SQLite directory, times spawn → the "gateway is ready" line, reads the resident
// memory (VmRSS) and the process's CPU time 1 s and 5 s later, stops it, and repeats.
//   node scripts/measure-startup.js [runs=5] [-- node flags…]
// e.g. node scripts/measure-startup.js 5 -- --max-semi-space-size=2
// The first run migrates and seeds the fresh database; the others start on the migrated one, as a
// restart does. MEASURE_DATABASE_URL=mysql://… measures on MariaDB instead.
const { spawn } = require("node:child_process");
const { mkdtempSync, readFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const root = join(__dirname, "..");
const args = process.argv.slice(2);
const dash = args.indexOf("--");
const runs = Number((dash === -1 ? args : args.slice(0, dash))[0] ?? 5);
const nodeFlags = dash === -1 ? [] : args.slice(dash + 1);
const ticks = 100; // USER_HZ on Linux

function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024, cpu: (Number(stat[11]) + Number(stat[12])) / ticks };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function once(dataDir, port) {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      NODE_ENV: "production",
      HONOUR_SECRET: "measure-startup-0123456789-0123456789-abcdef",
      HONOUR_DEMO_DATA: "false",
      HONOUR_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
    };
    if (process.env.MEASURE_DATABASE_URL) env.DATABASE_URL = process.env.MEASURE_DATABASE_URL;
    else delete env.DATABASE_URL;
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeFlags, join(root, "apps/gateway/dist/main.js")], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let done = false;
    child.stderr.on("data", (d) => (out += d));
    child.stdout.on("data", async (d) => {
      out += d;
      if (done || !out.includes("gateway is ready")) return;
      done = true;
      const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
      const atReady = status(child.pid);
      await sleep(1000);
      const idle1 = status(child.pid);
      await sleep(4000);
      const idle5 = status(child.pid);
      child.kill("SIGTERM");
      child.once("exit", () =>
        resolve({ readyMs, cpuAtReady: atReady.cpu, rss1: idle1.rss, rss5: idle5.rss, hwm: idle5.hwm }),
      );
    });
    child.once("exit", (code) => {
      if (!done) reject(new Error(`gateway exited (${code}) before ready:\n${out}`));
    });
  });
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "honour-startup-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const rows = [];
  try {
    for (let i = 0; i < runs; i++) {
      const r = await once(dataDir, port);
      rows.push(r);
      console.log(
        `run ${i + 1}${i === 0 ? " (fresh db)" : ""}: ready ${r.readyMs.toFixed(0)} ms (CPU ${r.cpuAtReady.toFixed(2)} s), ` +
          `RSS ${r.rss1.toFixed(1)} MiB at 1 s, ${r.rss5.toFixed(1)} MiB at 5 s, peak ${r.hwm.toFixed(1)} MiB`,
      );
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const warm = rows.length > 1 ? rows.slice(1) : rows;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `median of ${warm.length} restarts${nodeFlags.length ? ` (node ${nodeFlags.join(" ")})` : ""}: ready ${median(warm.map((r) => r.readyMs)).toFixed(0)} ms, ` +
      `CPU ${median(warm.map((r) => r.cpuAtReady)).toFixed(2)} s, idle RSS ${median(warm.map((r) => r.rss5)).toFixed(1)} MiB; load average ${load}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
