import "reflect-metadata";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { migrateSchema, openDataSource } from "@honour/platform";
import { createTestDatabase } from "@honour/testing";
import { moduleDefinitions } from "@honour/composition";
import {
  appMain,
  benchScript,
  resetPeakResident,
  residentMiB,
  spawnProcess,
  spawnServer,
  type BenchEnv,
} from "./bench-kit";
import { runCluster } from "./cluster";
import { runCampaignSendRate, runConsentBench } from "./consent.bench";
import { runConsoleBench } from "./console.bench";
import { runMeBench } from "./me.bench";
import { runOrdersBench } from "./orders.bench";
import { runSignInBench } from "./signin.bench";
import { stackCeilings } from "./floor";
import { BENCH_SITE_HOST, runSoak } from "./soak";
import { printRatioCheck, ratioTable, recordedRatios } from "./ratio-check";
import { runStatsBench } from "./stats.bench";

/**
 * `npm run bench`: each scenario measures the gateway on MariaDB against a hand-written baseline
 * doing the same work, in the same run, alternating. Servers run in their own processes; the
 * load generator in this one. `BENCH_ONLY=me,…` runs some scenarios only.
 *
 * `npm run bench -- --check` also compares the run's ratios with docs/performance.md's and warns
 * (never fails) about any that fell by more than 10 points. Every run prints its ratios as that
 * document's table.
 *
 * `npm run bench -- soak` runs the soak instead (see soak.ts): a mixed workload held for
 * SOAK_DURATION_S (default 600) seconds, reporting memory, latency per minute, errors and loss.
 *
 * `npm run bench -- cluster` runs the cluster bench instead (see cluster.ts; needs HAProxy): two
 * gateways behind a balancer, two workers, Redis.
 */
const SCENARIOS: Record<string, (env: BenchEnv) => Promise<void>> = {
  me: runMeBench,
  stats: runStatsBench,
  orders: runOrdersBench,
  consent: runConsentBench,
  signin: runSignInBench,
  campaign: async () => {
    await runCampaignSendRate();
  },
  console: runConsoleBench,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "soak" && a !== "cluster" && a !== "--check");
  if (unknown.length > 0)
    throw new Error(`unknown argument(s) ${unknown.join(" ")}: \`npm run bench [-- soak | cluster | --check]\``);
  const soak = args.includes("soak");
  const clusterRun = args.includes("cluster");
  process.env.TEST_DATABASE_URL ??= process.env.BENCH_DATABASE_URL ?? "mysql://root@127.0.0.1:3306/test";
  const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
  const database = await createTestDatabase("mysql");
  const dataDir = mkdtempSync(join(tmpdir(), "honour-bench-"));
  const children: ChildProcess[] = [];
  // Interrupted (Ctrl-C, a SIGTERM): the servers stopped and the database dropped, as at the end.
  const interrupt = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the servers the run started and dropping its database`);
    void stopChildren(children)
      .then(() => database.drop())
      .catch((error: unknown) => console.error(error))
      .finally(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(130);
      });
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    const url = database.config.kind === "mysql" ? database.config.url : "";
    const { dataSource: ds } = await openDataSource(database.config, {
      entities: moduleDefinitions.flatMap((m) => m.entities),
      migrations: moduleDefinitions.flatMap((m) => m.migrations),
    });
    await migrateSchema(ds);
    await ds.destroy();

    const gatewayEnv: Record<string, string> = {
      DATABASE_URL: url,
      PORT: "0",
      HONOUR_DATA_DIR: dataDir,
      HONOUR_DEMO_DATA: "false",
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      HONOUR_SECRET: "bench-secret-0123456789-0123456789-abcdef",
      // The page views the benchmarks send are on this host; the gateway counts only its site's.
      STATS_SITE_HOSTS: BENCH_SITE_HOST,
      // The staff the benchmarks seed with (promoted by hand) have no second factor; production
      // requires one of staff by default, and the benchmarks measure customers and partners.
      STAFF_MFA: "false",
      // The partner benchmark sends its document as text, as the baseline reads it, and more
      // requests than a partner's rate limit lets through.
      PARTNER_TRUSTED_DOCUMENTS_ONLY: "false",
      RATE_LIMIT_PARTNER_OPERATIONS: "0",
      RATE_LIMIT_PARTNER_COST: "0",
      // Every benchmark client calls from one IP, far beyond the site's per-IP rate limit.
      RATE_LIMIT_SITE_OPERATIONS: "0",
      RATE_LIMIT_SITE_COST: "0",
      // The benchmarks and the soak register their users from one IP too.
      REGISTRATIONS_PER_IP_PER_HOUR: "0",
    };
    const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
    const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
    const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
    if (clusterRun) {
      await runCluster({ databaseUrl: url, dataDir, gatewayEnv, durationS, connections, rounds }, children);
      return;
    }
    const spawnedAt = performance.now();
    const { match: gateway, child } = await spawnProcess(
      children,
      appMain("gateway"),
      gatewayEnv,
      /GraphQL at (http:\/\/[^/\s]+)\/graphql/,
      // As deployed (the image, npm start, start:gateway): see docs/performance.md.
      // BENCH_GATEWAY_NODE_FLAGS (space-separated) replaces them, to measure another setting.
      process.env.BENCH_GATEWAY_NODE_FLAGS?.split(" ").filter(Boolean) ?? ["--max-semi-space-size=8"],
    );
    const serverFlags = process.env.BENCH_SERVER_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
    const env: BenchEnv = {
      databaseUrl: url,
      gatewayUrl: gateway[1]!,
      gatewayPid: child.pid,
      durationS,
      connections,
      rounds,
      // BENCH_SERVER_NODE_FLAGS (space-separated): node flags for the baselines and floors, to
      // measure them as the gateway is measured (e.g. --trace-gc-nvp with BENCH_OUTPUT_DIR).
      startServer: (script, env, ready) => spawnServer(children, benchScript(script), env, ready, serverFlags),
    };
    if (soak) {
      await runSoak(env, dataDir);
      return;
    }
    // Start-up: from spawning the built gateway to its ready line (the database is migrated already).
    const readyMs = performance.now() - spawnedAt;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const afterStart = residentMiB(child.pid);
    // Idle: V8's memory reducer gives back the young generation the start-up grew some seconds
    // after the last collection, so the settled figure is taken BENCH_IDLE_S (30) s after ready.
    const idleS = Number(process.env.BENCH_IDLE_S ?? 30);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, idleS - 1) * 1000));
    const idle = residentMiB(child.pid);
    console.log(
      `Honour benchmarks on MariaDB: ${env.connections} connections, ${env.durationS} s per run, ${env.rounds} rounds`,
    );
    console.log(
      `gateway: ready ${(readyMs / 1000).toFixed(2)} s after spawn (goal ≤ 1.0 s); resident ` +
        `${afterStart?.now.toFixed(0) ?? "?"} MiB 1 s after, ${idle?.now.toFixed(0) ?? "?"} MiB idle ` +
        `${idleS} s after (goal ≤ 120 MiB)`,
    );
    // Each scenario's own peak: VmHWM starts again from the resident memory before it (when the
    // kernel lets it; otherwise the peaks count from the start, and the last is the run's).
    let peak = idle?.peak ?? NaN;
    for (const [name, run] of Object.entries(SCENARIOS)) {
      if (only && !only.includes(name)) continue;
      const reset = resetPeakResident(child.pid);
      await run(env);
      const memory = residentMiB(child.pid);
      if (memory) peak = Math.max(peak, memory.peak);
      console.log(
        `gateway after ${name}: resident ${memory?.now.toFixed(0) ?? "?"} MiB, ` +
          `${memory?.peak.toFixed(0) ?? "?"} MiB at its peak${reset ? " during it" : " since start"} (VmHWM)`,
      );
    }
    const after = residentMiB(child.pid);
    console.log(
      `\ngateway: resident ${after?.now.toFixed(0) ?? "?"} MiB after the load, ` +
        `${peak.toFixed(0)} MiB at its peak (VmHWM; goal ≤ 250 MiB under load)`,
    );
    const ceilings = stackCeilings();
    if (ceilings.length > 0) {
      console.log("\nThe stack's floor (Apollo Server, Fastify, graphql-jit doing nothing else), by CPU per request:");
      for (const c of ceilings) {
        console.log(
          `  ${c.scenario.padEnd(26)} ${c.stackUs.toFixed(0).padStart(5)} µs a request on a baseline of ` +
            `${c.baselineUs.toFixed(0).padStart(5)} µs: at best ${c.ceiling.toFixed(1)} % (goal ${c.goal} %)`,
        );
      }
    }
    // The run's ratios as docs/performance.md keeps them; `--check` compares with the document's.
    console.log(`\n${ratioTable(recordedRatios(), loadavg())}`);
    if (args.includes("--check")) printRatioCheck(recordedRatios());
  } finally {
    await stopChildren(children);
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Stops every server the run started and waits for it: SIGTERM, then SIGKILL after 5 s. Dropping
 * the database under a gateway still draining would fail its last writes, and a failed run used to
 * leave its servers running.
 */
async function stopChildren(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), 5000);
      });
      if ((await Promise.race([exited, late])) === "late") {
        child.kill("SIGKILL");
        await exited;
      }
      clearTimeout(timer);
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
