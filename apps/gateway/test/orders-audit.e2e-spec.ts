import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import {
  addProducts,
  orderInput,
  outcome,
  partnerWithKey,
  placeOrder,
  signedInStaff,
  type PlacedOrder,
} from "./support/orders-fixtures";
import { signedInAdmin, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

const AUDIT = /* GraphQL */ `
  query ($subjectId: String) {
    auditLog(subjectId: $subjectId, first: 100) {
      nodes {
        actorId
        action
        subjectId
        detail
      }
    }
  }
`;

interface Entry {
  actorId: string;
  action: string;
  subjectId: string | null;
  detail: string | null;
}

/** The order numbers, ascending, as an ORDERS_VIEWED entry lists them. */
const numbers = (...orders: PlacedOrder[]) =>
  orders
    .map((o) => o.number)
    .sort()
    .join(", ");

describe.each(testDatabaseKinds())("the audit log of staff reading orders, over HTTP on %s", (kind) => {
  let t: TestGateway;
  let admin: GraphQLTestClient;
  let support: GraphQLTestClient;
  let supportId: string;
  let sku: string;

  beforeAll(async () => {
    t = await startTestGateway(kind);
    admin = await signedInAdmin(t);
    ({ client: support, userId: supportId } = await signedInStaff(t, "SUPPORT"));
    [sku] = await addProducts(admin, [{ kind: "SERVICE", priceMinor: 1500 }]);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The ORDERS_VIEWED entries the ADMIN finds by this person's user id. */
  const ordersViewed = async (userId: string): Promise<Entry[]> => {
    const { auditLog } = await admin.ok<{ auditLog: { nodes: Entry[] } }>(AUDIT, { subjectId: userId });
    return auditLog.nodes.filter((e) => e.action === "ORDERS_VIEWED");
  };

  /** A customer with `count` paid orders. */
  const customerWithOrders = async (count: number) => {
    const customer = await signedInCustomer(t);
    const orders: PlacedOrder[] = [];
    for (let i = 0; i < count; i++) orders.push(await placeOrder(customer.client, orderInput([sku!])));
    return { ...customer, orders };
  };

  it("gives two order(id) aliases of one customer's orders in one request one entry naming both", async () => {
    const { userId, orders } = await customerWithOrders(2);
    const [first, second] = orders as [PlacedOrder, PlacedOrder];

    await support.ok(`query ($a: ID!, $b: ID!) { a: order(id: $a) { id } b: order(id: $b) { id contact { name } } }`, {
      a: first.id,
      b: second.id,
    });

    expect(await ordersViewed(userId)).toEqual([
      { actorId: supportId, action: "ORDERS_VIEWED", subjectId: userId, detail: numbers(first, second) },
    ]);

    // The same orders read again in another request: another entry, naming them again.
    await support.ok(`query ($a: ID!) { order(id: $a) { id } orders(first: 100) { nodes { id } } }`, { a: second.id });
    expect((await ordersViewed(userId)).map((e) => e.detail)).toEqual([numbers(first, second), numbers(first, second)]);
  });

  it("gives three assignOrder calls in one request one entry naming all three orders", async () => {
    const { userId, orders } = await customerWithOrders(3);
    const { partnerId } = await partnerWithKey(t, admin);

    const result = await support.query(
      `mutation ($a: ID!, $b: ID!, $c: ID!, $p: ID!) {
        a: assignOrder(orderId: $a, partnerId: $p) { status }
        b: assignOrder(orderId: $b, partnerId: $p) { status }
        c: assignOrder(orderId: $c, partnerId: $p) { status }
      }`,
      { a: orders[0]!.id, b: orders[1]!.id, c: orders[2]!.id, p: partnerId },
    );

    expect(outcome(result)).toBe("OK");
    expect(await ordersViewed(userId)).toEqual([
      { actorId: supportId, action: "ORDERS_VIEWED", subjectId: userId, detail: numbers(...orders) },
    ]);
  });

  it("keeps what earlier fields read when a later one fails and rolls its rewrite of the entry back", async () => {
    const { userId, orders } = await customerWithOrders(3);
    const [first, second, cancelled] = orders as [PlacedOrder, PlacedOrder, PlacedOrder];
    const { partnerId } = await partnerWithKey(t, admin);
    await admin.ok(`mutation ($id: ID!) { cancelOrder(orderId: $id) { status } }`, { id: cancelled.id });

    const result = await support.query(
      `mutation ($a: ID!, $b: ID!, $c: ID!, $p: ID!) {
        a: assignOrder(orderId: $a, partnerId: $p) { status }
        b: assignOrder(orderId: $b, partnerId: $p) { status }
        c: assignOrder(orderId: $c, partnerId: $p) { status }
      }`,
      { a: first.id, b: second.id, c: cancelled.id, p: partnerId },
    );

    // The cancelled order is CONFLICT: its transaction (its read and its rewrite of the entry)
    // rolled back and it showed nothing; the first two were assigned, and read.
    expect(result.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[["c"], "CONFLICT"]]);
    const statuses = await support.ok<{ a: { status: string }; b: { status: string } }>(
      `query ($a: ID!, $b: ID!) { a: order(id: $a) { status } b: order(id: $b) { status } }`,
      { a: first.id, b: second.id },
    );
    expect(statuses).toEqual({ a: { status: "ASSIGNED" }, b: { status: "ASSIGNED" } });
    const bySupport = (await ordersViewed(userId)).filter((e) => e.actorId === supportId);
    expect(bySupport.map((e) => e.detail)).toEqual([
      // Newest first: the check of the statuses just now, then the mutation.
      numbers(first, second),
      numbers(first, second),
    ]);
  });

  it("finds reads of orders whose owner switched history off by that person's id", async () => {
    const { client, userId, orders } = await customerWithOrders(2);
    await client.ok(`mutation { updateProfile(input: { keepOrderHistory: false }) { keepOrderHistory } }`);

    await support.ok(`query ($a: ID!, $b: ID!) { a: order(id: $a) { id } b: order(id: $b) { id } }`, {
      a: orders[0]!.id,
      b: orders[1]!.id,
    });

    expect(await ordersViewed(userId)).toEqual([
      { actorId: supportId, action: "ORDERS_VIEWED", subjectId: userId, detail: numbers(...orders) },
    ]);
    // Someone else's id finds nothing of hers.
    const other = await signedInCustomer(t);
    expect(await ordersViewed(other.userId)).toEqual([]);
  });
});
