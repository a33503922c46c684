import "reflect-metadata";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { createDataSource, migrateSchema } from "@honour/platform";
import { GraphQLTestClient, createTestDatabase } from "@honour/testing";
import { moduleDefinitions } from "../app-modules";

/**
 * `npm run bench`: the `me` query of a signed-in user through the gateway on MariaDB, against a
 * bare node:http + mysql2 server running the same SQL, measured in the same run, alternating.
 * Each server runs in its own process; the load generator in this one.
 */
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ME = "query Me { me { id email name organisation organisationUrl jobTitle referralSource role createdAt } }";

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function startServer(
  script: string,
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, "..", script)], {
      env: { ...process.env, ...env },
      stdio: "pipe",
    });
    let output = "";
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      const match = ready.exec(output);
      if (match) resolve({ child, match });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
  });
}

async function load(url: string, cookie: string): Promise<Result> {
  const result = await autocannon({
    url: `${url}/graphql`,
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ query: ME, operationName: "Me" }),
    connections: CONNECTIONS,
    duration: DURATION_S,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

async function main(): Promise<void> {
  process.env.TEST_DATABASE_URL ??= process.env.BENCH_DATABASE_URL ?? "mysql://root@127.0.0.1:3306/test";
  const database = await createTestDatabase("mysql");
  const dataDir = mkdtempSync(join(tmpdir(), "honour-bench-"));
  const children: ChildProcess[] = [];
  try {
    const url = database.config.kind === "mysql" ? database.config.url : "";
    const ds = createDataSource(database.config, {
      entities: moduleDefinitions.flatMap((m) => m.entities),
      migrations: moduleDefinitions.flatMap((m) => m.migrations),
    });
    await ds.initialize();
    await migrateSchema(ds);
    await ds.destroy();

    const gateway = await startServer(
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
    children.push(gateway.child);
    const gatewayUrl = gateway.match[1]!;
    const baseline = await startServer("bench/baseline-server.js", { BENCH_DATABASE_URL: url }, /BASELINE_PORT=(\d+)/);
    children.push(baseline.child);
    const baselineUrl = `http://127.0.0.1:${baseline.match[1]}`;

    const client = new GraphQLTestClient(gatewayUrl);
    await client.ok(`mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`, {
      input: { email: "bench@example.test", password: "bench-password-1", name: "Bench User", organisation: "Honour" },
    });
    const cookie = `honour_session=${client.cookies.get("honour_session")}`;

    // Both must answer the same JSON before their speed means anything.
    const post = (u: string) =>
      fetch(`${u}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ query: ME }),
      }).then((r) => r.json());
    const [fromGateway, fromBaseline] = await Promise.all([post(gatewayUrl), post(baselineUrl)]);
    if (JSON.stringify(fromGateway) !== JSON.stringify(fromBaseline)) {
      throw new Error(
        `The baseline answers differently:\n gateway  ${JSON.stringify(fromGateway)}\n baseline ${JSON.stringify(fromBaseline)}`,
      );
    }

    console.log(`me query, ${CONNECTIONS} connections, ${DURATION_S} s per run, ${ROUNDS} rounds, MariaDB`);
    await load(gatewayUrl, cookie); // warm-up: JIT, pools, Apollo's parse cache
    await load(baselineUrl, cookie);
    const results: { gateway: Result[]; baseline: Result[] } = { gateway: [], baseline: [] };
    for (let round = 0; round < ROUNDS; round++) {
      results.baseline.push(await load(baselineUrl, cookie));
      results.gateway.push(await load(gatewayUrl, cookie));
    }
    const mean = (rs: Result[], key: keyof Result) => rs.reduce((sum, r) => sum + r[key], 0) / rs.length;
    const row = (name: string, rs: Result[]) =>
      `${name.padEnd(9)} ${mean(rs, "rps").toFixed(0).padStart(8)} req/s   p50 ${mean(rs, "p50").toFixed(1).padStart(6)} ms   p99 ${mean(rs, "p99").toFixed(1).padStart(6)} ms   errors ${mean(rs, "errors").toFixed(0)}`;
    console.log(row("baseline", results.baseline));
    console.log(row("gateway", results.gateway));
    const ratio = mean(results.gateway, "rps") / mean(results.baseline, "rps");
    console.log(`gateway/baseline throughput: ${(ratio * 100).toFixed(1)} % (goal: at least 40 %)`);
    if (mean(results.gateway, "errors") > 0 || mean(results.baseline, "errors") > 0) {
      throw new Error("Requests failed during the benchmark; the figures are not valid.");
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
