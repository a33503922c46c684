import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import { outcome, partnerWithKey } from "./support/orders-fixtures";
import { signedInAdmin, startTestGateway, type TestGateway } from "./support/test-gateway";

const METRICS_TOKEN = "metrics-token-0123456789-abcdefghijklmnop";
const PRODUCTS = `query ($first: Int) { products(first: $first) { nodes { sku name } } }`;

describe.each(testDatabaseKinds())("rate limits partners can read, over HTTP on %s", (kind) => {
  let t: TestGateway;
  let admin: GraphQLTestClient;
  /** A site client calling from its own address (the gateway trusts X-Forwarded-For here). */
  let seq = 0;
  const siteClient = (): GraphQLTestClient => {
    seq += 1;
    return t.client({ "x-forwarded-for": `198.51.100.${seq}` });
  };

  beforeAll(async () => {
    t = await startTestGateway(kind, {
      TRUST_PROXY: "true",
      METRICS_TOKEN,
      RATE_LIMIT_PARTNER_OPERATIONS: "3",
      RATE_LIMIT_PARTNER_COST: "0",
      RATE_LIMIT_SITE_OPERATIONS: "1000",
      RATE_LIMIT_SITE_COST: "100",
      RATE_LIMIT_WINDOW_SECONDS: "60",
    });
    admin = t.client({ "x-forwarded-for": "203.0.113.1" });
    const signedIn = await signedInAdmin(t);
    admin.cookies.clear();
    for (const [name, value] of signedIn.cookies) admin.cookies.set(name, value);
  });
  afterAll(() => t?.close());

  it("gives a partner key 3 operations a minute with RateLimit headers, then 429 RATE_LIMITED with Retry-After", async () => {
    const partner = await partnerWithKey(t, admin);
    const remaining: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const answer = await partner.client.query(`{ partner { id } }`);
      expect([answer.status, outcome(answer)]).toEqual([200, "OK"]);
      expect(answer.headers.get("ratelimit-policy")).toBe('"operations";q=3;w=60');
      remaining.push(answer.headers.get("ratelimit")!);
    }
    // r: whole tokens left; t: seconds until the bucket is full again (one token refills in 20 s;
    // a slow machine may have refilled a little between requests).
    const parsed = remaining.map((header) => /^"operations";r=(\d+);t=(\d+)$/.exec(header)!.slice(1).map(Number));
    expect(parsed.map(([r]) => r)).toEqual([2, 1, 0]);
    parsed.forEach(([, t], i) => expect(Math.abs(t! - 20 * (i + 1))).toBeLessThanOrEqual(2));

    const refused = await partner.client.query(`{ partner { id } }`);
    expect([refused.status, outcome(refused)]).toEqual([429, "RATE_LIMITED"]);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(18);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(20);
    expect(refused.headers.get("ratelimit")).toMatch(/^"operations";r=0;t=(5[89]|60)$/);
    expect(refused.errors![0]!.extensions).toMatchObject({
      code: "RATE_LIMITED",
      retryAfterSeconds: expect.any(Number),
    });

    // Another key, even of another partner, has its own bucket.
    const other = await partnerWithKey(t, admin);
    expect(outcome(await other.client.query(`{ partner { id } }`))).toBe("OK");
  });

  it("charges a site client IP the query's cost, and refuses what would go over", async () => {
    const site = siteClient();
    const first = await site.query(PRODUCTS, { first: 20 });
    expect(outcome(first)).toBe("OK");
    expect(first.headers.get("ratelimit-policy")).toBe('"operations";q=1000;w=60, "cost";q=100;w=60');
    const [, costLeft] = /"cost";r=(\d+)/.exec(first.headers.get("ratelimit")!)!;
    expect(Number(costLeft)).toBeLessThan(100 - 60);

    const second = await site.query(PRODUCTS, { first: 20 });
    expect([second.status, outcome(second)]).toEqual([429, "RATE_LIMITED"]);
    expect(second.errors![0]!.message).toMatch(/cost/);
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);
    // A cheaper operation still fits, and another address is not affected.
    expect(outcome(await site.query(PRODUCTS, { first: 1 }))).toBe("OK");
    expect(outcome(await siteClient().query(PRODUCTS, { first: 20 }))).toBe("OK");
  });

  it("puts the headers on answers that never reach an operation (a parse error)", async () => {
    const answer = await siteClient().query(`{ products(`);
    expect(outcome(answer)).toBe("GRAPHQL_PARSE_FAILED");
    expect(answer.headers.get("ratelimit")).toBe('"operations";r=1000;t=0, "cost";r=100;t=0');
  });

  it("lets ADMIN set a partner's own limits, which that partner's keys then get", async () => {
    const partner = await partnerWithKey(t, admin);
    const set = await admin.query(
      `mutation ($p: ID!) { setPartnerRateLimit(partnerId: $p, operations: 5, cost: 1000) { id rateLimit { operations cost } } }`,
      { p: partner.partnerId },
    );
    expect(set.data).toEqual({
      setPartnerRateLimit: { id: partner.partnerId, rateLimit: { operations: 5, cost: 1000 } },
    });
    const answer = await partner.client.query(`{ partner { id } }`);
    expect(answer.headers.get("ratelimit-policy")).toBe('"operations";q=5;w=60, "cost";q=1000;w=60');

    for (const [variables, field] of [
      [{ p: partner.partnerId, o: -1 }, "operations"],
      [{ p: partner.partnerId, o: 1e9 }, "operations"],
    ] as const) {
      const bad = await admin.query(
        `mutation ($p: ID!, $o: Int) { setPartnerRateLimit(partnerId: $p, operations: $o) { id } }`,
        variables,
      );
      expect(outcome(bad)).toBe("BAD_USER_INPUT");
      expect((bad.errors![0]!.extensions as { fields: { field: string }[] }).fields[0]!.field).toBe(field);
    }
    const unknown = await admin.query(
      `mutation { setPartnerRateLimit(partnerId: "00000000-0000-7000-8000-000000000000", operations: 1) { id } }`,
    );
    expect(outcome(unknown)).toBe("NOT_FOUND");
    expect(
      outcome(
        await partner.client.query(`mutation ($p: ID!) { setPartnerRateLimit(partnerId: $p, operations: 1) { id } }`, {
          p: partner.partnerId,
        }),
      ),
    ).toBe("FORBIDDEN");

    // Both null: back to the configured limits (a new key shows it at once; cached ones within 10 s).
    await admin.ok(`mutation ($p: ID!) { setPartnerRateLimit(partnerId: $p) { id } }`, { p: partner.partnerId });
    expect(await admin.ok(`query { partners(first: 1) { nodes { id rateLimit { operations } } } }`)).toMatchObject({
      partners: { nodes: [{ id: partner.partnerId, rateLimit: null }] },
    });
  });

  it("counts operations, cost and refusals per partner in /metrics", async () => {
    const partner = await partnerWithKey(t, admin);
    for (let i = 0; i < 4; i += 1) await partner.client.query(`{ partner { id } }`);
    const response = await t.client().fetch("/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await response.text();
    expect(text).toContain(`honour_partner_operations_total{partner="${partner.partnerId}"} 3`);
    expect(text).toContain(`honour_partner_rate_limited_total{partner="${partner.partnerId}",policy="operations"} 1`);
    expect(text).toMatch(new RegExp(`honour_partner_query_cost_total\\{partner="${partner.partnerId}"\\} \\d+`));
  });
});
