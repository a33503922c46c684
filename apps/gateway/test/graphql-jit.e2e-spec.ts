import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import {
  addProducts,
  assignOrder,
  orderInput,
  partnerWithKey,
  placeOrder,
  signedInStaff,
} from "./support/orders-fixtures";
import { signedInAdmin, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

/**
 * The gateway executes through graphql-jit (apps/gateway/src/graphql/jit-executor.ts). Resolvers
 * that read the selection themselves must see what graphql-js would give them: a partner's read of
 * an order's contact records exactly the fields it asked for, through fragments, @skip and
 * @include on variables, with the same compiled document answering different variables.
 */
const PARTNER_CONTACT = /* GraphQL */ `
  query PartnerContact($skipPhone: Boolean!, $withAddress: Boolean!) {
    partnerOrders {
      nodes {
        id
        contact {
          phone @skip(if: $skipPhone)
          ...Who
          address @include(if: $withAddress) {
            city
          }
        }
      }
    }
  }
  fragment Who on OrderContact {
    name
  }
`;

describe.each(testDatabaseKinds())("GraphQL through graphql-jit on %s", (kind) => {
  let t: TestGateway;
  let admin: GraphQLTestClient;
  let partner: Awaited<ReturnType<typeof partnerWithKey>>;
  let orderId: string;

  beforeAll(async () => {
    t = await startTestGateway(kind);
    admin = await signedInAdmin(t);
    const support = (await signedInStaff(t, "SUPPORT")).client;
    const skus = await addProducts(admin, [{ kind: "SERVICE", priceMinor: 1500 }]);
    const buyer = (await signedInCustomer(t)).client;
    partner = await partnerWithKey(t, admin);
    orderId = (await placeOrder(buyer, orderInput(skus))).id;
    await assignOrder(support, orderId, partner.partnerId);
  });

  afterAll(async () => {
    await t?.close();
  });

  const disclosedFields = async (): Promise<string[][]> => {
    const data = await admin.ok<{ disclosures: { nodes: { fields: string[] }[] } }>(
      `query ($p: ID) { disclosures(partnerId: $p) { nodes { fields } } }`,
      { p: partner.partnerId },
    );
    return data.disclosures.nodes.map((n) => [...n.fields].sort());
  };

  it("records the contact fields a partner selected, per request, as the variables decide", async () => {
    const first = await partner.client.ok<{ partnerOrders: { nodes: unknown[] } }>(PARTNER_CONTACT, {
      skipPhone: true,
      withAddress: false,
    });
    expect(first.partnerOrders.nodes).toEqual([{ id: orderId, contact: { name: "Ada Lovelace" } }]);
    expect(await disclosedFields()).toEqual([["NAME"]]);

    const second = await partner.client.ok<{ partnerOrders: { nodes: unknown[] } }>(PARTNER_CONTACT, {
      skipPhone: false,
      withAddress: true,
    });
    expect(second.partnerOrders.nodes).toEqual([
      { id: orderId, contact: { phone: "+44 20 7946 0000", name: "Ada Lovelace", address: { city: "London" } } },
    ]);
    const recorded = await disclosedFields();
    expect(recorded).toHaveLength(2);
    expect(recorded).toContainEqual(["NAME"]);
    expect(recorded).toContainEqual(["ADDRESS", "NAME", "PHONE"]);
  });

  it("answers a variable of the wrong type as graphql-js does, BAD_USER_INPUT, without running anything", async () => {
    const result = await partner.client.query(PARTNER_CONTACT, { skipPhone: "yes", withAddress: false });
    // graphql-js's refusal, which the error formatter words without echoing the value.
    expect(result.errors?.[0]?.message).toBe('Variable "$skipPhone" has an invalid value at "skipPhone".');
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await disclosedFields()).toHaveLength(2);
  });
});
