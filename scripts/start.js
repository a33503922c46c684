#!/usr/bin/env node
// `npm start`: the gateway and the worker together, on the embedded SQLite file unless
// DATABASE_URL says otherwise. The gateway migrates and seeds first; the worker starts once the
// gateway answers /readyz. Ctrl-C (or SIGTERM) stops both gracefully.
const { spawn } = require("node:child_process");
const { join } = require("node:path");

const root = join(__dirname, "..");
const children = [];
let stopping = false;

function run(name, script, nodeFlags = []) {
  const child = spawn(process.execPath, [...nodeFlags, join(root, script)], { stdio: "inherit", env: process.env });
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping.`);
      stop(code || 1);
    }
  });
  children.push(child);
  return child;
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  if (alive.length === 0) process.exit(code);
  let left = alive.length;
  for (const child of alive) {
    child.once("exit", () => {
      if (--left === 0) process.exit(code);
    });
    child.kill("SIGTERM");
  }
}

async function waitForReady(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function main() {
  process.on("SIGINT", () => stop(0));
  process.on("SIGTERM", () => stop(0));
  // V8's young generation at 2 × 8 MiB instead of 2 × 16: 107 MiB resident once idle instead of 144,
  // the same CPU per request (docs/performance.md, "Start-up and memory"; the image does the same).
  run("gateway", "apps/gateway/dist/main.js", ["--max-semi-space-size=8"]);
  const host = process.env.HOST || "127.0.0.1";
  const port = process.env.PORT || "4000";
  const ready = await waitForReady(`http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}/readyz`, 120_000);
  if (!ready) {
    if (!stopping) console.error("The gateway did not become ready within 120 s.");
    return stop(1);
  }
  run("worker", "apps/worker/dist/main.js");
}

main();
