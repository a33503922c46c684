import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import {
  PLACE_ORDER,
  addProducts,
  assignOrder,
  orderInput,
  outcome,
  partnerWithKey,
  placeOrder,
  signedInStaff,
  unique,
} from "./support/orders-fixtures";
import { signedInAdmin, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

/** Everyone who may call the API, as the issue lists them (and SECURITY, which the log is for). */
const CALLERS = [
  "anonymous",
  "customerA",
  "customerB",
  "partnerA",
  "partnerB",
  "revokedKey",
  "support",
  "security",
  "admin",
] as const;
type Caller = (typeof CALLERS)[number];
type Answer = "OK" | "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND";

/** One operation: how to call it (with fresh fixtures when it changes state) and who gets what. */
interface Operation {
  name: string;
  query: string;
  variables: (caller: Caller) => Promise<Record<string, unknown>>;
  answers: Record<Caller, Answer>;
}

const NOBODY_ELSE = {
  anonymous: "UNAUTHENTICATED",
  customerA: "FORBIDDEN",
  customerB: "FORBIDDEN",
  partnerA: "FORBIDDEN",
  partnerB: "FORBIDDEN",
  revokedKey: "UNAUTHENTICATED",
  support: "FORBIDDEN",
  security: "FORBIDDEN",
  admin: "FORBIDDEN",
} as const satisfies Record<Caller, Answer>;

describe.each(testDatabaseKinds())("who may do what with orders, over HTTP on %s", (kind) => {
  let t: TestGateway;
  const clients = {} as Record<Caller, GraphQLTestClient>;
  let partnerA: Awaited<ReturnType<typeof partnerWithKey>>;
  let skus: string[];
  let productId: string;
  let orderOfA: string;
  let customerA: GraphQLTestClient;

  /** A new paid order of customer A's, assigned to partner A when asked. */
  async function freshOrder(assigned: boolean): Promise<string> {
    const order = await placeOrder(customerA, orderInput([skus[0]!]));
    if (assigned) await assignOrder(clients.support, order.id, partnerA.partnerId);
    return order.id;
  }

  beforeAll(async () => {
    t = await startTestGateway(kind);
    const admin = await signedInAdmin(t);
    clients.admin = admin;
    clients.support = (await signedInStaff(t, "SUPPORT")).client;
    clients.security = (await signedInStaff(t, "SECURITY")).client;
    customerA = (await signedInCustomer(t)).client;
    clients.customerA = customerA;
    clients.customerB = (await signedInCustomer(t)).client;
    clients.anonymous = t.client();
    partnerA = await partnerWithKey(t, admin);
    clients.partnerA = partnerA.client;
    clients.partnerB = (await partnerWithKey(t, admin)).client;
    const revoked = await partnerWithKey(t, admin);
    await admin.ok(`mutation ($id: ID!) { revokePartnerApiKey(id: $id) }`, { id: revoked.key.id });
    clients.revokedKey = revoked.client;

    skus = await addProducts(admin, [{ kind: "LICENCE", priceMinor: 2500 }]);
    const products = await admin.ok<{ products: { nodes: { id: string; sku: string }[] } }>(
      `{ products(first: 100) { nodes { id sku } } }`,
    );
    productId = products.products.nodes.find((p) => p.sku === skus[0])!.id;
    await placeOrder(customerA, orderInput([skus[0]!], { saveBillingDetails: true }));
    orderOfA = await freshOrder(true);
  });
  afterAll(async () => {
    await t?.close();
  });

  const none = async () => ({});
  const operations: Operation[] = [
    {
      name: "products",
      query: `{ products { nodes { id sku priceMinor } } }`,
      variables: none,
      answers: {
        anonymous: "OK",
        customerA: "OK",
        customerB: "OK",
        partnerA: "OK",
        partnerB: "OK",
        revokedKey: "UNAUTHENTICATED",
        support: "OK",
        security: "OK",
        admin: "OK",
      },
    },
    {
      name: "createProduct",
      query: `mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
      variables: async () => ({ input: { sku: unique("NEW"), name: "New", priceMinor: 100, kind: "SERVICE" } }),
      answers: { ...NOBODY_ELSE, admin: "OK" },
    },
    {
      name: "updateProduct",
      query: `mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }`,
      variables: async () => ({ id: productId, input: { description: "Updated" } }),
      answers: { ...NOBODY_ELSE, admin: "OK" },
    },
    {
      name: "placeOrder",
      query: PLACE_ORDER,
      variables: async () => ({ input: orderInput([skus[0]!]) }),
      answers: {
        anonymous: "OK",
        customerA: "OK",
        customerB: "OK",
        partnerA: "FORBIDDEN",
        partnerB: "FORBIDDEN",
        revokedKey: "UNAUTHENTICATED",
        support: "OK",
        security: "OK",
        admin: "OK",
      },
    },
    {
      name: "myOrders",
      query: `{ myOrders { nodes { id } } }`,
      variables: none,
      answers: {
        anonymous: "UNAUTHENTICATED",
        customerA: "OK",
        customerB: "OK",
        partnerA: "FORBIDDEN",
        partnerB: "FORBIDDEN",
        revokedKey: "UNAUTHENTICATED",
        support: "OK",
        security: "OK",
        admin: "OK",
      },
    },
    {
      name: "order (customer A's, assigned to partner A)",
      query: `query ($id: ID!) { order(id: $id) { id number lines { sku } licences { serial } } }`,
      variables: async () => ({ id: orderOfA }),
      answers: {
        anonymous: "UNAUTHENTICATED",
        customerA: "OK",
        customerB: "NOT_FOUND",
        partnerA: "OK",
        partnerB: "NOT_FOUND",
        revokedKey: "UNAUTHENTICATED",
        support: "OK",
        security: "NOT_FOUND",
        admin: "OK",
      },
    },
    {
      name: "order.contact",
      query: `query ($id: ID!) { order(id: $id) { contact { name email } } }`,
      variables: async () => ({ id: orderOfA }),
      answers: {
        anonymous: "UNAUTHENTICATED",
        customerA: "OK",
        customerB: "NOT_FOUND",
        partnerA: "OK",
        partnerB: "NOT_FOUND",
        revokedKey: "UNAUTHENTICATED",
        support: "OK",
        security: "NOT_FOUND",
        admin: "OK",
      },
    },
    {
      name: "order.payment",
      query: `query ($id: ID!) { order(id: $id) { payment { last4 } } }`,
      variables: async () => ({ id: orderOfA }),
      answers: {
        anonymous: "UNAUTHENTICATED",
        customerA: "OK",
        customerB: "NOT_FOUND",
        partnerA: "FORBIDDEN",
        partnerB: "NOT_FOUND",
        revokedKey: "UNAUTHENTICATED",
        support: "OK",
        security: "NOT_FOUND",
        admin: "OK",
      },
    },
    {
      name: "order.disclosures",
      query: `query ($id: ID!) { order(id: $id) { disclosures { partnerName } } }`,
      variables: async () => ({ id: orderOfA }),
      answers: {
        anonymous: "UNAUTHENTICATED",
        customerA: "OK",
        customerB: "NOT_FOUND",
        partnerA: "FORBIDDEN",
        partnerB: "NOT_FOUND",
        revokedKey: "UNAUTHENTICATED",
        support: "OK",
        security: "NOT_FOUND",
        admin: "OK",
      },
    },
    {
      name: "orders",
      query: `{ orders(status: ASSIGNED) { nodes { id } } }`,
      variables: none,
      answers: { ...NOBODY_ELSE, support: "OK", admin: "OK" },
    },
    {
      name: "assignOrder",
      query: `mutation ($o: ID!, $p: ID!) { assignOrder(orderId: $o, partnerId: $p) { status } }`,
      variables: async () => ({ o: await freshOrder(false), p: partnerA.partnerId }),
      answers: { ...NOBODY_ELSE, support: "OK", admin: "OK" },
    },
    {
      name: "cancelOrder",
      query: `mutation ($id: ID!) { cancelOrder(orderId: $id) { status } }`,
      variables: async () => ({ id: await freshOrder(false) }),
      answers: { ...NOBODY_ELSE, support: "OK", admin: "OK" },
    },
    {
      name: "createPartner",
      query: `mutation ($input: CreatePartnerInput!) { createPartner(input: $input) { id } }`,
      variables: async () => ({ input: { name: unique("P"), contactEmail: "p@partner.example" } }),
      answers: { ...NOBODY_ELSE, admin: "OK" },
    },
    {
      name: "partners",
      query: `{ partners { nodes { id name } } }`,
      variables: none,
      answers: { ...NOBODY_ELSE, support: "OK", admin: "OK" },
    },
    {
      name: "setPartnerActive",
      query: `mutation ($id: ID!) { setPartnerActive(partnerId: $id, active: true) { active } }`,
      variables: async () => ({ id: partnerA.partnerId }),
      answers: { ...NOBODY_ELSE, admin: "OK" },
    },
    {
      name: "issuePartnerApiKey",
      query: `mutation ($id: ID!) { issuePartnerApiKey(partnerId: $id) { id prefix secret } }`,
      variables: async () => ({ id: partnerA.partnerId }),
      answers: { ...NOBODY_ELSE, admin: "OK" },
    },
    {
      name: "revokePartnerApiKey",
      query: `mutation ($id: ID!) { revokePartnerApiKey(id: $id) }`,
      variables: async () => {
        const issued = await clients.admin.ok<{ issuePartnerApiKey: { id: string } }>(
          `mutation ($id: ID!) { issuePartnerApiKey(partnerId: $id) { id } }`,
          { id: partnerA.partnerId },
        );
        return { id: issued.issuePartnerApiKey.id };
      },
      answers: { ...NOBODY_ELSE, admin: "OK" },
    },
    {
      name: "disclosures",
      query: `query ($p: ID) { disclosures(partnerId: $p) { nodes { id } } }`,
      variables: async () => ({ p: partnerA.partnerId }),
      answers: { ...NOBODY_ELSE, support: "OK", security: "OK", admin: "OK" },
    },
    {
      name: "partnerOrders",
      query: `{ partnerOrders { nodes { id } } }`,
      variables: none,
      answers: {
        anonymous: "UNAUTHENTICATED",
        customerA: "FORBIDDEN",
        customerB: "FORBIDDEN",
        partnerA: "OK",
        partnerB: "OK",
        revokedKey: "UNAUTHENTICATED",
        support: "FORBIDDEN",
        security: "FORBIDDEN",
        admin: "FORBIDDEN",
      },
    },
    {
      name: "markOrderFulfilled (an order assigned to partner A)",
      query: `mutation ($id: ID!) { markOrderFulfilled(orderId: $id) { status } }`,
      variables: async () => ({ id: await freshOrder(true) }),
      answers: { ...NOBODY_ELSE, partnerA: "OK", partnerB: "NOT_FOUND" },
    },
    {
      name: "me.savedPaymentMethods",
      query: `{ me { savedPaymentMethods { last4 } } }`,
      variables: none,
      answers: {
        anonymous: "OK",
        customerA: "OK",
        customerB: "OK",
        partnerA: "OK",
        partnerB: "OK",
        revokedKey: "UNAUTHENTICATED",
        support: "OK",
        security: "OK",
        admin: "OK",
      },
    },
    {
      name: "users.savedPaymentMethods",
      query: `{ users(first: 100) { nodes { savedPaymentMethods { last4 } } } }`,
      variables: none,
      answers: { ...NOBODY_ELSE, support: "OK", admin: "OK" },
    },
    {
      name: "deleteSavedPaymentMethod (customer A's card)",
      query: `mutation ($id: ID!) { deleteSavedPaymentMethod(id: $id) }`,
      variables: async () => {
        const mine = await customerA.ok<{ me: { savedPaymentMethods: { id: string }[] } }>(
          `{ me { savedPaymentMethods { id } } }`,
        );
        return { id: mine.me.savedPaymentMethods[0]?.id ?? "0190a000-0000-7000-8000-000000000001" };
      },
      answers: {
        anonymous: "UNAUTHENTICATED",
        // Run before customer A below: nobody else's call may delete (or reveal) A's card.
        customerB: "NOT_FOUND",
        partnerA: "FORBIDDEN",
        partnerB: "FORBIDDEN",
        revokedKey: "UNAUTHENTICATED",
        support: "NOT_FOUND",
        security: "NOT_FOUND",
        admin: "NOT_FOUND",
        customerA: "OK",
      },
    },
  ];

  it.each(operations.map((op) => [op.name, op] as const))("%s", async (_name, op) => {
    expect(Object.keys(op.answers).sort()).toEqual([...CALLERS].sort());
    const answers: Partial<Record<Caller, string>> = {};
    for (const caller of Object.keys(op.answers) as Caller[]) {
      answers[caller] = outcome(await clients[caller].query(op.query, await op.variables(caller)));
    }
    expect(answers).toEqual(op.answers);
  });

  it("answers a revoked key with 401 on every operation, public ones included", async () => {
    for (const op of operations) {
      const result = await clients.revokedKey.query(op.query, await none());
      expect([op.name, result.status, outcome(result)]).toEqual([op.name, 401, "UNAUTHENTICATED"]);
    }
  });

  it("gives partners' refusals of single fields as null data with FORBIDDEN, keeping the rest", async () => {
    const result = await clients.partnerA.query<{ order: Record<string, unknown> }>(
      `query ($id: ID!) { order(id: $id) { id payment { last4 } disclosures { at } contact { name } } }`,
      { id: orderOfA },
    );
    expect(result.data?.order).toEqual({
      id: orderOfA,
      payment: null,
      disclosures: null,
      contact: { name: "Ada Lovelace" },
    });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN", "FORBIDDEN"]);
  });
});
