import "reflect-metadata";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateSchema, openDataSource } from "@honour/platform";
import { createTestDatabase } from "@honour/testing";
import { moduleDefinitions } from "@honour/composition";
import { appMain, benchScript, spawnProcess, spawnServer, type BenchEnv } from "./bench-kit";
import { runConsentBench } from "./consent.bench";
import { runMeBench } from "./me.bench";
import { runOrdersBench } from "./orders.bench";
import { BENCH_SITE_HOST, runSoak } from "./soak";
import { runStatsBench } from "./stats.bench";

/**
 * `npm run bench`: each scenario measures the gateway on MariaDB against a hand-written baseline
 * doing the same work, in the same run, alternating. Servers run in their own processes; the
 * load generator in this one. `BENCH_ONLY=me,…` runs some scenarios only.
 *
 * `npm run bench -- soak` runs the soak instead (see soak.ts): a mixed workload held for
 * SOAK_DURATION_S (default 600) seconds, reporting memory, latency per minute, errors and loss.
 */
const SCENARIOS: Record<string, (env: BenchEnv) => Promise<void>> = {
  me: runMeBench,
  stats: runStatsBench,
  orders: runOrdersBench,
  consent: runConsentBench,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "soak");
  if (unknown.length > 0) throw new Error(`unknown argument(s) ${unknown.join(" ")}: \`npm run bench [-- soak]\``);
  const soak = args.includes("soak");
  process.env.TEST_DATABASE_URL ??= process.env.BENCH_DATABASE_URL ?? "mysql://root@127.0.0.1:3306/test";
  const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
  const database = await createTestDatabase("mysql");
  const dataDir = mkdtempSync(join(tmpdir(), "honour-bench-"));
  const children: ChildProcess[] = [];
  try {
    const url = database.config.kind === "mysql" ? database.config.url : "";
    const { dataSource: ds } = await openDataSource(database.config, {
      entities: moduleDefinitions.flatMap((m) => m.entities),
      migrations: moduleDefinitions.flatMap((m) => m.migrations),
    });
    await migrateSchema(ds);
    await ds.destroy();

    const { match: gateway, child } = await spawnProcess(
      children,
      appMain("gateway"),
      {
        DATABASE_URL: url,
        PORT: "0",
        HONOUR_DATA_DIR: dataDir,
        HONOUR_DEMO_DATA: "false",
        LOG_LEVEL: "warn",
        NODE_ENV: "production",
        HONOUR_SECRET: "bench-secret-0123456789-0123456789-abcdef",
        // The page views the benchmarks send are on this host; the gateway counts only its site's.
        STATS_SITE_HOSTS: BENCH_SITE_HOST,
      },
      /GraphQL at (http:\/\/[^/\s]+)\/graphql/,
    );
    const env: BenchEnv = {
      databaseUrl: url,
      gatewayUrl: gateway[1]!,
      gatewayPid: child.pid,
      durationS: Number(process.env.BENCH_DURATION_S ?? 10),
      connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
      rounds: Number(process.env.BENCH_ROUNDS ?? 2),
      startServer: (script, env, ready) => spawnServer(children, benchScript(script), env, ready),
    };
    if (soak) {
      await runSoak(env, dataDir);
      return;
    }
    console.log(
      `Honour benchmarks on MariaDB: ${env.connections} connections, ${env.durationS} s per run, ${env.rounds} rounds`,
    );
    for (const [name, run] of Object.entries(SCENARIOS)) {
      if (!only || only.includes(name)) await run(env);
    }
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
