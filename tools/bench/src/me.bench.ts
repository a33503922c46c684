import { GraphQLTestClient } from "@honour/testing";
import { compare, report, type BenchEnv } from "./bench-kit";
import { runFloor } from "./floor";

const ME = "query Me { me { id email name organisation organisationUrl jobTitle referralSource role createdAt } }";

/**
 * The `me` query of a signed-in user, against a bare node:http + mysql2 server running the same
 * single statement (see baseline-sql.ts) and answering the same JSON.
 */
export async function runMeBench(env: BenchEnv): Promise<void> {
  const match = await env.startServer(
    "baseline-server.js",
    { BENCH_DATABASE_URL: env.databaseUrl },
    /BASELINE_PORT=(\d+)/,
  );
  const baselineUrl = `http://127.0.0.1:${match[1]}`;

  const client = new GraphQLTestClient(env.gatewayUrl);
  await client.ok(`mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`, {
    input: { email: "bench@example.test", password: "bench-password-1", name: "Bench User", organisation: "Honour" },
  });
  const cookie = `honour_session=${client.cookies.get("honour_session")}`;
  const headers = { "content-type": "application/json", cookie };
  const body = JSON.stringify({ query: ME, operationName: "Me" });

  // Both must answer the same JSON before their speed means anything.
  const post = (u: string) => fetch(`${u}/graphql`, { method: "POST", headers, body }).then((r) => r.json());
  const [fromGateway, fromBaseline] = await Promise.all([post(env.gatewayUrl), post(baselineUrl)]);
  if (JSON.stringify(fromGateway) !== JSON.stringify(fromBaseline)) {
    throw new Error(
      `The baseline answers differently:\n gateway  ${JSON.stringify(fromGateway)}\n baseline ${JSON.stringify(fromBaseline)}`,
    );
  }

  const results = await compare(env, {
    baseline: { url: `${baselineUrl}/graphql`, headers, body },
    gateway: { url: `${env.gatewayUrl}/graphql`, headers, body },
  });
  report(
    `me query, ${env.connections} connections, ${env.durationS} s per run, ${env.rounds} rounds`,
    results,
    "gateway",
    "goal: at least 85 %",
  );
  await runFloor(env, {
    scenario: "me query",
    headers,
    body,
    answer: fromGateway,
    baseline: results.baseline!,
    goal: 85,
  });
}
