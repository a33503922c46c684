import { availableParallelism } from "node:os";
import { scryptSync } from "node:crypto";
import { GraphQLTestClient } from "@honour/testing";
import { compare, mean, report, type BenchEnv } from "./bench-kit";

const LOGIN = "mutation Login($input: LoginInput!) { login(input: $input) { user { id email role } } }";
/** The gateway's scrypt parameters for new hashes (packages/users/src/password/password.service.ts). */
const SCRYPT = { N: 2 ** 15, r: 8, p: 3 };

/**
 * Sign-ins with the right password, as many as the gateway can, against a bare node:http + mysql2
 * server doing the indispensable part (read the account, scrypt, insert the session; see
 * signin-baseline-server.ts). Both verify the same stored hash with the same parameters, so the
 * ratio is what the gateway's sign-in costs beyond hashing. Reported per core so operators can size
 * the hashing cost: a sign-in is CPU-bound on scrypt (N=2^15, r=8, p=3: 32 MiB and about 0.1–0.2 s
 * of one core), which Node runs on its libuv thread pool (UV_THREADPOOL_SIZE, default 4).
 */
export async function runSignInBench(env: BenchEnv): Promise<void> {
  const match = await env.startServer(
    "signin-baseline-server.js",
    { BENCH_DATABASE_URL: env.databaseUrl },
    /BASELINE_PORT=(\d+)/,
  );
  const baselineUrl = `http://127.0.0.1:${match[1]}`;
  const input = { email: "signin.bench@example.test", password: "bench-password-1" };
  await new GraphQLTestClient(env.gatewayUrl).ok(
    `mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`,
    { input: { ...input, name: "Bench Sign-in" } },
  );
  const headers = { "content-type": "application/json" };
  const body = JSON.stringify({ query: LOGIN, operationName: "Login", variables: { input } });

  // Both must answer the same JSON before their speed means anything.
  const post = (u: string) => fetch(`${u}/graphql`, { method: "POST", headers, body }).then((r) => r.json());
  const [fromGateway, fromBaseline] = await Promise.all([post(env.gatewayUrl), post(baselineUrl)]);
  if (JSON.stringify(fromGateway) !== JSON.stringify(fromBaseline)) {
    throw new Error(
      `The baseline answers differently:\n gateway  ${JSON.stringify(fromGateway)}\n baseline ${JSON.stringify(fromBaseline)}`,
    );
  }

  // The ceiling: one core doing nothing but scrypt with these parameters, in this process.
  const started = performance.now();
  let hashes = 0;
  while (performance.now() - started < 2000) {
    scryptSync("bench-password-1", "0123456789abcdef", 32, {
      ...SCRYPT,
      maxmem: 128 * SCRYPT.r * (SCRYPT.N + SCRYPT.p + 2) + 2 ** 20,
    });
    hashes++;
  }
  const perCoreCeiling = hashes / ((performance.now() - started) / 1000);

  // Sign-ins take a good part of a second each: as many connections as Node's scrypt threads
  // saturate the cores, more only queue; and runs long enough to count whole sign-ins.
  const connections = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const durationS = Math.max(env.durationS, 20);
  const results = await compare(env, {
    baseline: { url: `${baselineUrl}/graphql`, headers, body, connections, durationS },
    gateway: { url: `${env.gatewayUrl}/graphql`, headers, body, connections, durationS },
  });
  // autocannon's per-second average rounds to whole requests; sign-ins are counted instead.
  for (const runs of Object.values(results)) for (const run of runs) run.rps = run.ok / durationS;
  const cores = availableParallelism();
  report(
    `sign-in (login, right password; scrypt N=2^15 r=8 p=3, 32 MiB), ${connections} connections, ` +
      `${durationS} s per run, ${env.rounds} rounds`,
    results,
    "gateway",
    "goal: at least 80 %: scrypt dominates both",
  );
  const perCore = (name: string) => (mean(results[name]!, "rps") / cores).toFixed(2);
  console.log(
    `sign-ins per second per core (${cores} cores): gateway ${perCore("gateway")}, baseline ${perCore("baseline")}; ` +
      `scrypt alone on one core, in this process: ${perCoreCeiling.toFixed(2)}/s`,
  );
}
