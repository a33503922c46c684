import { LOGIN, ME, REGISTER, newRegistration, startTestGateway, type TestGateway } from "./support/test-gateway";

const METRICS_TOKEN = "metrics-token-for-tests-0123456789-abcdef";

/** Cross-cutting HTTP behaviour; the database does not matter here, so SQLite only. */
describe("gateway HTTP surface", () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway("sqlite", { METRICS_TOKEN });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers /healthz and /readyz once the database is reachable and migrated", async () => {
    const health = await t.client().fetch("/healthz");
    expect(health.status).toBe(200);
    const ready = await t.client().fetch("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("keeps idle connections open as Fastify would (72 s), on every route including the beacon", async () => {
    const server = t.gateway.app.server;
    expect(server.keepAliveTimeout).toBe(72_000);
    expect((await t.client().fetch("/healthz")).headers.get("keep-alive")).toBe("timeout=72");
    const beacon = await t.client().fetch("/api/event", {
      method: "POST",
      headers: { "content-type": "text/plain", "user-agent": "Mozilla/5.0 Firefox/133.0" },
      body: JSON.stringify({ url: "http://127.0.0.1/" }),
    });
    expect(beacon.status).toBe(202);
    expect(beacon.headers.get("keep-alive")).toBe("timeout=72");
  });

  it("counts requests and latency per operation in Prometheus format", async () => {
    await t.client().ok(ME);
    const response = await t.client().fetch("/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/honour_graphql_requests_total\{operation="Me",type="query",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/honour_graphql_request_duration_seconds_count\{operation="Me",type="query"\} [1-9]/);
    expect(text).toContain('honour_http_requests_total{route="/graphql",method="POST",status="200"}');
  });

  it("serves /metrics only to the bearer of METRICS_TOKEN", async () => {
    for (const authorization of [
      undefined,
      "Bearer wrong-token",
      `Basic ${METRICS_TOKEN}`,
      `Bearer ${METRICS_TOKEN}x`,
    ]) {
      const response = await t.client().fetch("/metrics", { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const body = await response.text();
      expect(JSON.parse(body)).toMatchObject({ code: "UNAUTHENTICATED" });
      expect(body).not.toContain("honour_");
    }
  });

  it("turns /metrics off when METRICS_TOKEN is unset, for loopback callers too", async () => {
    const off = await startTestGateway("sqlite");
    try {
      const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${METRICS_TOKEN}` }];
      for (const headers of attempts) {
        const response = await off.client().fetch("/metrics", { headers });
        expect(response.status).toBe(404);
        const body = await response.text();
        expect(JSON.parse(body)).toMatchObject({ code: "NOT_FOUND" });
        expect(body).not.toContain("honour_");
      }
    } finally {
      await off.close();
    }
  });

  it("blocks cross-site simple requests (CSRF prevention)", async () => {
    const get = await t.client().fetch(`/graphql?query=${encodeURIComponent("{ me { id } }")}`);
    expect(get.status).toBe(400);
    const form = await t.client().fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(form.status).toBe(400);
  });

  it("rejects a query too costly for the default limits before running it", async () => {
    const page = "articles(first: 100) { nodes { id slug title summary premium locked body } }";
    const affordable = await t.client().query(`{ a: ${page} }`);
    expect(affordable.errors).toBeUndefined();
    const costly = await t
      .client()
      .query(`{ ${["a", "b", "c", "d", "e", "f", "g"].map((a) => `${a}: ${page}`).join(" ")} }`);
    expect(costly.errors?.[0]?.extensions).toMatchObject({
      code: "GRAPHQL_VALIDATION_FAILED",
      reason: "QUERY_TOO_COMPLEX",
    });
    expect(costly.data).toBeUndefined();
  });

  it("answers an API key that does not work with 401 UNAUTHENTICATED, never as anonymous", async () => {
    for (const authorization of ["Bearer hpk_not-a-real-key", "Basic dXNlcjpwYXNz", "Bearer"]) {
      const result = await t.client({ authorization }).query(ME);
      expect(result.status).toBe(401);
      expect(result.headers.get("www-authenticate")).toBe("Bearer");
      expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(result.data).toBeUndefined();
    }
  });

  it("does not put stack traces or internals in error responses", async () => {
    const result = await t
      .client()
      .query(LOGIN, { input: { email: "nobody@example.test", password: "nothing-at-all" } });
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(JSON.stringify(result)).not.toMatch(/stacktrace|at \/|node_modules|SELECT/i);
  });

  it("refuses a subscription, which this API has none of, as a validation failure rather than an internal error", async () => {
    const result = await t.client().query("subscription { me { id } }");
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: "GRAPHQL_VALIDATION_FAILED",
      reason: "UNSUPPORTED_OPERATION_TYPE",
    });
    expect(result.data).toBeUndefined();
  });

  it("refuses variables nested deeper than any input of the schema with BAD_USER_INPUT, not a stack overflow", async () => {
    // Written by hand: JSON.stringify itself would overflow on it.
    const depth = 50_000;
    const deep = `${'{"a":'.repeat(depth)}"leaf"${"}".repeat(depth)}`;
    const response = await t.client().fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"query":${JSON.stringify(LOGIN)},"variables":{"input":${deep}}}`,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "VARIABLES_TOO_DEEP" });
    const shallow = await t.client().query(`query Shallow { me { id } }`);
    expect(shallow.errors).toBeUndefined();
  });

  it("never logs passwords, session tokens or cookies", async () => {
    const client = t.client();
    const input = newRegistration({ password: "Sup3r-Secret-Passphrase" });
    await client.ok(REGISTER, { input });
    const token = client.cookies.get("honour_session")!;
    await client.ok(ME);
    await client.ok("mutation { logout }");
    await t.client().query(LOGIN, { input: { email: input.email, password: "Another-Secret-Guess" } });
    t.gateway.app.log.info({ req: { headers: { cookie: `honour_session=${token}` } }, input }, "probe");
    const logs = t.logs.join("");
    expect(logs).toContain('"probe"'); // the log is captured at all
    expect(logs).toContain("[REDACTED]");
    for (const secret of [input.password, "Another-Secret-Guess", token]) expect(logs).not.toContain(secret);
  });
});

describe("gateway with tight query limits", () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway("sqlite", {}, { maxDepth: 3, maxComplexity: 50 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("rejects a query deeper than the limit with a clear code, before running it", async () => {
    expect((await t.client().query("{ articles { nodes { id } } }")).errors).toBeUndefined();
    const deep = await t.client().query("{ articles { edges { node { id } } } }");
    expect(deep.errors?.[0]?.extensions).toMatchObject({
      code: "GRAPHQL_VALIDATION_FAILED",
      reason: "QUERY_TOO_DEEP",
      limit: 3,
    });
    expect(deep.data).toBeUndefined();
  });

  it("counts page sizes, including the default, in the cost", async () => {
    const costly = await t.client().query("{ articles(first: 30) { nodes { id title } } }");
    expect(costly.errors?.[0]?.extensions).toMatchObject({ reason: "QUERY_TOO_COMPLEX", limit: 50 });
    const defaultPage = await t.client().query("{ articles { nodes { id title } } }");
    expect(defaultPage.errors?.[0]?.extensions).toMatchObject({ reason: "QUERY_TOO_COMPLEX" });
  });
});

describe("session cookie over https", () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway("sqlite", { PUBLIC_URL: "https://honour.example" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("is marked Secure when the public URL is https", async () => {
    const client = t.client();
    await client.ok(REGISTER, { input: newRegistration() });
    const cookie = client.lastSetCookie.find((c) => c.startsWith("honour_session="))!;
    expect(cookie.split(";").map((a) => a.trim().toLowerCase())).toContain("secure");
  });
});

describe("CORS for front ends on another origin (CORS_ORIGINS)", () => {
  const SITE = "http://localhost:5173";
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway("sqlite", { CORS_ORIGINS: `${SITE},https://www.honour.example` });
  });
  afterAll(async () => {
    await t?.close();
  });

  const preflight = (origin: string) =>
    t.client().fetch("/graphql", {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });

  it("answers an allowed origin's preflight 204 with credentials allowed", async () => {
    const response = await preflight(SITE);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")).toContain("content-type");
  });

  it("gives any other origin no CORS headers, so its browser keeps the answer from it", async () => {
    for (const origin of ["https://evil.example", "http://localhost:5174", "null"]) {
      const response = await preflight(origin);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("lets the allowed origin call with its cookie, and keeps CSRF prevention for simple requests", async () => {
    const client = t.client();
    await client.ok(REGISTER, { input: newRegistration() });
    const response = await client.fetch("/graphql", {
      method: "POST",
      headers: { origin: SITE, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(((await response.json()) as { data: { me: { id: string } | null } }).data.me?.id).toEqual(
      expect.any(String),
    );

    const simple = await client.fetch("/graphql", {
      method: "POST",
      headers: { origin: SITE, "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(simple.status).toBe(400);
  });
});
