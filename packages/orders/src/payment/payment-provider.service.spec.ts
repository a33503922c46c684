import { ManualClock } from "@honour/platform";
import { CardBrand } from "./card.service";
import { LocalPaymentProvider, type ChargeRequest } from "./payment-provider.service";

describe("LocalPaymentProvider", () => {
  const provider = new LocalPaymentProvider(new ManualClock("2026-11-25T12:00:00Z"));
  const charge: ChargeRequest = { amountMinor: 2500, currency: "GBP", reference: "HON-000001", idempotencyKey: "o1" };
  const card = { number: "4111 1111 1111 1111", expiryMonth: 12, expiryYear: 2030, cvc: "123", cardholderName: "A B" };

  it("approves a valid card with a token and the card's summary, and nothing more", async () => {
    const outcome = await provider.chargeCard(card, charge);

    expect(outcome).toEqual({
      approved: true,
      token: expect.stringMatching(/^pm_local_[A-Za-z0-9_-]{24}$/),
      chargeId: expect.stringMatching(/^ch_local_[A-Za-z0-9_-]{24}$/),
      card: { brand: CardBrand.VISA, last4: "1111", expiryMonth: 12, expiryYear: 2030 },
    });
    expect(JSON.stringify(outcome)).not.toContain("4111111111111111");
    expect(JSON.stringify(outcome)).not.toContain('"123"');
  });

  it("declines the test card 4000000000000002", async () => {
    expect(await provider.chargeCard({ ...card, number: "4000000000000002" }, charge)).toEqual({
      approved: false,
      reason: "DECLINED",
    });
  });

  it.each([
    ["a number failing the Luhn check", { number: "4111111111111112" }],
    ["an expired card", { expiryMonth: 10, expiryYear: 2026 }],
    ["a CVC of the wrong length", { cvc: "12" }],
  ])("refuses %s as an invalid card", async (_what, change) => {
    expect(await provider.chargeCard({ ...card, ...change }, charge)).toEqual({
      approved: false,
      reason: "INVALID_CARD",
    });
  });

  it("charges a token it issued again, and refuses others", async () => {
    const first = await provider.chargeCard(card, charge);
    if (!first.approved) throw new Error("expected approval");

    const again = await provider.chargeToken(first.token, first.card, charge);
    const forged = await provider.chargeToken("tok_somebody_else", first.card, charge);

    expect(again).toMatchObject({ approved: true, token: first.token });
    expect(forged).toEqual({ approved: false, reason: "INVALID_TOKEN" });
  });

  it("refunds its own charges only", async () => {
    const first = await provider.chargeCard(card, charge);
    if (!first.approved) throw new Error("expected approval");
    await expect(provider.refund(first.chargeId, 2500)).resolves.toBeUndefined();
    await expect(provider.refund("ch_other", 2500)).rejects.toThrow("cannot refund");
  });

  it("refuses amounts that are not whole pence", async () => {
    await expect(provider.chargeCard(card, { ...charge, amountMinor: 12.5 })).rejects.toThrow("whole");
  });
});
