import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import {
  AMEX,
  CONTACT,
  DECLINED_CARD,
  PLACE_ORDER,
  VISA,
  addProducts,
  assignOrder,
  cardDataHits,
  countRows,
  everyStoredValue,
  orderInput,
  outcome,
  partnerWithKey,
  placeOrder,
  signedInStaff,
  statementsDuring,
  unique,
  type PlacedOrder,
} from "./support/orders-fixtures";
import { signedInAdmin, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

/**
 * Numbers in every log line (time, process id, duration, request counter) that could spell a CVC
 * by chance; left out before scanning the log for card data.
 */
const LOG_NUMBERS = /"(time|pid|ms|responseTime)":\d+|"(reqId|id)":"req-\d+"/g;

interface FieldError {
  field: string;
  message: string;
}

describe.each(testDatabaseKinds())("orders over HTTP on %s", (kind) => {
  let t: TestGateway;
  let admin: GraphQLTestClient;
  let support: GraphQLTestClient;
  let licence: string;
  let service: string;
  let subscription: string;

  beforeAll(async () => {
    t = await startTestGateway(kind);
    admin = await signedInAdmin(t);
    support = (await signedInStaff(t, "SUPPORT")).client;
    [licence, service, subscription] = await addProducts(admin, [
      { kind: "LICENCE", priceMinor: 4999 },
      { kind: "SERVICE", priceMinor: 1500 },
      { kind: "SUBSCRIPTION", priceMinor: 999 },
    ]);
  });
  afterAll(async () => {
    await t?.close();
  });

  const orderCount = () => countRows(t.gateway.dataSource, "customer_order");

  it("places an order priced by the server, and shows it in the buyer's history", async () => {
    const { client } = await signedInCustomer(t);

    const order = await placeOrder(
      client,
      orderInput([], {
        lines: [
          { sku: licence, quantity: 2 },
          { sku: service.toLowerCase(), quantity: 1 },
        ],
      }),
    );

    expect(order).toMatchObject({
      number: expect.stringMatching(/^HON-\d{6,}$/),
      status: "PAID",
      totalMinor: 2 * 4999 + 1500,
      currency: "GBP",
      payment: { brand: "VISA", last4: "4176", expiryMonth: 12, expiryYear: 2030 },
    });
    const history = await client.ok<{ myOrders: { nodes: { id: string; number: string }[] } }>(
      `{ myOrders { nodes { id number } } }`,
    );
    expect(history.myOrders.nodes).toEqual([{ id: order.id, number: order.number }]);
  });

  it("takes a guest's order", async () => {
    const order = await placeOrder(t.client(), orderInput([service]));
    expect(order).toMatchObject({ status: "PAID", totalMinor: 1500 });
  });

  it("answers a declined card with PAYMENT_DECLINED and leaves no order behind", async () => {
    const before = await orderCount();
    const result = await t.client().query(PLACE_ORDER, {
      input: orderInput([licence], {
        payment: { cardNumber: DECLINED_CARD, expiryMonth: 1, expiryYear: 2031, cvc: "123", cardholderName: "X" },
      }),
    });
    expect(outcome(result)).toBe("PAYMENT_DECLINED");
    expect(result.data).toBeNull();
    expect(await orderCount()).toBe(before);
  });

  describe("bad input: BAD_USER_INPUT naming the field, and nothing stored", () => {
    const long = "x".repeat(10_000);
    const card = orderInput([]).payment as Record<string, unknown>;
    const cases: [string, () => Record<string, unknown>, string[]][] = [
      ["an unknown SKU", () => orderInput(["NO-SUCH-SKU"]), ["input.lines.0.sku"]],
      ["quantity 0", () => orderInput([], { lines: [{ sku: licence, quantity: 0 }] }), ["input.lines.0.quantity"]],
      [
        "quantity 10 000",
        () => orderInput([], { lines: [{ sku: licence, quantity: 10_000 }] }),
        ["input.lines.0.quantity"],
      ],
      ["51 lines", () => orderInput(Array.from({ length: 51 }, () => licence)), ["input.lines"]],
      ["no lines", () => orderInput([]), ["input.lines"]],
      [
        "an expired card",
        () => orderInput([licence], { payment: { ...card, expiryMonth: 1, expiryYear: 2020 } }),
        ["input.payment.expiryMonth", "input.payment.expiryYear"],
      ],
      [
        "a card number failing the Luhn check",
        () => orderInput([licence], { payment: { ...card, cardNumber: "4929 3860 2561 4173" } }),
        ["input.payment.cardNumber"],
      ],
      ["a wrong CVC", () => orderInput([licence], { payment: { ...card, cvc: "84" } }), ["input.payment.cvc"]],
      [
        "both a card and a saved card",
        () =>
          orderInput([licence], { payment: { ...card, savedPaymentMethodId: "0190a000-0000-7000-8000-000000000001" } }),
        ["input.payment"],
      ],
      [
        "missing contact fields",
        () =>
          orderInput([licence], {
            contact: { phone: null, address: { line1: "1 Road", country: "GB" } },
          }),
        ["input.contact.name", "input.contact.email", "input.contact.address.city", "input.contact.address.postcode"],
      ],
      ["no contact at all", () => ({ lines: [{ sku: licence, quantity: 1 }], payment: card }), ["input.contact"]],
      [
        "10 000-character strings",
        () =>
          orderInput([], {
            lines: [{ sku: long, quantity: 1 }],
            contact: { ...CONTACT, name: long, organisation: long, address: { ...CONTACT.address, line1: long } },
            payment: { ...card, cardholderName: long, cardNumber: long },
            idempotencyKey: long,
          }),
        [
          "input.lines.0.sku",
          "input.contact.name",
          "input.contact.organisation",
          "input.contact.address.line1",
          "input.payment.cardNumber",
          "input.payment.cardholderName",
          "input.idempotencyKey",
        ],
      ],
      [
        "a country that is not ISO 3166",
        () => orderInput([licence], { contact: { ...CONTACT, address: { ...CONTACT.address, country: "UK" } } }),
        ["input.contact.address.country"],
      ],
    ];

    it.each(cases)("%s", async (_what, input, fields) => {
      const before = await orderCount();
      const { client } = await signedInCustomer(t);

      const result = await client.query(PLACE_ORDER, { input: input() });

      expect(outcome(result)).toBe("BAD_USER_INPUT");
      const reported = (result.errors![0]!.extensions!.fields as FieldError[]).map((f) => f.field);
      expect(reported).toEqual(fields);
      for (const field of fields) expect(result.errors![0]!.message).toContain(field);
      expect(await orderCount()).toBe(before);
      // The answer never repeats the card.
      expect(cardDataHits([{ where: "response", value: JSON.stringify(result) }], VISA)).toEqual([]);
    });
  });

  it("answers an unknown SKU and a bad card in one BAD_USER_INPUT listing every field, never the card", async () => {
    const before = await orderCount();
    const { client } = await signedInCustomer(t);
    const bad = { digits: "4929386025614173", cvc: "58" };

    const result = await client.query(PLACE_ORDER, {
      input: orderInput([], {
        lines: [
          { sku: unique("NO-SUCH"), quantity: 1 },
          { sku: licence, quantity: 0 },
          { sku: service, quantity: 1 },
        ],
        contact: { ...CONTACT, address: { ...CONTACT.address, city: " " } },
        payment: {
          cardNumber: "4929 3860 2561 4173",
          expiryMonth: 13,
          expiryYear: 2030,
          cvc: bad.cvc,
          cardholderName: "A",
        },
      }),
    });

    expect(outcome(result)).toBe("BAD_USER_INPUT");
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions!.fields).toEqual([
      { field: "input.lines.0.sku", message: "is not a product on sale" },
      { field: "input.lines.1.quantity", message: expect.any(String) },
      { field: "input.contact.address.city", message: expect.any(String) },
      { field: "input.payment.cardNumber", message: expect.any(String) },
      { field: "input.payment.expiryMonth", message: expect.any(String) },
      { field: "input.payment.cvc", message: expect.any(String) },
    ]);
    const answer = JSON.stringify(result);
    expect(cardDataHits([{ where: "response", value: answer }], bad)).toEqual([]);
    expect(answer).not.toContain("4173");
    expect(await orderCount()).toBe(before);

    // With the card fixed, the unknown SKU is still the first thing named, and nothing is charged.
    const again = await client.query(PLACE_ORDER, { input: orderInput([unique("NO-SUCH"), service]) });
    expect((again.errors![0]!.extensions!.fields as FieldError[]).map((f) => f.field)).toEqual(["input.lines.0.sku"]);
    expect(await orderCount()).toBe(before);
  });

  describe("idempotency", () => {
    it("returns the same order for the same key, and makes no second one", async () => {
      const { client } = await signedInCustomer(t);
      const input = orderInput([licence, service], { idempotencyKey: unique("checkout") });
      const before = await orderCount();

      const first = await placeOrder(client, input);
      const second = await placeOrder(client, input);

      expect(second).toEqual(first);
      expect(await orderCount()).toBe(before + 1);
    });

    it("answers CONFLICT when the key comes back with a different order", async () => {
      const { client } = await signedInCustomer(t);
      const key = unique("checkout");
      await placeOrder(client, orderInput([licence], { idempotencyKey: key }));
      const again = await client.query(PLACE_ORDER, { input: orderInput([service], { idempotencyKey: key }) });
      expect(outcome(again)).toBe("CONFLICT");
    });

    (kind === "mysql" ? it : it.skip)("makes one order of concurrent requests with one key", async () => {
      const { client } = await signedInCustomer(t);
      const input = orderInput([licence, subscription], { idempotencyKey: unique("double-click") });
      const before = await orderCount();

      const results = await Promise.all(
        Array.from({ length: 6 }, () => client.query<{ placeOrder: PlacedOrder }>(PLACE_ORDER, { input })),
      );

      expect(results.map(outcome)).toEqual(Array(6).fill("OK"));
      expect(new Set(results.map((r) => r.data!.placeOrder.id)).size).toBe(1);
      expect(await orderCount()).toBe(before + 1);
    });
  });

  describe("the partner flow", () => {
    it("assigns, shares only what fulfilment needs, records each read, and ends access on fulfilment", async () => {
      const { client: buyer } = await signedInCustomer(t);
      const order = await placeOrder(
        buyer,
        orderInput([], {
          lines: [
            { sku: licence, quantity: 2 },
            { sku: service, quantity: 1 },
          ],
        }),
      );
      const alpha = await partnerWithKey(t, admin);
      const beta = await partnerWithKey(t, admin);
      await assignOrder(support, order.id, alpha.partnerId);

      const READ = `query ($id: ID!) { order(id: $id) { number status lines { sku quantity } contact { name email address { city } } licences { serial } partner { name } } }`;
      const read = await alpha.client.ok<{ order: Record<string, unknown> }>(READ, { id: order.id });
      expect(read.order).toMatchObject({
        number: order.number,
        status: "ASSIGNED",
        contact: { name: CONTACT.name, email: CONTACT.email, address: { city: "London" } },
        partner: { name: alpha.name },
      });

      const refused = await alpha.client.query<{ order: Record<string, unknown> }>(
        `query ($id: ID!) { order(id: $id) { number payment { last4 } disclosures { at } } }`,
        { id: order.id },
      );
      expect(refused.errors?.map((e) => [e.path?.join("."), e.extensions?.code])).toEqual([
        ["order.payment", "FORBIDDEN"],
        ["order.disclosures", "FORBIDDEN"],
      ]);
      expect(refused.data?.order).toEqual({ number: order.number, payment: null, disclosures: null });

      const other = await beta.client.query(READ, { id: order.id });
      const missing = await beta.client.query(READ, { id: "0190a000-0000-7000-8000-000000000001" });
      expect(outcome(other)).toBe("NOT_FOUND");
      expect(other.errors).toEqual(missing.errors);

      const mine = await buyer.ok<{
        order: { disclosures: { partnerName: string; purpose: string; at: string; fields: string[] }[] };
      }>(`query ($id: ID!) { order(id: $id) { disclosures { partnerName purpose at fields } } }`, { id: order.id });
      expect(mine.order.disclosures).toEqual([
        {
          partnerName: alpha.name,
          purpose: "ORDER_FULFILMENT",
          at: expect.any(String),
          fields: ["NAME", "EMAIL", "ADDRESS"],
        },
      ]);
      const log = await support.ok<{ disclosures: { nodes: { orderId: string }[] } }>(
        `query ($p: ID) { disclosures(partnerId: $p) { nodes { orderId } } }`,
        { p: alpha.partnerId },
      );
      expect(log.disclosures.nodes).toEqual([{ orderId: order.id }]);

      const done = await alpha.client.ok<{ markOrderFulfilled: { status: string; licences: { serial: string }[] } }>(
        `mutation ($id: ID!) { markOrderFulfilled(orderId: $id) { status licences { serial } } }`,
        { id: order.id },
      );
      expect(done.markOrderFulfilled.status).toBe("FULFILLED");
      expect(done.markOrderFulfilled.licences).toHaveLength(2);
      const after = await alpha.client.query(`query ($id: ID!) { order(id: $id) { contact { name } } }`, {
        id: order.id,
      });
      expect(outcome(after)).toBe("FORBIDDEN");

      const bought = await buyer.ok<{ order: { licences: { sku: string; serial: string; controlCode: string }[] } }>(
        `query ($id: ID!) { order(id: $id) { licences { sku serial controlCode } } }`,
        { id: order.id },
      );
      expect(bought.order.licences).toEqual([
        {
          sku: licence,
          serial: expect.stringMatching(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/),
          controlCode: expect.any(String),
        },
        { sku: licence, serial: expect.any(String), controlCode: expect.any(String) },
      ]);
    });

    it("stops a revoked key at once with 401 UNAUTHENTICATED", async () => {
      const partner = await partnerWithKey(t, admin);
      expect(outcome(await partner.client.query(`{ partnerOrders { nodes { id } } }`))).toBe("OK");

      await admin.ok(`mutation ($id: ID!) { revokePartnerApiKey(id: $id) }`, { id: partner.key.id });

      const refused = await partner.client.query(`{ partnerOrders { nodes { id } } }`);
      expect(refused.status).toBe(401);
      expect(outcome(refused)).toBe("UNAUTHENTICATED");
    });

    it("stores only the key's hash", async () => {
      const partner = await partnerWithKey(t, admin);
      const stored = JSON.stringify(await t.gateway.dataSource.query("SELECT * FROM partner_api_key"));
      expect(stored).toContain(partner.key.prefix);
      expect(stored).not.toContain(partner.key.secret);
    });
  });

  describe("saved billing and the profile switches", () => {
    it("saves a card when asked, pays with it, and deletes it when the profile stops keeping billing details", async () => {
      const { client } = await signedInCustomer(t);
      await placeOrder(client, orderInput([service], { saveBillingDetails: true }));
      const saved = await client.ok<{ me: { savedPaymentMethods: { id: string; brand: string; last4: string }[] } }>(
        `{ me { savedPaymentMethods { id brand last4 expiryMonth expiryYear } } }`,
      );
      expect(saved.me.savedPaymentMethods).toEqual([
        { id: expect.any(String), brand: "VISA", last4: "4176", expiryMonth: 12, expiryYear: 2030 },
      ]);
      const again = await placeOrder(
        client,
        orderInput([service], { payment: { savedPaymentMethodId: saved.me.savedPaymentMethods[0]!.id } }),
      );
      expect(again.status).toBe("PAID");

      await client.ok(`mutation { updateProfile(input: { keepBillingDetails: false }) { keepBillingDetails } }`);

      const after = await client.ok<{ me: { savedPaymentMethods: unknown[] } }>(
        `{ me { savedPaymentMethods { id } } }`,
      );
      expect(after.me.savedPaymentMethods).toEqual([]);
    });

    it("detaches the order history when the profile stops keeping it, and links no new orders", async () => {
      const { client } = await signedInCustomer(t);
      await placeOrder(client, orderInput([service]));

      await client.ok(`mutation { updateProfile(input: { keepOrderHistory: false }) { keepOrderHistory } }`);
      await placeOrder(client, orderInput([service]));

      const history = await client.ok<{ myOrders: { nodes: unknown[] } }>(`{ myOrders { nodes { id } } }`);
      expect(history.myOrders.nodes).toEqual([]);
    });
  });

  it("keeps no card detail of an erased order: payment is null, the charge id stays for refunds", async () => {
    const customer = await signedInCustomer(t);
    const order = await placeOrder(customer.client, orderInput([service]));
    const read = (id: string) =>
      admin.ok<{ order: { contact: { name: string }; payment: unknown } }>(
        `query ($id: ID!) { order(id: $id) { contact { name } payment { brand last4 expiryMonth expiryYear } } }`,
        { id },
      );
    expect((await read(order.id)).order.payment).toEqual({
      brand: "VISA",
      last4: "4176",
      expiryMonth: 12,
      expiryYear: 2030,
    });

    const closed = await customer.client.query<{ closeAccount: boolean }>(
      `mutation ($p: String!) { closeAccount(password: $p) }`,
      { p: customer.input.password },
    );
    expect(closed.data).toEqual({ closeAccount: true });

    expect((await read(order.id)).order).toEqual({ contact: { name: "(erased)" }, payment: null });
    const [stored] = (await t.gateway.dataSource.query(
      `SELECT cardBrand, cardLast4, cardExpiryMonth, cardExpiryYear, paymentToken, paymentChargeId FROM customer_order WHERE id = ?`,
      [order.id],
    )) as Record<string, unknown>[];
    expect(stored).toMatchObject({
      cardBrand: null,
      cardLast4: null,
      cardExpiryMonth: null,
      cardExpiryYear: null,
      paymentToken: null,
      paymentChargeId: expect.any(String),
    });
  });

  describe("statements per request (no N+1)", () => {
    let buyer: GraphQLTestClient;
    let partner: Awaited<ReturnType<typeof partnerWithKey>>;

    beforeAll(async () => {
      buyer = (await signedInCustomer(t)).client;
      partner = await partnerWithKey(t, admin);
      for (let i = 0; i < 20; i++) {
        const order = await placeOrder(buyer, orderInput([licence, service, subscription]));
        await assignOrder(support, order.id, partner.partnerId);
      }
      // The key's first use records it (at most once a minute); measure the requests after that.
      await partner.client.ok(`{ partnerOrders(first: 1) { nodes { id } } }`);
    });

    const MY_ORDERS = `query ($first: Int) { myOrders(first: $first) { nodes { id number status totalMinor
      lines { sku name quantity unitPriceMinor } contact { name email address { city } } payment { brand last4 }
      licences { serial } partner { name } } } }`;
    const PARTNER_ORDERS = `query ($first: Int) { partnerOrders(first: $first) { nodes { id number status
      lines { sku name quantity } contact { name email phone organisation address { line1 city postcode country } }
      licences { serial } } } }`;

    it.each([1, 5, 20])(
      "answers myOrders(first: %d) with lines, contact, payment, licences and partner in 4 statements",
      async (first) => {
        const { result, sql } = await statementsDuring(t.gateway.dataSource, () =>
          buyer.query<{ myOrders: { nodes: { lines: unknown[] }[] } }>(MY_ORDERS, { first }),
        );

        expect(outcome(result)).toBe("OK");
        expect(result.data!.myOrders.nodes).toHaveLength(first);
        expect(result.data!.myOrders.nodes.every((n) => n.lines.length === 3)).toBe(true);
        // The session lookup, the page, lines, partners; no licences, as none of the orders is fulfilled.
        expect(sql).toHaveLength(4);
      },
    );

    it.each([1, 5, 20])(
      "answers partnerOrders(first: %d) with lines, contact and licences in 4 statements, disclosures recorded",
      async (first) => {
        const before = await countRows(t.gateway.dataSource, "disclosure");
        const { result, sql } = await statementsDuring(t.gateway.dataSource, () =>
          partner.client.query<{ partnerOrders: { nodes: unknown[] } }>(PARTNER_ORDERS, { first }),
        );

        expect(outcome(result)).toBe("OK");
        expect(result.data!.partnerOrders.nodes).toHaveLength(first);
        // The key lookup, the page, lines, one INSERT of the disclosures; no licences (none fulfilled).
        expect(sql).toHaveLength(4);
        expect(await countRows(t.gateway.dataSource, "disclosure")).toBe(before + first);
      },
    );
  });

  it("never keeps a card number or CVC: not in any table, job or log line", async () => {
    const { client } = await signedInCustomer(t);
    const amex = { cardNumber: AMEX.number, expiryMonth: 6, expiryYear: 2031, cvc: AMEX.cvc, cardholderName: "A L" };
    await placeOrder(client, orderInput([licence, service], { saveBillingDetails: true, idempotencyKey: unique("k") }));
    await placeOrder(client, orderInput([licence], { saveBillingDetails: true, payment: amex }));
    await placeOrder(t.client(), orderInput([subscription], { payment: amex }));
    const failures = [
      await client.query(PLACE_ORDER, { input: orderInput(["NO-SUCH-SKU"], { payment: amex }) }),
      await client.query(PLACE_ORDER, { input: orderInput([licence], { payment: { ...amex, expiryYear: 2020 } }) }),
      await client.query(PLACE_ORDER, { input: orderInput([licence], { payment: { ...amex, cvc: "481" } }) }),
      await t.client().query(PLACE_ORDER, { input: { payment: amex } }),
    ];
    for (const result of failures) expect(outcome(result)).toBe("BAD_USER_INPUT");

    const stored = await everyStoredValue(t.gateway.dataSource);
    const jobs: { payload: string }[] = await t.gateway.dataSource.query("SELECT payload FROM job");
    const logs = t.logs.map((line, i) => ({
      where: `log line ${i}`,
      value: line.replace(LOG_NUMBERS, ""),
    }));
    const responses = failures.map((r, i) => ({ where: `response ${i}`, value: JSON.stringify(r.errors) }));
    const everything = [
      ...stored,
      ...jobs.map((j, i) => ({ where: `job ${i}`, value: j.payload })),
      ...logs,
      ...responses,
    ];

    expect(stored.length).toBeGreaterThan(100);
    expect(logs.length).toBeGreaterThan(10);
    // The check itself finds a CVC that stands alone, and not one inside an id or a key.
    const probe = (value: string) => cardDataHits([{ where: "probe", value }], VISA);
    expect(probe(`{"cvc":"${VISA.cvc}"}`)).toHaveLength(1);
    expect(probe(`cvc=${VISA.cvc} name=x`)).toHaveLength(1);
    expect(probe(`key hpk_a${VISA.cvc}b of 0193a2b4-${VISA.cvc}0-7abc-8def-0123456789ab`)).toEqual([]);
    expect(cardDataHits(everything, VISA)).toEqual([]);
    expect(cardDataHits(everything, AMEX)).toEqual([]);
  });

  // graphql-js quotes a rejected variable's value in its error message; the gateway must answer
  // with the field only, and nothing may reach the log.
  it("answers an unknown field in the payment with BAD_USER_INPUT, and never repeats or logs the card", async () => {
    const logged = t.logs.length;
    const payment = {
      cardNumber: AMEX.number,
      expiryMonth: 6,
      expiryYear: 2031,
      cvc: AMEX.cvc,
      cardholderName: "A L",
    };

    const results = [
      await t.client().query(PLACE_ORDER, { input: orderInput([licence], { payment: { ...payment, nickname: "x" } }) }),
      await t.client().query(PLACE_ORDER, { input: { ...orderInput([licence], { payment }), coupon: "x" } }),
      await t.client().query(PLACE_ORDER, {
        input: orderInput([licence], { payment: { ...payment, cardNumber: Number(AMEX.digits) } }),
      }),
    ];

    expect(results.map(outcome)).toEqual(["BAD_USER_INPUT", "BAD_USER_INPUT", "BAD_USER_INPUT"]);
    const texts = [
      ...results.map((r, i) => ({ where: `response ${i}`, value: JSON.stringify(r.errors) })),
      ...t.logs.slice(logged).map((line, i) => ({ where: `log ${i}`, value: line.replace(LOG_NUMBERS, "") })),
    ];
    expect(cardDataHits(texts, AMEX)).toEqual([]);
  });
});
