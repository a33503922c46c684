import "reflect-metadata";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateSchema, openDataSource } from "@honour/platform";
import { createTestDatabase } from "@honour/testing";
import { moduleDefinitions } from "../app-modules";
import { spawnServer, type BenchEnv } from "./bench-kit";
import { runConsentBench } from "./consent.bench";
import { runMeBench } from "./me.bench";
import { runOrdersBench } from "./orders.bench";
import { runStatsBench } from "./stats.bench";

/**
 * `npm run bench`: each scenario measures the gateway on MariaDB against a hand-written baseline
 * doing the same work, in the same run, alternating. Servers run in their own processes; the
 * load generator in this one. `BENCH_ONLY=me,…` runs some scenarios only.
 */
const SCENARIOS: Record<string, (env: BenchEnv) => Promise<void>> = {
  me: runMeBench,
  stats: runStatsBench,
  orders: runOrdersBench,
  consent: runConsentBench,
};

async function main(): Promise<void> {
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

    const gateway = await spawnServer(
      children,
      "main.js",
      {
        DATABASE_URL: url,
        PORT: "0",
        HONOUR_DATA_DIR: dataDir,
        HONOUR_DEMO_DATA: "false",
        LOG_LEVEL: "warn",
        NODE_ENV: "production",
        HONOUR_SECRET: "bench-secret-0123456789-0123456789-abcdef",
      },
      /GraphQL at (http:\/\/[^/\s]+)\/graphql/,
    );
    const env: BenchEnv = {
      databaseUrl: url,
      gatewayUrl: gateway[1]!,
      durationS: Number(process.env.BENCH_DURATION_S ?? 10),
      connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
      rounds: Number(process.env.BENCH_ROUNDS ?? 2),
      startServer: (script, env, ready) => spawnServer(children, script, env, ready),
    };
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
