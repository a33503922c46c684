import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import {
  CloseAccountDocument,
  HonourError,
  LoginDocument,
  LogoutDocument,
  MarkOrderFulfilledDocument,
  MeDocument,
  MyPreferencesDocument,
  PlaceOrderDocument,
  ProductsDocument,
  RegisterDocument,
  SetPreferencesDocument,
  createHonourClient,
  type HonourClient,
  type PlaceOrderInput,
} from "../src";
import { syncPartner, type SyncState } from "../examples/partner-sync";
import { ADMIN, startGateway, type GatewayProcess } from "./support/gateway-process";

// Staff operations the package does not ship, typed here the way a caller would.
const CreateProduct = parse(`
  mutation CreateProduct($input: CreateProductInput!) { createProduct(input: $input) { sku } }
`) as TypedDocumentNode<
  { createProduct: { sku: string } },
  { input: { sku: string; name: string; priceMinor: number; kind: "LICENCE" | "SUBSCRIPTION" | "SERVICE" } }
>;
const CreatePartner = parse(`
  mutation CreatePartner($input: CreatePartnerInput!) { createPartner(input: $input) { id } }
`) as TypedDocumentNode<{ createPartner: { id: string } }, { input: { name: string; contactEmail: string } }>;
const IssueKey = parse(`
  mutation IssueKey($partnerId: ID!) { issuePartnerApiKey(partnerId: $partnerId) { secret } }
`) as TypedDocumentNode<{ issuePartnerApiKey: { secret: string } }, { partnerId: string }>;
const AssignOrder = parse(`
  mutation AssignOrder($orderId: ID!, $partnerId: ID!) { assignOrder(orderId: $orderId, partnerId: $partnerId) { status } }
`) as TypedDocumentNode<{ assignOrder: { status: string } }, { orderId: string; partnerId: string }>;

let seq = 0;
function registration() {
  seq += 1;
  return {
    email: `person-${Date.now().toString(36)}-${seq}@client.example.com`,
    password: "a-long-enough-password",
    name: `Person ${seq}`,
  };
}

function orderInput(sku: string, n: number): PlaceOrderInput {
  return {
    lines: [{ sku, quantity: n }],
    contact: {
      name: "Ada Lovelace",
      email: "ada@example.com",
      phone: "+44 20 7946 0000",
      address: { line1: "12 St James's Square", city: "London", postcode: "SW1Y 4JH", country: "GB" },
    },
    payment: {
      cardNumber: "4929 3860 2561 4176",
      expiryMonth: 12,
      expiryYear: 2030,
      cvc: "847",
      cardholderName: "A LOVELACE",
    },
  };
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("the fetch client against the real gateway", () => {
  let gateway: GatewayProcess;
  let admin: HonourClient;
  let sku: string;

  beforeAll(async () => {
    gateway = await startGateway();
    admin = createHonourClient({ url: gateway.url });
    await admin.request(LoginDocument, { input: ADMIN });
    sku = (
      await admin.request(CreateProduct, {
        input: { sku: "CLIENT-LICENCE-1", name: "Client test licence", priceMinor: 1500, kind: "LICENCE" },
      })
    ).createProduct.sku;
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it("registers, then reads me with the session cookie it kept", async () => {
    const honour = createHonourClient({ url: gateway.url });
    const input = registration();
    const { register } = await honour.request(RegisterDocument, { input });
    expect(register.user.email).toBe(input.email);

    const { me } = await honour.request(MeDocument);
    expect(me?.id).toBe(register.user.id);
    expect(me?.role).toBe("CUSTOMER");

    // Another client has no cookie, and logout clears this one's.
    expect((await createHonourClient({ url: gateway.url }).request(MeDocument)).me).toBeNull();
    expect((await honour.request(LogoutDocument)).logout).toBe(true);
    expect((await honour.request(MeDocument)).me).toBeNull();
  });

  it("turns BAD_USER_INPUT into a HonourError with its code and fields", async () => {
    const honour = createHonourClient({ url: gateway.url });
    const error = await rejection(
      honour.request(RegisterDocument, { input: { email: "not-an-email", password: "short", name: "X" } }),
    );
    expect(error).toBeInstanceOf(HonourError);
    const honourError = error as HonourError;
    expect(honourError.code).toBe("BAD_USER_INPUT");
    expect(honourError.fields.map((f) => f.field)).toEqual(expect.arrayContaining(["input.email", "input.password"]));
  });

  it("turns a signed-out call of a signed-in operation into UNAUTHENTICATED", async () => {
    const honour = createHonourClient({ url: gateway.url });
    const error = await rejection(honour.request(MyPreferencesDocument));
    expect((error as HonourError).code).toBe("UNAUTHENTICATED");
  });

  it("sets and reads preferences; an unverified address's email grant is pending", async () => {
    const honour = createHonourClient({ url: gateway.url });
    await honour.request(RegisterDocument, { input: registration() });
    const { setPreferences } = await honour.request(SetPreferencesDocument, {
      input: [
        { topic: "NEWSLETTER", channel: "EMAIL", granted: true },
        { topic: "NEWSLETTER", channel: "MAIL", granted: true },
      ],
    });
    expect(setPreferences).toContainEqual(
      expect.objectContaining({ topic: "NEWSLETTER", channel: "MAIL", granted: true, pending: false }),
    );
    // Double opt-in: granted only once the address is verified through the welcome mail's link.
    expect(setPreferences).toContainEqual(
      expect.objectContaining({ topic: "NEWSLETTER", channel: "EMAIL", granted: false, pending: true }),
    );
    const { myPreferences } = await honour.request(MyPreferencesDocument);
    expect(myPreferences).toContainEqual(
      expect.objectContaining({ topic: "NEWSLETTER", channel: "EMAIL", granted: false, pending: true }),
    );
  });

  it("lists the catalogue without signing in", async () => {
    const { products } = await createHonourClient({ url: gateway.url }).request(ProductsDocument, { first: 100 });
    expect(products.nodes.map((p) => p.sku)).toContain(sku);
  });

  it("iterates myOrders across pages, newest first", async () => {
    const honour = createHonourClient({ url: gateway.url });
    await honour.request(RegisterDocument, { input: registration() });
    const placed: string[] = [];
    for (let n = 1; n <= 5; n += 1) {
      placed.push((await honour.request(PlaceOrderDocument, { input: orderInput(sku, n) })).placeOrder.number);
    }

    const pages = await collect(honour.myOrderPages({ pageSize: 2 }));
    expect(pages.map((page) => page.nodes.length)).toEqual([2, 2, 1]);

    const orders = await collect(honour.myOrders({ pageSize: 2 }));
    expect(orders.map((order) => order.number)).toEqual([...placed].reverse());
    expect(orders[0]!.payment?.last4).toBe("4176");
    expect(orders[0]!.totalMinor).toBe(5 * 1500);
  });

  it("lets a partner iterate its assigned orders with its API key, sync them, and apply an erasure", async () => {
    const { createPartner } = await admin.request(CreatePartner, {
      input: { name: "Client Test Reseller", contactEmail: "ops@reseller.example.com" },
    });
    const { issuePartnerApiKey } = await admin.request(IssueKey, { partnerId: createPartner.id });

    const buyer = createHonourClient({ url: gateway.url });
    const input = registration();
    await buyer.request(RegisterDocument, { input });
    const orders = [];
    for (let n = 1; n <= 3; n += 1) {
      const { placeOrder } = await buyer.request(PlaceOrderDocument, { input: orderInput(sku, n) });
      await admin.request(AssignOrder, { orderId: placeOrder.id, partnerId: createPartner.id });
      orders.push(placeOrder);
    }

    const partner = createHonourClient({ url: gateway.url, apiKey: issuePartnerApiKey.secret });
    const assigned = await collect(partner.partnerOrders({ pageSize: 2 }));
    expect(assigned.map((order) => order.number)).toEqual(orders.map((order) => order.number).reverse());
    expect(assigned.every((order) => order.contact?.email === "ada@example.com")).toBe(true);

    // A person's session cannot read partner orders.
    expect(((await rejection(collect(buyer.partnerOrders()))) as HonourError).code).toBe("FORBIDDEN");

    // The example script: processes all three, saving the cursor after each page.
    const dir = mkdtempSync(join(tmpdir(), "honour-partner-sync-"));
    try {
      const stateFile = join(dir, "state.json");
      const lines: string[] = [];
      const options = {
        url: gateway.url,
        apiKey: issuePartnerApiKey.secret,
        stateFile,
        pageSize: 2,
        log: (l: string) => lines.push(l),
      };
      expect(await syncPartner(options)).toEqual({ processed: 3, erased: 0, pages: 2 });
      let state = JSON.parse(readFileSync(stateFile, "utf8")) as SyncState;
      expect(Object.keys(state.orders).sort()).toEqual(orders.map((order) => order.id).sort());
      expect(state.cursor).toBeNull();

      // Fulfilled orders leave the ASSIGNED list; a second run finds nothing new.
      const { markOrderFulfilled } = await partner.request(MarkOrderFulfilledDocument, { orderId: orders[0]!.id });
      expect(markOrderFulfilled.status).toBe("FULFILLED");
      expect(markOrderFulfilled.licences).toHaveLength(1);
      expect((await syncPartner(options)).processed).toBe(0);

      // The buyer closes the account: the partner is told, and the sync deletes its copies.
      expect((await buyer.request(CloseAccountDocument, { password: input.password })).closeAccount).toBe(true);
      const notices = await collect(partner.partnerErasureNotices());
      expect(notices).toHaveLength(1);
      expect([...notices[0]!.orderNumbers].sort()).toEqual(orders.map((order) => order.number).sort());

      expect(await syncPartner(options)).toEqual({ processed: 0, erased: 3, pages: 1 });
      state = JSON.parse(readFileSync(stateFile, "utf8")) as SyncState;
      expect(state.orders).toEqual({});
      expect(state.noticesSince).toBe(notices[0]!.erasedAt);
      // The same notice, delivered again, is not applied twice.
      expect((await syncPartner(options)).erased).toBe(0);
      expect(lines.filter((l) => l.startsWith("order "))).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers UNAUTHENTICATED for an unknown partner key", async () => {
    const partner = createHonourClient({ url: gateway.url, apiKey: "hpk_000000000000_not-a-real-key" });
    const error = await rejection(collect(partner.partnerOrders()));
    expect((error as HonourError).code).toBe("UNAUTHENTICATED");
  });
});
