import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import { launchChromium } from "./support/chromium";
import {
  PLACE_ORDER,
  VISA,
  addProducts,
  cardDataHits,
  everyStoredValue,
  orderInput,
  outcome,
  type PlacedOrder,
} from "./support/orders-fixtures";
import { signedInAdmin, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

const CARD = { number: VISA.number, expiryMonth: 12, expiryYear: 2030, cvc: VISA.cvc };

describe.each(testDatabaseKinds())("cards tokenised in the browser (the demo provider) on %s", (kind) => {
  let t: TestGateway;
  let sku: string;
  let buyer: GraphQLTestClient;

  beforeAll(async () => {
    t = await startTestGateway(kind);
    [sku] = await addProducts(await signedInAdmin(t), [{ kind: "SERVICE", priceMinor: 4200 }]);
    buyer = (await signedInCustomer(t)).client;
  });
  afterAll(() => t?.close());

  /** A token from POST /pay/tokens, as the provider's script gets it. */
  async function tokenFor(card: Record<string, unknown>): Promise<{ status: number; body: Record<string, string> }> {
    const response = await t.client().fetch("/pay/tokens", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(card),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  const withToken = (cardToken: string) => orderInput([sku], { payment: { cardToken } });

  it("tokenises the card with the provider's script in Chromium; placeOrder takes the token, never the card", async () => {
    const browser = await launchChromium();
    let token: string;
    try {
      const page = await browser.context.newPage();
      await page.goto(`${t.url}/healthz`);
      await page.addScriptTag({ url: `${t.url}/js/honour-pay.js` });
      token = await page.evaluate(
        (card) =>
          (globalThis as unknown as { HonourPay: { tokenize(c: unknown): Promise<string> } }).HonourPay.tokenize(card),
        CARD,
      );
      const refused = await page.evaluate(
        (card) =>
          (globalThis as unknown as { HonourPay: { tokenize(c: unknown): Promise<string> } }).HonourPay.tokenize(
            card,
          ).then(
            () => "no error",
            (error: { code?: string }) => error.code,
          ),
        { ...CARD, cvc: "1" },
      );
      expect(refused).toBe("INVALID_CARD");
    } finally {
      await browser.close();
    }
    expect(token).toMatch(/^tok_local_/);

    const placed = await buyer.query<{ placeOrder: PlacedOrder & { payment: { last4: string } | null } }>(PLACE_ORDER, {
      input: withToken(token),
    });
    expect(outcome(placed)).toBe("OK");
    expect(placed.data!.placeOrder.payment).toMatchObject({ last4: "4176", brand: "VISA" });

    // Single use: the same token for another order is declined, and nothing is left behind.
    const again = await buyer.query(PLACE_ORDER, { input: withToken(token) });
    expect(outcome(again)).toBe("PAYMENT_DECLINED");

    // The card's number and CVC are nowhere at rest, nor in the gateway's log.
    expect(cardDataHits(await everyStoredValue(t.gateway.dataSource), VISA)).toEqual([]);
    expect(cardDataHits([{ where: "log", value: t.logs.join("") }], VISA)).toEqual([]);
  });

  it("refuses a malformed token, a token beside card fields, and a forged one with codes", async () => {
    const bad = await buyer.query(PLACE_ORDER, { input: withToken("x") });
    expect(outcome(bad)).toBe("BAD_USER_INPUT");
    expect((bad.errors![0]!.extensions as { fields: { field: string }[] }).fields.map((f) => f.field)).toEqual([
      "input.payment.cardToken",
    ]);
    const { body } = await tokenFor(CARD);
    const both = await buyer.query(PLACE_ORDER, {
      input: orderInput([sku], { payment: { ...(orderInput([sku]).payment as object), cardToken: body.token } }),
    });
    expect(outcome(both)).toBe("BAD_USER_INPUT");
    const forged = `${body.token!.slice(0, -1)}${body.token!.endsWith("0") ? "1" : "0"}`;
    expect(outcome(await buyer.query(PLACE_ORDER, { input: withToken(forged) }))).toBe("PAYMENT_DECLINED");
  });

  it("answers the tokenising endpoint 400 INVALID_CARD for a bad card, and the declining test card declines", async () => {
    expect(await tokenFor({ ...CARD, number: "4929 3860 2561 4177" })).toEqual({
      status: 400,
      body: { code: "INVALID_CARD", message: expect.any(String) },
    });
    expect((await tokenFor({ number: 4929 })).status).toBe(400);
    const declining = await tokenFor({ ...CARD, number: "4000000000000002", cvc: "123" });
    expect(declining.status).toBe(201);
    expect(outcome(await buyer.query(PLACE_ORDER, { input: withToken(declining.body.token!) }))).toBe(
      "PAYMENT_DECLINED",
    );
  });
});
