import { ErrorCode } from "@honour/platform";
import { CardBrand } from "../payment/card";
import {
  checkPlaceOrder,
  inspectPlaceOrder,
  requestFingerprint,
  storedReferences,
  type PlaceOrderRequest,
} from "./place-order-checks";

const now = new Date("2026-11-25T12:00:00Z");
const CARD_NUMBER = "4929 3860 2561 4176";

function request(overrides: Partial<PlaceOrderRequest> = {}): PlaceOrderRequest {
  return {
    lines: [{ sku: " hon-pro ", quantity: 2 }],
    contact: {
      name: " Ada ",
      email: "Ada@Example.com",
      phone: null,
      organisation: "",
      address: { line1: "1 Road", city: "London", postcode: "sw1a 1aa", country: "gb" },
    },
    payment: { cardNumber: CARD_NUMBER, expiryMonth: 12, expiryYear: 2030, cvc: "847", cardholderName: "ADA" },
    ...overrides,
  };
}

/** The field paths of the BAD_USER_INPUT a request fails with. */
function fieldsOf(req: PlaceOrderRequest, signedIn = true): string[] {
  try {
    checkPlaceOrder(req, now, signedIn);
  } catch (error) {
    const e = error as { code: string; fields: { field: string }[]; message: string };
    expect(e.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(e.message).not.toContain("4929");
    expect(e.message).not.toContain("847");
    return e.fields.map((f) => f.field);
  }
  throw new Error("expected the request to fail");
}

describe("checking an order request", () => {
  it("lists an unknown SKU among the other problems, in the input's order, when given the stored facts", () => {
    const req = request({
      lines: [
        { sku: "hon-pro", quantity: 1 },
        { sku: " no-such ", quantity: 0 },
      ],
      payment: { cardNumber: "4929 3860 2561 4173", expiryMonth: 13, expiryYear: 2030, cvc: "8", cardholderName: "A" },
    });
    expect(storedReferences(req).skus).toEqual(["HON-PRO", "NO-SUCH"]);
    const facts = { onSale: new Set(["HON-PRO"]), savedPaymentMethodProblem: null };
    const inspected = inspectPlaceOrder(req, now, true, facts);
    expect(inspected.checked).toBeNull();
    expect(inspected.errors.map((e) => e.field)).toEqual([
      "input.lines.1.sku",
      "input.lines.1.quantity",
      "input.payment.cardNumber",
      "input.payment.expiryMonth",
      "input.payment.cvc",
    ]);
    expect(JSON.stringify(inspected.errors)).not.toMatch(/4929|4173|NO-SUCH/i);
    // Without the facts the SKU is not judged.
    expect(inspectPlaceOrder(req, now, true).errors.map((e) => e.field)).not.toContain("input.lines.1.sku");
  });

  it("lists a saved payment method that cannot pay with the other problems", () => {
    const savedId = "0190a000-0000-7000-8000-000000000001";
    const req = request({ payment: { savedPaymentMethodId: savedId }, lines: [{ sku: "gone", quantity: 1 }] });
    expect(storedReferences(req).savedPaymentMethodId).toBe(savedId);
    const inspected = inspectPlaceOrder(req, now, true, {
      onSale: new Set(),
      savedPaymentMethodProblem: "the saved card has expired",
    });
    expect(inspected.errors).toEqual([
      { field: "input.lines.0.sku", message: "is not a product on sale" },
      { field: "input.payment.savedPaymentMethodId", message: "the saved card has expired" },
    ]);
  });

  it("normalises a good request and keeps the card apart", () => {
    const checked = checkPlaceOrder(request(), now, true);

    expect(checked.lines).toEqual([{ sku: "HON-PRO", quantity: 2 }]);
    expect(checked.contact).toMatchObject({
      name: "Ada",
      email: "ada@example.com",
      phone: null,
      organisation: null,
      postcode: "SW1A 1AA",
      country: "GB",
    });
    expect(checked.payment).toEqual({
      kind: "card",
      card: { number: "4929386025614176", expiryMonth: 12, expiryYear: 2030, cvc: "847", cardholderName: "ADA" },
      summary: { brand: CardBrand.VISA, last4: "4176", expiryMonth: 12, expiryYear: 2030 },
    });
  });

  it("names every bad field at once", () => {
    expect(
      fieldsOf(
        request({
          lines: [
            { sku: "", quantity: 0 },
            { sku: "X", quantity: 10_000 },
          ],
          contact: {
            name: "",
            email: "nope",
            address: { line1: "x".repeat(10_000), city: "", postcode: "!", country: "ZZ" },
          },
        }),
      ),
    ).toEqual([
      "input.lines.0.sku",
      "input.lines.0.quantity",
      "input.lines.1.quantity",
      "input.contact.name",
      "input.contact.email",
      "input.contact.address.line1",
      "input.contact.address.city",
      "input.contact.address.postcode",
      "input.contact.address.country",
    ]);
  });

  it("wants 1 to 50 lines", () => {
    expect(fieldsOf(request({ lines: [] }))).toEqual(["input.lines"]);
    expect(fieldsOf(request({ lines: Array.from({ length: 51 }, () => ({ sku: "A", quantity: 1 })) }))).toEqual([
      "input.lines",
    ]);
    expect(fieldsOf(request({ lines: null }))).toEqual(["input.lines"]);
  });

  it("wants a contact with an address", () => {
    expect(fieldsOf(request({ contact: null }))).toEqual(["input.contact"]);
    expect(fieldsOf(request({ contact: { name: "A", email: "a@b.co", address: null } }))).toEqual([
      "input.contact.address",
    ]);
    expect(fieldsOf(request({ contact: { name: "A", email: "a@b.co", phone: "call me", address: {} } }))).toEqual([
      "input.contact.phone",
      "input.contact.address.line1",
      "input.contact.address.city",
      "input.contact.address.postcode",
      "input.contact.address.country",
    ]);
  });

  it.each([
    ["a number failing the Luhn check", { cardNumber: "4929 3860 2561 4173" }, ["input.payment.cardNumber"]],
    [
      "an expired card",
      { expiryMonth: 10, expiryYear: 2026 },
      ["input.payment.expiryMonth", "input.payment.expiryYear"],
    ],
    ["a two-digit year", { expiryYear: 30 }, ["input.payment.expiryYear"]],
    ["a four-digit CVC on a Visa", { cvc: "8470" }, ["input.payment.cvc"]],
    ["a missing CVC", { cvc: null }, ["input.payment.cvc"]],
    ["a 10,000-character card number", { cardNumber: "4".repeat(10_000) }, ["input.payment.cardNumber"]],
    ["a missing cardholder name", { cardholderName: null }, ["input.payment.cardholderName"]],
  ])("refuses %s", (_what, change, fields) => {
    const base = request().payment!;
    expect(fieldsOf(request({ payment: { ...base, ...change } }))).toEqual(fields);
  });

  it("takes either the card or a saved card, never both or neither", () => {
    const base = request().payment!;
    const savedId = "0190a000-0000-7000-8000-000000000001";
    expect(fieldsOf(request({ payment: { ...base, savedPaymentMethodId: savedId } }))).toEqual(["input.payment"]);
    expect(fieldsOf(request({ payment: {} }))).toEqual(["input.payment"]);
    expect(checkPlaceOrder(request({ payment: { savedPaymentMethodId: savedId } }), now, true).payment).toEqual({
      kind: "saved",
      savedPaymentMethodId: savedId,
    });
  });

  it("saves billing details for signed-in buyers only", () => {
    expect(fieldsOf(request({ saveBillingDetails: true }), false)).toEqual(["input.saveBillingDetails"]);
    expect(checkPlaceOrder(request({ saveBillingDetails: true }), now, true).saveBillingDetails).toBe(true);
  });

  it("wants an idempotency key of 1 to 200 printable characters", () => {
    expect(fieldsOf(request({ idempotencyKey: "" }))).toEqual(["input.idempotencyKey"]);
    expect(fieldsOf(request({ idempotencyKey: "k".repeat(201) }))).toEqual(["input.idempotencyKey"]);
    expect(fieldsOf(request({ idempotencyKey: "has space" }))).toEqual(["input.idempotencyKey"]);
    expect(checkPlaceOrder(request({ idempotencyKey: "order-1:a" }), now, true).idempotencyKey).toBe("order-1:a");
  });

  it("fingerprints what was asked for without the card number or CVC", () => {
    const a = checkPlaceOrder(request(), now, true);
    const b = checkPlaceOrder(request({ lines: [{ sku: "HON-PRO", quantity: 3 }] }), now, true);
    expect(requestFingerprint(a)).toBe(requestFingerprint(checkPlaceOrder(request(), now, true)));
    expect(requestFingerprint(a)).not.toBe(requestFingerprint(b));
    expect(requestFingerprint(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
