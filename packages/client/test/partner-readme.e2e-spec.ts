import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { testDatabaseKinds } from "@honour/testing";
import {
  CheckPartnerSuppressionsDocument,
  HonourError,
  LoginDocument,
  PartnerDocument,
  PlaceOrderDocument,
  RegisterDocument,
  createHonourClient,
  type HonourClient,
} from "../src";
import { ADMIN, startGateway, type GatewayProcess } from "./support/gateway-process";

// Staff operations the package does not ship (the site may send its own documents).
const CreateProduct = parse(`
  mutation CreateProduct($input: CreateProductInput!) { createProduct(input: $input) { sku } }
`) as TypedDocumentNode<{ createProduct: { sku: string } }, { input: Record<string, unknown> }>;
const CreatePartner = parse(`
  mutation CreatePartner($input: CreatePartnerInput!) { createPartner(input: $input) { id } }
`) as TypedDocumentNode<{ createPartner: { id: string } }, { input: { name: string; contactEmail: string } }>;
const IssueKey = parse(`
  mutation IssueKey($partnerId: ID!) { issuePartnerApiKey(partnerId: $partnerId) { secret } }
`) as TypedDocumentNode<{ issuePartnerApiKey: { secret: string } }, { partnerId: string }>;
const AssignOrder = parse(`
  mutation AssignOrder($orderId: ID!, $partnerId: ID!) { assignOrder(orderId: $orderId, partnerId: $partnerId) { status } }
`) as TypedDocumentNode<{ assignOrder: { status: string } }, { orderId: string; partnerId: string }>;
// What a partner might write by hand: not one of the shipped (trusted) documents.
const AdHocPartnerOrders = parse(`
  query MyOwnPartnerOrders { partnerOrders(first: 5) { nodes { id contact { email } } } }
`) as TypedDocumentNode<{ partnerOrders: { nodes: { id: string }[] } }, Record<string, never>>;

async function rejection(promise: Promise<unknown>): Promise<HonourError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HonourError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe.each(testDatabaseKinds())("a partner following the README, against the built gateway on %s", (kind) => {
  let gateway: GatewayProcess;
  let admin: HonourClient;
  let apiKey: string;
  let partnerId: string;
  let orderId: string;

  beforeAll(async () => {
    // PARTNER_TRUSTED_DOCUMENTS_ONLY is left at its default (true).
    gateway = await startGateway(kind);
    admin = createHonourClient({ url: gateway.url });
    await admin.request(LoginDocument, { input: ADMIN });
    const { createProduct } = await admin.request(CreateProduct, {
      input: { sku: `README-${kind}`, name: "README licence", priceMinor: 900, kind: "LICENCE" },
    });
    ({
      createPartner: { id: partnerId },
    } = await admin.request(CreatePartner, {
      input: { name: "README Reseller", contactEmail: "ops@readme-reseller.example" },
    }));
    ({
      issuePartnerApiKey: { secret: apiKey },
    } = await admin.request(IssueKey, { partnerId }));

    const buyer = createHonourClient({ url: gateway.url });
    await buyer.request(RegisterDocument, {
      input: { email: `grace-${kind}@example.com`, password: "a-long-enough-password", name: "Grace Hopper" },
    });
    const { placeOrder } = await buyer.request(PlaceOrderDocument, {
      input: {
        lines: [{ sku: createProduct.sku, quantity: 1 }],
        contact: {
          name: "Grace Hopper",
          email: `grace-${kind}@example.com`,
          address: { line1: "1 Navy Yard", city: "Arlington", postcode: "22202", country: "US" },
        },
        payment: {
          cardNumber: "4929 3860 2561 4176",
          expiryMonth: 12,
          expiryYear: 2030,
          cvc: "847",
          cardholderName: "G HOPPER",
        },
      },
    });
    orderId = placeOrder.id;
    await admin.request(AssignOrder, { orderId, partnerId });
  });
  afterAll(() => gateway?.close());

  it("fetches the contact with a trusted document and is refused an ad-hoc query", async () => {
    // The README's partner example, as written there.
    const honour = createHonourClient({ url: gateway.url, apiKey });
    const contacts: (string | undefined)[] = [];
    for await (const order of honour.partnerOrders()) contacts.push(order.contact?.email);
    expect(contacts).toEqual([`grace-${kind}@example.com`]);
    expect((await honour.request(PartnerDocument)).partner.id).toBe(partnerId);
    const { checkPartnerSuppressions } = await honour.request(CheckPartnerSuppressionsDocument, {
      emails: [`grace-${kind}@example.com`],
    });
    expect(checkPartnerSuppressions).toEqual([{ email: `grace-${kind}@example.com`, suppressed: false, channels: [] }]);

    const refused = await rejection(honour.request(AdHocPartnerOrders));
    expect(refused.code).toBe("PERSISTED_QUERY_REQUIRED");
    // Turning trusted documents off in the client is refused the same way: the gateway decides.
    const untrusting = createHonourClient({ url: gateway.url, apiKey, trustedDocuments: false });
    expect((await rejection(untrusting.request(PartnerDocument))).code).toBe("PERSISTED_QUERY_REQUIRED");
  });
});
