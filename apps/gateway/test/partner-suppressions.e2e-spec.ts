import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import {
  CONTACT,
  addProducts,
  assignOrder,
  orderInput,
  outcome,
  partnerWithKey,
  placeOrder,
  signedInStaff,
} from "./support/orders-fixtures";
import { verifyAddress } from "./support/people-gateway";
import { exportFor } from "./support/privacy-fixtures";
import { signedInAdmin, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

const CHECK = /* GraphQL */ `
  query ($emails: [String!]!) {
    checkPartnerSuppressions(emails: $emails) {
      email
      suppressed
      channels
    }
  }
`;
const ASSIGNED = /* GraphQL */ `
  {
    partnerAssignedSuppressions {
      orderId
      orderNumber
      channels
    }
  }
`;

const STAFF_VIEW = /* GraphQL */ `
  query ($partnerId: ID, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
    partnerSuppressionChecks(partnerId: $partnerId, from: $from, to: $to, first: $first, after: $after) {
      nodes {
        partnerId
        partnerName
        apiKeyId
        addresses
        matches
        at
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

interface StaffView {
  partnerSuppressionChecks: {
    nodes: {
      partnerId: string;
      partnerName: string;
      apiKeyId: string;
      addresses: number;
      matches: number;
      at: string;
    }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

interface CheckRow {
  partnerId: string;
  apiKeyId: string;
  addresses: number;
  matches: number;
}

describe.each(testDatabaseKinds())("partners' suppression lists without an oracle, over HTTP on %s", (kind) => {
  let t: TestGateway;
  let admin: GraphQLTestClient;
  let support: GraphQLTestClient;
  let sku: string;

  beforeAll(async () => {
    t = await startTestGateway(kind);
    admin = await signedInAdmin(t);
    support = (await signedInStaff(t, "SUPPORT")).client;
    [sku] = await addProducts(admin, [{ kind: "SERVICE", priceMinor: 1000 }]);
  });
  afterAll(() => t?.close());

  const checks = (partnerId: string): Promise<CheckRow[]> =>
    t.gateway.dataSource.query(
      "SELECT partnerId, apiKeyId, addresses, matches FROM disclosure_suppression_check WHERE partnerId = ? ORDER BY at",
      [partnerId],
    );

  /** A customer who opted out of everything by email (so their address is on the suppression list). */
  async function optedOutCustomer() {
    const customer = await signedInCustomer(t);
    await customer.client.ok(`mutation { optOutOfAll(channel: EMAIL) { granted } }`);
    return customer;
  }

  it("answers which of the addresses a partner holds must not be contacted, and records the call", async () => {
    const partner = await partnerWithKey(t, admin);
    const out = await optedOutCustomer();
    const withdrew = await signedInCustomer(t);
    for (const granted of [true, false]) {
      await withdrew.client.ok(
        `mutation ($g: Boolean!) { setPreferences(input: [{ topic: PARTNER_OFFERS, channel: TELEPHONE, granted: $g }]) { granted } }`,
        { g: granted },
      );
    }
    const stillIn = await signedInCustomer(t);

    const asked = [out.input.email.toUpperCase(), "stranger@example.org", withdrew.input.email, stillIn.input.email];
    const answer = await partner.client.ok<{ checkPartnerSuppressions: unknown[] }>(CHECK, { emails: asked });

    expect(answer.checkPartnerSuppressions).toEqual([
      { email: asked[0], suppressed: true, channels: ["EMAIL"] },
      { email: "stranger@example.org", suppressed: false, channels: [] },
      { email: withdrew.input.email, suppressed: true, channels: ["TELEPHONE"] },
      { email: stillIn.input.email, suppressed: false, channels: [] },
    ]);
    // One disclosure per call: counts and the key, never the addresses.
    expect(await checks(partner.partnerId)).toEqual([
      { partnerId: partner.partnerId, apiKeyId: partner.key.id, addresses: 4, matches: 2 },
    ]);
  });

  it("refuses an empty batch, more than 100 addresses and a non-address with BAD_USER_INPUT, recording nothing", async () => {
    const partner = await partnerWithKey(t, admin);
    const tooMany = Array.from({ length: 101 }, (_, i) => `p${i}@example.org`);
    for (const [emails, fields] of [
      [[], ["emails"]],
      [tooMany, ["emails"]],
      [["ok@example.org", "not an address"], ["emails.1"]],
    ] as const) {
      const result = await partner.client.query(CHECK, { emails });
      expect(outcome(result)).toBe("BAD_USER_INPUT");
      expect((result.errors![0]!.extensions as { fields: { field: string }[] }).fields.map((f) => f.field)).toEqual(
        fields,
      );
    }
    expect(await checks(partner.partnerId)).toEqual([]);
  });

  it("allows 2000 addresses an hour per partner, then RATE_LIMITED with Retry-After", async () => {
    const partner = await partnerWithKey(t, admin);
    for (let call = 0; call < 20; call += 1) {
      const emails = Array.from({ length: 100 }, (_, i) => `c${call}-${i}@example.org`);
      expect(outcome(await partner.client.query(CHECK, { emails }))).toBe("OK");
    }
    const refused = await partner.client.query(CHECK, { emails: ["one-more@example.org"] });
    expect(outcome(refused)).toBe("RATE_LIMITED");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // Another partner's budget is its own.
    const other = await partnerWithKey(t, admin);
    expect(outcome(await other.client.query(CHECK, { emails: ["one-more@example.org"] }))).toBe("OK");
    expect(await checks(partner.partnerId)).toHaveLength(20);
  });

  it("keeps the hourly budget when calls come at once: of ten last calls of 100, one fits", async () => {
    const partner = await partnerWithKey(t, admin);
    for (let call = 0; call < 19; call += 1) {
      const emails = Array.from({ length: 100 }, (_, i) => `s${call}-${i}@example.org`);
      expect(outcome(await partner.client.query(CHECK, { emails }))).toBe("OK");
    }
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, call) =>
        partner.client
          .query(CHECK, { emails: Array.from({ length: 100 }, (_, i) => `last${call}-${i}@example.org`) })
          .then(outcome),
      ),
    );
    expect(outcomes.sort()).toEqual(["OK", ...Array<string>(9).fill("RATE_LIMITED")]);
    const recorded = await checks(partner.partnerId);
    expect(recorded.reduce((sum, c) => sum + c.addresses, 0)).toBe(2000);
  });

  it("lists only the partner's own assigned orders whose buyer must not be contacted", async () => {
    const partner = await partnerWithKey(t, admin);
    const other = await partnerWithKey(t, admin);
    const out = await optedOutCustomer();
    const fine = await signedInCustomer(t);
    const elsewhere = await optedOutCustomer();
    const order = async (customer: { client: GraphQLTestClient; input: { email: string } }, partnerId: string) => {
      const placed = await placeOrder(
        customer.client,
        orderInput([sku], { contact: { ...CONTACT, email: customer.input.email } }),
      );
      await assignOrder(support, placed.id, partnerId);
      return placed;
    };
    const outOrder = await order(out, partner.partnerId);
    await order(fine, partner.partnerId);
    await order(elsewhere, other.partnerId);

    const listed = await partner.client.ok<{ partnerAssignedSuppressions: unknown[] }>(ASSIGNED);
    expect(listed.partnerAssignedSuppressions).toEqual([
      { orderId: outOrder.id, orderNumber: outOrder.number, channels: ["EMAIL"] },
    ]);
    expect(JSON.stringify(listed)).not.toContain("@");
  });

  it("shows SUPPORT and ADMIN the checks, newest first, paged and filtered by partner and time; nobody else", async () => {
    const partner = await partnerWithKey(t, admin);
    const other = await partnerWithKey(t, admin);
    const out = await optedOutCustomer();
    await partner.client.ok(CHECK, { emails: [out.input.email, "a@example.org"] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const between = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await partner.client.ok(CHECK, { emails: ["b@example.org"] });
    await other.client.ok(CHECK, { emails: ["c@example.org"] });

    const all = await support.ok<StaffView>(STAFF_VIEW, { partnerId: partner.partnerId });
    expect(all.partnerSuppressionChecks.nodes).toEqual([
      expect.objectContaining({ partnerId: partner.partnerId, partnerName: partner.name, addresses: 1, matches: 0 }),
      expect.objectContaining({ apiKeyId: partner.key.id, addresses: 2, matches: 1 }),
    ]);
    // Counts only: no address in the staff view.
    expect(JSON.stringify(all)).not.toContain("@");

    const first = await admin.ok<StaffView>(STAFF_VIEW, { partnerId: partner.partnerId, first: 1 });
    expect(first.partnerSuppressionChecks.nodes.map((n) => n.addresses)).toEqual([1]);
    expect(first.partnerSuppressionChecks.pageInfo.hasNextPage).toBe(true);
    const next = await admin.ok<StaffView>(STAFF_VIEW, {
      partnerId: partner.partnerId,
      first: 1,
      after: first.partnerSuppressionChecks.pageInfo.endCursor,
    });
    expect(next.partnerSuppressionChecks.nodes.map((n) => n.addresses)).toEqual([2]);
    expect(next.partnerSuppressionChecks.pageInfo.hasNextPage).toBe(false);

    const before = await admin.ok<StaffView>(STAFF_VIEW, { partnerId: partner.partnerId, to: between.toISOString() });
    expect(before.partnerSuppressionChecks.nodes.map((n) => n.addresses)).toEqual([2]);
    const since = await admin.ok<StaffView>(STAFF_VIEW, { from: between.toISOString(), first: 100 });
    expect(since.partnerSuppressionChecks.nodes.map((n) => n.partnerId)).toEqual([other.partnerId, partner.partnerId]);

    expect(outcome(await admin.query(STAFF_VIEW, { first: 0 }))).toBe("BAD_USER_INPUT");
    expect(outcome(await admin.query(STAFF_VIEW, { from: "yesterday" }))).toBe("BAD_USER_INPUT");
    expect(outcome(await (await signedInStaff(t, "MARKETING")).client.query(STAFF_VIEW))).toBe("FORBIDDEN");
    expect(outcome(await out.client.query(STAFF_VIEW))).toBe("FORBIDDEN");
    expect(outcome(await partner.client.query(STAFF_VIEW))).toBe("FORBIDDEN");
    expect(outcome(await t.client().query(STAFF_VIEW))).toBe("UNAUTHENTICATED");
  });

  it("tells a person in their data export which partner checked their verified address, when and the answer", async () => {
    const first = await partnerWithKey(t, admin);
    const second = await partnerWithKey(t, admin);
    const person = await optedOutCustomer();
    await verifyAddress(t, person.input.email);
    const unverified = await signedInCustomer(t);
    await first.client.ok(CHECK, { emails: [person.input.email.toUpperCase(), unverified.input.email] });
    await second.client.ok(CHECK, { emails: ["someone@example.org", person.input.email] });

    const exported = async (client: GraphQLTestClient) => {
      const { path } = await exportFor(t, client);
      const body = JSON.parse(await (await client.fetch(path)).text()) as {
        data: { orders: { partnerSuppressionChecks: { partnerName: string; at: string; answer: string }[] } };
      };
      return body.data.orders.partnerSuppressionChecks;
    };
    const checks = await exported(person.client);
    expect(checks).toEqual([
      { partnerName: first.name, at: expect.any(String), answer: "do not contact" },
      { partnerName: second.name, at: expect.any(String), answer: "do not contact" },
    ]);
    expect(Date.parse(checks[0]!.at)).toBeLessThanOrEqual(Date.parse(checks[1]!.at));
    // Until the holder proves the address is theirs, an account learns nothing of who holds it.
    expect(await exported(unverified.client)).toEqual([]);

    // Kept under a keyed hash, never the address; forgotten when the account is closed.
    const rows = () =>
      t.gateway.dataSource.query(
        "SELECT a.emailHash, a.suppressed FROM disclosure_suppression_check_address a " +
          "JOIN disclosure_suppression_check c ON c.id = a.checkId WHERE c.partnerId IN (?, ?)",
        [first.partnerId, second.partnerId],
      ) as Promise<{ emailHash: string }[]>;
    expect(await rows()).toHaveLength(4);
    expect(JSON.stringify(await rows())).not.toContain("@");
    await person.client.ok(`mutation ($p: String!) { closeAccount(password: $p) }`, { p: person.input.password });
    expect(await rows()).toHaveLength(2);
  });

  it("no longer serves partnerSuppressions, and keeps the checks to partners", async () => {
    const partner = await partnerWithKey(t, admin);
    expect(outcome(await partner.client.query(`{ partnerSuppressions { hash } }`))).toBe("GRAPHQL_VALIDATION_FAILED");
    const customer = await signedInCustomer(t);
    expect(outcome(await customer.client.query(CHECK, { emails: ["a@example.org"] }))).toBe("FORBIDDEN");
    expect(outcome(await t.client().query(ASSIGNED))).toBe("UNAUTHENTICATED");
  });
});

describe.each(testDatabaseKinds())("partner keys: who am I, and refusals in the security log on %s", (kind) => {
  let t: TestGateway;
  let admin: GraphQLTestClient;

  beforeAll(async () => {
    // Behind a trusted proxy: the expiry test calls from an address of its own, apart from the throttle test's.
    t = await startTestGateway(kind, { PARTNER_KEY_REJECTIONS_PER_IP: "10", TRUST_PROXY: "true" });
    admin = await signedInAdmin(t);
  });
  afterAll(() => t?.close());

  const rejections = (): Promise<{ ip: string | null; partnerId: string | null; detail: string | null }[]> =>
    t.gateway.dataSource.query(
      "SELECT ip, partnerId, detail FROM security_event WHERE kind = 'PARTNER_KEY_REJECTED' AND ip = '127.0.0.1' ORDER BY at, id",
    );

  it("tells a key which partner it belongs to, and nobody else", async () => {
    const partner = await partnerWithKey(t, admin);
    expect(await partner.client.ok(`{ partner { id name active } }`)).toEqual({
      partner: { id: partner.partnerId, name: partner.name, active: true },
    });
    expect(outcome(await admin.query(`{ partner { id } }`))).toBe("FORBIDDEN");
    expect(outcome(await t.client().query(`{ partner { id } }`))).toBe("UNAUTHENTICATED");
  });

  it("refuses an expired key with API_KEY_EXPIRED, shows ADMIN every key's expiry, and rotates keys", async () => {
    const partner = await partnerWithKey(t, admin);
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const issued = await admin.ok<{ issuePartnerApiKey: { id: string; secret: string; expiresAt: string } }>(
      `mutation ($p: ID!, $e: DateTime) { issuePartnerApiKey(partnerId: $p, expiresAt: $e) { id secret expiresAt } }`,
      { p: partner.partnerId, e: expiresAt },
    );
    expect(issued.issuePartnerApiKey.expiresAt).toBe(expiresAt);
    const keyed = t.client({
      authorization: `Bearer ${issued.issuePartnerApiKey.secret}`,
      "x-forwarded-for": "198.51.100.77",
    });
    expect(outcome(await keyed.query(`{ partner { id } }`))).toBe("OK");
    const listed = await admin.ok<{
      partners: { nodes: { id: string; apiKeys: { id: string; expiresAt: string | null }[] }[] };
    }>(`{ partners(first: 100) { nodes { id apiKeys { id expiresAt expiryNoticeAt } } } }`);
    expect(listed.partners.nodes.find((p) => p.id === partner.partnerId)!.apiKeys).toEqual([
      { id: partner.key.id, expiresAt: null, expiryNoticeAt: null },
      { id: issued.issuePartnerApiKey.id, expiresAt, expiryNoticeAt: null },
    ]);

    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 50));
    const expired = await keyed.query(`{ partner { id } }`);
    expect([expired.status, outcome(expired)]).toEqual([401, "UNAUTHENTICATED"]);
    expect(expired.errors![0]!.extensions).toMatchObject({ reason: "API_KEY_EXPIRED", expiredAt: expiresAt });
    const logged: { detail: string }[] = await t.gateway.dataSource.query(
      "SELECT detail FROM security_event WHERE kind = 'PARTNER_KEY_REJECTED' AND ip = '198.51.100.77'",
    );
    expect(logged.map((l) => l.detail)).toEqual([expect.stringMatching(/^API key hpk_[0-9a-f]{12} \(expired\)$/)]);

    const rotated = await admin.ok<{ rotatePartnerApiKey: { secret: string; expiresAt: string | null } }>(
      `mutation ($id: ID!) { rotatePartnerApiKey(id: $id) { secret expiresAt } }`,
      { id: partner.key.id },
    );
    expect(rotated.rotatePartnerApiKey.expiresAt).toBeNull();
    expect(
      outcome(
        await t.client({ authorization: `Bearer ${rotated.rotatePartnerApiKey.secret}` }).query(`{ partner { id } }`),
      ),
    ).toBe("OK");
    expect(outcome(await partner.client.query(`{ partner { id } }`))).toBe("OK"); // 24 h more for the old key
    for (const [query, variables, code] of [
      [
        `mutation ($id: ID!) { rotatePartnerApiKey(id: $id) { id } }`,
        { id: issued.issuePartnerApiKey.id },
        "BAD_USER_INPUT",
      ],
      [
        `mutation ($p: ID!) { issuePartnerApiKey(partnerId: $p, expiresAt: "2001-01-01T00:00:00Z") { id } }`,
        { p: partner.partnerId },
        "BAD_USER_INPUT",
      ],
      [
        `mutation ($id: ID!) { rotatePartnerApiKey(id: $id) { id } }`,
        { id: "00000000-0000-7000-8000-000000000000" },
        "NOT_FOUND",
      ],
    ] as const) {
      expect(outcome(await admin.query(query, variables))).toBe(code);
    }
    expect(
      outcome(
        await partner.client.query(`mutation ($id: ID!) { rotatePartnerApiKey(id: $id) { id } }`, {
          id: partner.key.id,
        }),
      ),
    ).toBe("FORBIDDEN");
  });

  it("logs each refused key as PARTNER_KEY_REJECTED with the IP, then throttles the IP with 429", async () => {
    const partner = await partnerWithKey(t, admin);
    await admin.ok(`mutation ($id: ID!) { revokePartnerApiKey(id: $id) }`, { id: partner.key.id });
    const wrongSecret = `${partner.key.prefix}_${"A".repeat(43)}`;
    const keys = [partner.key.secret, wrongSecret, "hpk_0123456789ab_" + "B".repeat(43), "not-a-key"];
    const left: number[] = [];
    for (const key of keys) {
      const result = await t.client({ authorization: `Bearer ${key}` }).query(`{ partner { id } }`);
      expect([result.status, outcome(result)]).toEqual([401, "UNAUTHENTICATED"]);
      // The answer names the bucket of refused keys, as every other answer names its buckets.
      expect(result.headers.get("ratelimit-policy")).toBe('"partner-key-rejections";q=10;w=900');
      left.push(Number(/^"partner-key-rejections";r=(\d+);t=\d+$/.exec(result.headers.get("ratelimit") ?? "")?.[1]));
    }
    expect(left).toEqual([9, 8, 7, 6]);
    const logged = await rejections();
    expect(logged).toEqual([
      { ip: "127.0.0.1", partnerId: partner.partnerId, detail: `API key ${partner.key.prefix} (revoked)` },
      { ip: "127.0.0.1", partnerId: null, detail: `API key ${partner.key.prefix} (wrong secret)` },
      { ip: "127.0.0.1", partnerId: null, detail: "API key hpk_0123456789ab (unknown)" },
      { ip: "127.0.0.1", partnerId: null, detail: "a malformed API key" },
    ]);
    expect(JSON.stringify(logged)).not.toContain(partner.key.secret.slice(-20));

    // 10 refusals logged per IP, refilled over 15 minutes: the 11th is answered 429 and not logged.
    for (let i = keys.length; i < 10; i += 1) {
      expect(outcome(await t.client({ authorization: "Bearer nope" }).query(`{ partner { id } }`))).toBe(
        "UNAUTHENTICATED",
      );
    }
    const throttled = await t.client({ authorization: `Bearer ${wrongSecret}` }).query(`{ partner { id } }`);
    expect([throttled.status, outcome(throttled)]).toEqual([429, "RATE_LIMITED"]);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(throttled.headers.get("ratelimit-policy")).toBe('"partner-key-rejections";q=10;w=900');
    expect(throttled.headers.get("ratelimit")).toMatch(/^"partner-key-rejections";r=0;t=(89\d|900)$/);
    expect(await rejections()).toHaveLength(10);
    // A good key from the same IP (a shared NAT) still works while its neighbours are throttled.
    const good = await partnerWithKey(t, admin);
    expect(outcome(await good.client.query(`{ partner { id } }`))).toBe("OK");
  });
});
