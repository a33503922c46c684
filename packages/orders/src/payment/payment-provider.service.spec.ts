import { ManualClock } from "@honour/platform";
import { CardBrand } from "./card";
import {
  CLIENT_TOKEN_TTL_MS,
  IDEMPOTENCY_KEY_TTL_MS,
  LocalPaymentProvider,
  type ChargeRequest,
} from "./payment-provider.service";

let keys = 0;
/** A charge request with an idempotency key of its own. */
function newCharge(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  keys += 1;
  return { amountMinor: 2500, currency: "GBP", reference: "HON-000001", idempotencyKey: `o${keys}`, ...overrides };
}

describe("LocalPaymentProvider", () => {
  const clock = new ManualClock("2026-11-25T12:00:00Z");
  const provider = new LocalPaymentProvider(clock);
  let charge: ChargeRequest;
  beforeEach(() => {
    charge = newCharge();
  });
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

    const again = await provider.chargeToken(first.token, first.card, newCharge());
    const forged = await provider.chargeToken("tok_somebody_else", first.card, newCharge());

    expect(again).toMatchObject({ approved: true, token: first.token });
    expect(forged).toEqual({ approved: false, reason: "INVALID_TOKEN" });
  });

  it("refunds its own charges only", async () => {
    const first = await provider.chargeCard(card, charge);
    if (!first.approved) throw new Error("expected approval");
    await expect(
      provider.refund({ chargeId: first.chargeId, amountMinor: 2500, idempotencyKey: "r1" }),
    ).resolves.toEqual({ refundId: expect.stringMatching(/^re_local_[A-Za-z0-9_-]{24}$/) });
    await expect(provider.refund({ chargeId: "ch_other", amountMinor: 2500, idempotencyKey: "r2" })).rejects.toThrow(
      "cannot refund",
    );
  });

  describe("idempotency keys, as Stripe honours them", () => {
    it("answers a repeated charge with the first answer, and charges once", async () => {
      const before = provider.charged;
      const first = await provider.chargeCard(card, charge);
      const again = await provider.chargeCard(card, charge);
      expect(again).toEqual(first);
      expect(provider.charged - before).toBe(1);
    });

    it("answers a repeated refund with the first refund, and refunds once", async () => {
      const paid = await provider.chargeCard(card, charge);
      if (!paid.approved) throw new Error("expected approval");
      const before = provider.refunded;
      const refund = { chargeId: paid.chargeId, amountMinor: 2500, idempotencyKey: `refund:${charge.idempotencyKey}` };
      const answers = await Promise.all([provider.refund(refund), provider.refund(refund), provider.refund(refund)]);
      expect(new Set(answers.map((a) => a.refundId)).size).toBe(1);
      expect(provider.refunded - before).toBe(1);
    });

    it("keeps a decline as the answer for its key", async () => {
      const declined = { ...card, number: LocalPaymentProvider.DECLINED_CARD };
      expect(await provider.chargeCard(declined, charge)).toEqual({ approved: false, reason: "DECLINED" });
      expect(await provider.chargeCard(declined, charge)).toEqual({ approved: false, reason: "DECLINED" });
    });

    it("refuses a key used again with other parameters", async () => {
      await provider.chargeCard(card, charge);
      await expect(provider.chargeCard(card, { ...charge, amountMinor: 2600 })).rejects.toThrow(Error);
      const paid = await provider.chargeCard(card, newCharge());
      if (!paid.approved) throw new Error("expected approval");
      const refund = { chargeId: paid.chargeId, amountMinor: 2500, idempotencyKey: "refund:other-params" };
      await provider.refund(refund);
      await expect(provider.refund({ ...refund, amountMinor: 100 })).rejects.toThrow(Error);
    });

    it("keeps nothing for a call refused before it ran", async () => {
      await expect(provider.chargeCard(card, { ...charge, amountMinor: 12.5 })).rejects.toThrow(Error);
      expect(await provider.chargeCard(card, charge)).toMatchObject({ approved: true });
    });

    it("forgets a key after 24 hours, as Stripe does", async () => {
      const localClock = new ManualClock("2026-11-25T12:00:00Z");
      const local = new LocalPaymentProvider(localClock);
      const first = await local.chargeCard(card, charge);
      localClock.advance(IDEMPOTENCY_KEY_TTL_MS - 1);
      expect(await local.chargeCard(card, charge)).toEqual(first);
      localClock.advance(1);
      expect(await local.chargeCard(card, charge)).not.toEqual(first);
      expect(local.charged).toBe(2);
    });
  });

  it("refuses amounts that are not whole pence", async () => {
    await expect(provider.chargeCard(card, { ...charge, amountMinor: 12.5 })).rejects.toThrow("whole");
  });

  describe("cards tokenised in the browser", () => {
    const tokenOf = (c: typeof card) => {
      const made = provider.tokenizeCard(c);
      if (!("token" in made)) throw new Error("expected a token");
      return made.token;
    };

    it("makes a token that holds no number or CVC, and charges it once", async () => {
      const token = tokenOf(card);
      expect(token).toMatch(/^tok_local_[A-Za-z0-9_-]+\.[0-9a-f]{64}$/);
      expect(Buffer.from(token.slice(10).split(".")[0]!, "base64url").toString()).not.toMatch(/4111111111111111|"123"/);
      expect(await provider.chargeClientToken(token, charge)).toEqual({
        approved: true,
        token: expect.stringMatching(/^pm_local_/),
        chargeId: expect.stringMatching(/^ch_local_/),
        card: { brand: CardBrand.VISA, last4: "1111", expiryMonth: 12, expiryYear: 2030 },
      });
      // The same order asking again gets the same answer; another charge with the token is refused.
      expect((await provider.chargeClientToken(token, charge)).approved).toBe(true);
      expect(await provider.chargeClientToken(token, newCharge())).toEqual({
        approved: false,
        reason: "INVALID_TOKEN",
      });
    });

    it("refuses a bad card at tokenising, and declines the declining test card at charging", async () => {
      expect(provider.tokenizeCard({ ...card, number: "4111 1111 1111 1112" })).toEqual({ error: "INVALID_CARD" });
      expect(provider.tokenizeCard({ ...card, cvc: "12" })).toEqual({ error: "INVALID_CARD" });
      const declining = tokenOf({ ...card, number: "4000000000000002" });
      expect(await provider.chargeClientToken(declining, newCharge())).toEqual({ approved: false, reason: "DECLINED" });
    });

    it("refuses a forged, another key's, or expired token with INVALID_TOKEN", async () => {
      const token = tokenOf(card);
      const forged = token.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
      expect(await provider.chargeClientToken(forged, newCharge())).toEqual({
        approved: false,
        reason: "INVALID_TOKEN",
      });
      const elsewhere = new LocalPaymentProvider(clock);
      expect(await elsewhere.chargeClientToken(token, newCharge())).toEqual({
        approved: false,
        reason: "INVALID_TOKEN",
      });
      clock.advance(CLIENT_TOKEN_TTL_MS + 1);
      expect(await provider.chargeClientToken(token, newCharge())).toEqual({
        approved: false,
        reason: "INVALID_TOKEN",
      });
      expect(await provider.chargeClientToken("tok_local_nonsense", newCharge())).toEqual({
        approved: false,
        reason: "INVALID_TOKEN",
      });
    });
  });
});
