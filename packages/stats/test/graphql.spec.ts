import { ANONYMOUS, ErrorCode, Role, SecurityEventKind, type Actor } from "@honour/platform";
import { buildGraphQLHarness, testDatabaseKinds, type GraphQLHarness } from "@honour/testing";
import { printSchema, type GraphQLSchema } from "graphql";
import { createStatsResolvers } from "../src/graphql";
import { expectStatus, openStatsTestBed, pageView, SITE, system, userActor, type StatsTestBed } from "./stats-test-bed";

const STATS = `query ($input: StatsQueryInput!) { stats(input: $input) { rows { key visitors pageviews } } }`;
const SECURITY_EVENTS = `query ($kind: SecurityEventKind, $first: Int, $after: String) {
  securityEvents(kind: $kind, first: $first, after: $after) {
    nodes { id at kind ip hostname userId partnerId detail }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PARTNER: Actor = { kind: "partner", partnerId: "0196f0a0-0000-7000-8000-000000000002", apiKeyId: "k" };

describe.each(testDatabaseKinds())("GraphQL API on %s", (kind) => {
  let bed: StatsTestBed;
  let schema: GraphQLSchema;
  let call: GraphQLHarness["call"];
  let rootSignature: GraphQLHarness["signature"];

  beforeAll(async () => {
    bed = await openStatsTestBed(kind);
    // The resolvers hold the services they were built with; reset() builds new ones, so the
    // schema is built on the bed's services through a getter.
    ({
      schema,
      call,
      signature: rootSignature,
    } = await buildGraphQLHarness({
      resolvers: createStatsResolvers(
        new Proxy({} as StatsTestBed["services"], {
          get: (_t, key) => bed.services[key as keyof StatsTestBed["services"]],
        }),
      ),
      ctx: (actor) => bed.ctx(actor),
      validate: true,
    }));
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  const signature = (name: string) => rootSignature("Query", name);

  it("declares the contract of the issue", () => {
    expect(Object.keys(schema.getQueryType()!.getFields()).sort()).toEqual(["securityEvents", "stats"]);
    expect(signature("stats")).toBe("stats(input: StatsQueryInput!): StatsResult!");
    expect(signature("securityEvents")).toBe(
      "securityEvents(kind: SecurityEventKind, from: DateTime, to: DateTime, first: Int, after: String): SecurityEventConnection!",
    );
    const sdl = printSchema(schema);
    expect(sdl).toMatch(
      /input StatsQueryInput \{[^}]*from: Date![^}]*to: Date![^}]*metrics: \[StatsMetric!\]![^}]*dimension: StatsDimension[^}]*limit: Int\n/,
    );
    expect(sdl).toMatch(/enum StatsMetric \{\s+VISITORS\s+PAGEVIEWS\s+\}/);
    expect(sdl).toMatch(
      /enum StatsDimension \{[^}]*NONE[^}]*DATE[^}]*HOUR[^}]*PAGE[^}]*REFERRER_DOMAIN[^}]*BROWSER[^}]*UTM_SOURCE\n/,
    );
    expect(sdl).toMatch(/type StatsRow \{[^}]*key: String[^}]*visitors: Int[^}]*pageviews: Int\n/);
    expect(sdl).toMatch(
      /type SecurityEvent \{[^}]*id: ID![^}]*at: DateTime![^}]*kind: SecurityEventKind![^}]*ip: String[^}]*hostname: String[^}]*userId: ID[^}]*partnerId: ID[^}]*detail: String\n/,
    );
    expect(sdl).toMatch(
      /enum SecurityEventKind \{\s+LOGIN_SUCCEEDED\s+LOGIN_FAILED\s+RATE_LIMITED\s+PARTNER_KEY_USED\s+PARTNER_KEY_REJECTED\s+STAFF_ACTION\s+SESSION_REVOKED\s+PASSWORD_RESET_REQUESTED\s+PASSWORD_CHANGED\s+EMAIL_CHANGED\s+EMAIL_VERIFIED\s+MFA_ENABLED\s+MFA_DISABLED\s+MFA_FAILED\s+PASSKEY_ADDED\s+\}/,
    );
  });

  it("answers stats to marketing, by referrer domain", async () => {
    expectStatus(bed, pageView({ referrer: "https://www.google.co.uk/" }), 202);
    expectStatus(bed, pageView({ referrer: "https://www.google.co.uk/", ip: "192.0.2.2" }), 202);
    expectStatus(bed, pageView({ url: `https://${SITE}/x`, ip: "192.0.2.2" }), 202);
    await bed.services.ingest.flush();
    await bed.services.rollups.rollUp(system(bed));

    const result = await call(
      STATS,
      {
        input: {
          from: "2026-11-25",
          to: "2026-11-25",
          metrics: ["VISITORS", "PAGEVIEWS"],
          dimension: "REFERRER_DOMAIN",
        },
      },
      userActor(Role.MARKETING),
    );

    expect(result.codes).toEqual([]);
    expect(result.data).toEqual({
      stats: {
        rows: [
          { key: "google.co.uk", visitors: 2, pageviews: 2 },
          { key: null, visitors: 1, pageviews: 1 },
        ],
      },
    });
  });

  it("answers the security log to the security team, with resolved host names", async () => {
    await bed.platform.securityLog.record(bed.ctx(), {
      kind: SecurityEventKind.LOGIN_FAILED,
      ip: "192.0.2.1",
      detail: "wrong password",
    });
    await bed.services.securityEvents.resolveHostnames(system(bed));

    const result = await call(SECURITY_EVENTS, { kind: "LOGIN_FAILED" }, userActor(Role.SECURITY));

    expect(result.codes).toEqual([]);
    expect(result.data).toEqual({
      securityEvents: {
        nodes: [
          {
            id: expect.any(String),
            at: "2026-11-25T12:00:00.000Z",
            kind: "LOGIN_FAILED",
            ip: "192.0.2.1",
            hostname: "192.0.2.1",
            userId: null,
            partnerId: null,
            detail: "wrong password",
          },
        ],
        pageInfo: { hasNextPage: false, endCursor: expect.any(String) },
      },
    });
  });

  const statsInput = { input: { from: "2026-11-25", to: "2026-11-25", metrics: ["VISITORS"] } };
  it.each([
    ["stats", STATS, statsInput, ANONYMOUS, ErrorCode.UNAUTHENTICATED],
    ["stats", STATS, statsInput, userActor(Role.CUSTOMER), ErrorCode.FORBIDDEN],
    ["stats", STATS, statsInput, userActor(Role.SUPPORT), ErrorCode.FORBIDDEN],
    ["stats", STATS, statsInput, userActor(Role.SECURITY), ErrorCode.FORBIDDEN],
    ["stats", STATS, statsInput, PARTNER, ErrorCode.FORBIDDEN],
    ["stats", STATS, statsInput, userActor(Role.MARKETING), undefined],
    ["stats", STATS, statsInput, userActor(Role.ADMIN), undefined],
    ["securityEvents", SECURITY_EVENTS, {}, ANONYMOUS, ErrorCode.UNAUTHENTICATED],
    ["securityEvents", SECURITY_EVENTS, {}, userActor(Role.CUSTOMER), ErrorCode.FORBIDDEN],
    ["securityEvents", SECURITY_EVENTS, {}, userActor(Role.MARKETING), ErrorCode.FORBIDDEN],
    ["securityEvents", SECURITY_EVENTS, {}, userActor(Role.SUPPORT), ErrorCode.FORBIDDEN],
    ["securityEvents", SECURITY_EVENTS, {}, PARTNER, ErrorCode.FORBIDDEN],
    ["securityEvents", SECURITY_EVENTS, {}, userActor(Role.SECURITY), undefined],
    ["securityEvents", SECURITY_EVENTS, {}, userActor(Role.ADMIN), undefined],
  ])("answers %s for %j with %s", async (_name, source, variables, actor, code) => {
    await bed.platform.securityLog.record(bed.ctx(), { kind: SecurityEventKind.LOGIN_FAILED, ip: "192.0.2.1" });

    const result = await call(source, variables, actor);

    expect(result.codes).toEqual(code ? [code] : []);
    if (code) expect(result.data).toBeNull();
  });

  it.each([
    ["no metrics", { from: "2026-11-25", to: "2026-11-25", metrics: [] }],
    ["a limit over 1000", { from: "2026-11-25", to: "2026-11-25", metrics: ["VISITORS"], limit: 1001 }],
    ["to before from", { from: "2026-11-25", to: "2026-11-01", metrics: ["VISITORS"] }],
  ])("refuses stats with %s as BAD_USER_INPUT", async (_name, input) => {
    expect((await call(STATS, { input }, userActor(Role.ADMIN))).codes).toEqual([ErrorCode.BAD_USER_INPUT]);
  });

  it("refuses a page size over 100 and a cursor it did not make", async () => {
    const admin = userActor(Role.ADMIN);

    expect((await call(SECURITY_EVENTS, { first: 101 }, admin)).codes).toEqual([ErrorCode.BAD_USER_INPUT]);
    expect((await call(SECURITY_EVENTS, { after: "bm90LWEtY3Vyc29y" }, admin)).codes).toEqual([
      ErrorCode.BAD_USER_INPUT,
    ]);
  });
});
