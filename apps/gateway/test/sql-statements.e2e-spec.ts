import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import {
  addProducts,
  assignOrder,
  orderInput,
  outcome,
  partnerWithKey,
  placeOrder,
  signedInStaff,
  statementsDuring,
} from "./support/orders-fixtures";
import { ME, signedInAdmin, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

/**
 * The SQL statements each benchmarked scenario (issue 18, `npm run bench`) runs, counted exactly
 * (transaction control left out), so that a change that adds a round trip fails here instead of
 * only showing as a slower bench on a quiet machine. docs/performance.md lists them.
 */
const MY_ORDERS = /* GraphQL */ `
  query MyOrders($first: Int) {
    myOrders(first: $first) {
      nodes {
        id
        number
        status
        totalMinor
        lines {
          sku
          name
          quantity
          unitPriceMinor
        }
        licences {
          serial
        }
        payment {
          brand
          last4
          expiryMonth
          expiryYear
        }
      }
    }
  }
`;
const PARTNER_ORDERS = /* GraphQL */ `
  query PartnerOrders($first: Int) {
    partnerOrders(first: $first) {
      nodes {
        id
        number
        status
        lines {
          sku
          name
          quantity
        }
        contact {
          name
          email
          phone
          organisation
          address {
            line1
            line2
            city
            postcode
            country
          }
        }
      }
    }
  }
`;
const PREFERENCE_FIELDS = "{ topic channel granted updatedAt }";
const MY_PREFERENCES = `query MyPreferences { myPreferences ${PREFERENCE_FIELDS} }`;
const SET_PREFERENCES = `mutation SetPreferences($input: [PreferenceInput!]!) { setPreferences(input: $input) ${PREFERENCE_FIELDS} }`;

describe.each(testDatabaseKinds())("SQL statements per benchmarked request on %s", (kind) => {
  let t: TestGateway;
  let buyer: GraphQLTestClient;
  let partner: Awaited<ReturnType<typeof partnerWithKey>>;
  let orderIds: string[];

  beforeAll(async () => {
    t = await startTestGateway(kind);
    const admin = await signedInAdmin(t);
    const support = (await signedInStaff(t, "SUPPORT")).client;
    const skus = await addProducts(admin, [
      { kind: "LICENCE", priceMinor: 4999 },
      { kind: "SERVICE", priceMinor: 1500 },
      { kind: "SUBSCRIPTION", priceMinor: 999 },
    ]);
    const signedIn = await signedInCustomer(t);
    buyer = signedIn.client;
    // A verified address, so that granting an email topic lifts its suppression (double opt-in).
    await t.gateway.dataSource.query(
      kind === "mysql"
        ? "UPDATE `user` SET `emailVerifiedAt` = UTC_TIMESTAMP(3) WHERE `id` = ?"
        : `UPDATE "user" SET "emailVerifiedAt" = datetime('now') WHERE "id" = ?`,
      [signedIn.userId],
    );
    partner = await partnerWithKey(t, admin);
    orderIds = [];
    for (let i = 0; i < 50; i++) {
      const order = await placeOrder(buyer, orderInput(skus));
      await assignOrder(support, order.id, partner.partnerId);
      orderIds.push(order.id);
    }
    // First uses record themselves (a session's lastSeenAt, a key's lastUsedAt, at most once a
    // minute): measure the requests after those.
    await buyer.ok(ME);
    await partner.client.ok(`{ partnerOrders(first: 1) { nodes { id } } }`);
  }, 300_000);
  afterAll(() => t?.close());

  /** The statements of one request, after the same request once (caches warm, first uses recorded). */
  async function statementsOf<T>(request: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
    await request();
    return statementsDuring(t.gateway.dataSource, request);
  }

  it("answers me in 1 statement: the session lookup, which reads the account with it", async () => {
    const { result, sql } = await statementsOf(() => buyer.query<{ me: { id: string } }>(ME));
    expect(outcome(result)).toBe("OK");
    expect(sql).toHaveLength(1);
  });

  it("answers myOrders(first: 20) with lines, licences and payment in 3 statements: session, page, lines", async () => {
    const { result, sql } = await statementsOf(() =>
      buyer.query<{ myOrders: { nodes: { lines: unknown[]; licences: unknown[] }[] } }>(MY_ORDERS, { first: 20 }),
    );
    expect(outcome(result)).toBe("OK");
    expect(result.data!.myOrders.nodes).toHaveLength(20);
    expect(result.data!.myOrders.nodes.every((n) => n.lines.length === 3 && n.licences.length === 0)).toBe(true);
    expect(sql).toHaveLength(3);
  });

  it("answers partnerOrders(first: 50) with lines and contacts in 4 statements: key, page, lines, disclosures", async () => {
    const { result, sql } = await statementsOf(() =>
      partner.client.query<{ partnerOrders: { nodes: unknown[] } }>(PARTNER_ORDERS, { first: 50 }),
    );
    expect(outcome(result)).toBe("OK");
    expect(result.data!.partnerOrders.nodes).toHaveLength(orderIds.length);
    expect(sql).toHaveLength(4);
    expect(sql.filter((s) => /^\s*INSERT/i.test(s))).toHaveLength(1); // the page's disclosures, in one
  });

  it("reads licences only for a page with a fulfilled order: 4 statements then", async () => {
    // The newest order (first on the page) fulfilled by its partner: its LICENCE line gets one.
    // (After the partnerOrders test, whose contacts end for a fulfilled order.)
    await partner.client.ok(`mutation ($id: ID!) { markOrderFulfilled(orderId: $id) { id } }`, {
      id: orderIds[orderIds.length - 1],
    });
    const { result, sql } = await statementsOf(() =>
      buyer.query<{ myOrders: { nodes: { licences: unknown[] }[] } }>(MY_ORDERS, { first: 20 }),
    );
    expect(outcome(result)).toBe("OK");
    expect(result.data!.myOrders.nodes.map((n) => n.licences.length)).toEqual([1, ...Array(19).fill(0)]);
    expect(sql).toHaveLength(4);
  });

  it("answers myPreferences in 2 statements: session, preferences with the pairs waiting for verification", async () => {
    const { result, sql } = await statementsOf(() => buyer.query<{ myPreferences: unknown[] }>(MY_PREFERENCES));
    expect(outcome(result)).toBe("OK");
    expect(sql).toHaveLength(2);
  });

  it("answers setPreferences granting one email topic in 6 statements", async () => {
    let granted = false;
    const toggle = () => {
      granted = !granted;
      return buyer.query<{ setPreferences: unknown[] }>(SET_PREFERENCES, {
        input: [{ topic: "SPECIAL_OFFERS", channel: "EMAIL", granted }],
      });
    };
    await toggle(); // granted
    await toggle(); // withdrawn: the next one grants again, as the bench's toggling does
    const { result, sql } = await statementsDuring(t.gateway.dataSource, toggle);
    expect(outcome(result)).toBe("OK");
    // The session; the account (its address, for the suppression list) under its row lock, with
    // the policy version; the preferences with the pairs waiting for verification (a change drops
    // its own); the ledger entry; the preference (an upsert); the address's suppression lifted.
    // The answer is the state the transaction wrote, under the lock: no read after.
    expect(sql.map((s) => /^\s*\(?\s*(\w+)/.exec(s)![1]!.toUpperCase())).toEqual([
      "SELECT",
      "SELECT",
      "SELECT",
      "INSERT",
      "INSERT",
      "UPDATE",
    ]);
    // MySQL/MariaDB's locking reads: the account's row and the preferences with the pairs waiting.
    expect(sql.filter((s) => /FOR UPDATE/.test(s))).toHaveLength(kind === "mysql" ? 2 : 0);
  });
});
