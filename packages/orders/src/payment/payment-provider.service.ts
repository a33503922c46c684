import { randomBytes } from "node:crypto";
import { DAY_MS, hmac, randomToken, safeEqual, sha256, systemClock, type Clock } from "@honour/platform";
import {
  cardNumberProblem,
  cvcProblem,
  expiryProblems,
  normaliseCardNumber,
  summariseCard,
  type CardDetails,
  type CardSummary,
} from "./card";
import { InProcessUsedCardTokens, type UsedCardTokens } from "./used-card-tokens";

/** One charge: how much, and what it is for. */
export interface ChargeRequest {
  /** In minor units (pence). */
  amountMinor: number;
  currency: "GBP";
  /** Shown on the buyer's statement and in the provider's dashboard: the order number. */
  reference: string;
  /**
   * The provider must charge at most once per key, so that a retry after a lost answer cannot
   * charge twice. Honour passes the order's id.
   */
  idempotencyKey: string;
}

/** Money given back for a charge (a cancelled order). */
export interface RefundRequest {
  /** The `chargeId` of the approved charge. */
  chargeId: string;
  /** In minor units (pence); at most what was charged. */
  amountMinor: number;
  /**
   * The provider must refund at most once per key, so that a retry (a lost answer, a cancellation
   * that rolled back after its refund, a double click) cannot give the money back twice. Honour
   * passes {@link orderRefundKey} of the order: an order is refunded once, in full.
   */
  idempotencyKey: string;
}

/** A refund the provider made (or had made for the same idempotency key before). */
export interface RefundOutcome {
  refundId: string;
}

/** The idempotency key of an order's refund: one refund per order, whoever asks and how often. */
export function orderRefundKey(orderId: string): string {
  return `refund:${orderId}`;
}

export type DeclineReason = "DECLINED" | "INVALID_CARD" | "INVALID_TOKEN";

/**
 * The answer to a charge. An approved charge gives a reusable `token` for the card (kept with the
 * order, and on the profile when the buyer saves it), the `chargeId` to refund, and the card's
 * summary; never the number or the CVC.
 */
export type ChargeOutcome =
  { approved: true; token: string; chargeId: string; card: CardSummary } | { approved: false; reason: DeclineReason };

/**
 * The contract of a card payment provider (a PSP adapter).
 *
 * Implementations receive card details in memory for the duration of one call. They must not
 * store, log, enqueue or put them in an error message, and must return only a token and the
 * card's brand, last four digits and expiry. Declines are outcomes, not exceptions; throw only
 * when the provider could not be asked at all.
 */
export interface PaymentProvider {
  /** A short name, kept with each order's payment (`local`, `stripe`, …). */
  readonly name: string;
  /** Charges a card typed by the buyer. */
  chargeCard(card: CardDetails, charge: ChargeRequest): Promise<ChargeOutcome>;
  /** Charges a card saved earlier, by the token an approved charge returned. */
  chargeToken(token: string, card: CardSummary, charge: ChargeRequest): Promise<ChargeOutcome>;
  /**
   * Charges a card by a token the provider's own script made in the buyer's browser (Stripe's
   * PaymentMethod or Adyen's encrypted card): Honour never sees the card. The outcome's `card` is the
   * provider's summary of it. An unknown, used or expired token is declined `INVALID_TOKEN`.
   */
  chargeClientToken(clientToken: string, charge: ChargeRequest): Promise<ChargeOutcome>;
  /**
   * Gives a charge's money back (a cancelled order). The same `idempotencyKey` again returns the
   * first refund without refunding twice.
   */
  refund(refund: RefundRequest): Promise<RefundOutcome>;
}

/** How long a token made in the browser by the local provider's script may be charged: 15 minutes. */
export const CLIENT_TOKEN_TTL_MS = 15 * 60 * 1000;

const IDEMPOTENCY_KEY_MISUSED =
  "Idempotency keys can only be used again with the same parameters they were first used with.";

/** How long the local provider remembers an idempotency key, as Stripe does: 24 hours. */
export const IDEMPOTENCY_KEY_TTL_MS = DAY_MS;

/**
 * The provider used by default and in tests. It talks to nobody: it checks the Luhn digit, the
 * expiry and the CVC, declines the test card {@link LocalPaymentProvider.DECLINED_CARD} and
 * approves everything else with a random token. No card data survives the call.
 *
 * It honours idempotency keys as Stripe does: the first answer for a key is kept for
 * {@link IDEMPOTENCY_KEY_TTL_MS} and given again to every later call with that key and the same
 * parameters, without charging or refunding again (a decline is an answer too); the same key with
 * other parameters is an error. A call refused before it ran (an amount that is not whole pence)
 * keeps nothing. What it remembers of a charge is a SHA-256 of the amount, reference and card
 * summary: never the number or the CVC. {@link charged} and {@link refunded} count what it really
 * did, for tests that must prove a retry moved no money.
 */
export class LocalPaymentProvider implements PaymentProvider {
  /** The test card every charge declines (Luhn-valid Visa). */
  static readonly DECLINED_CARD = "4000000000000002";
  readonly name = "local";
  /** Charges made (approved or declined), not counting answers replayed for a key. */
  charged = 0;
  /** Refunds made, not counting answers replayed for a key. */
  refunded = 0;
  /** Oldest first (insertion order), so expired keys are dropped from the front. */
  private readonly answers = new Map<string, { at: number; request: string; answer: unknown }>();
  /** Charges in progress per idempotency key, so a second call with the key waits for the first's answer. */
  private readonly inFlight = new Map<string, { request: string; answer: Promise<ChargeOutcome> }>();

  /**
   * @param tokenKey signs the tokens {@link tokenizeCard} makes, so that every process holding the
   *   same key (gateways, worker) accepts them; random per process by default.
   * @param usedTokens where browser-made tokens already charged are remembered: the database or the
   *   shared Redis in the apps, so a token is charged once across every gateway; this process's
   *   memory by default.
   */
  constructor(
    private readonly clock: Clock = systemClock,
    private readonly tokenKey: string = randomBytes(32).toString("hex"),
    private readonly usedTokens: UsedCardTokens = new InProcessUsedCardTokens(clock),
  ) {}

  /**
   * The demo provider's tokenising endpoint (`POST /pay/tokens`, which its browser script
   * `/js/honour-pay.js` calls): checks the card as a provider would, and answers a single-use
   * token valid {@link CLIENT_TOKEN_TTL_MS}, signed, holding only the card's summary (brand, last
   * four, expiry) and whether the test card that declines was used. The number and CVC end here.
   */
  tokenizeCard(card: CardDetails): { token: string } | { error: "INVALID_CARD" } {
    if (cardNumberProblem(card.number)) return { error: "INVALID_CARD" };
    const summary = summariseCard(card);
    const expiry = expiryProblems(card.expiryMonth, card.expiryYear, this.clock.now());
    if (Object.keys(expiry).length > 0 || cvcProblem(card.cvc, summary.brand)) return { error: "INVALID_CARD" };
    const payload = Buffer.from(
      JSON.stringify({
        ...summary,
        declines: normaliseCardNumber(card.number) === LocalPaymentProvider.DECLINED_CARD,
        nonce: randomToken(12),
        until: this.clock.now().getTime() + CLIENT_TOKEN_TTL_MS,
      }),
    ).toString("base64url");
    return { token: `tok_local_${payload}.${hmac(this.tokenKey, payload)}` };
  }

  async chargeClientToken(clientToken: string, charge: ChargeRequest): Promise<ChargeOutcome> {
    checkAmount(charge);
    const now = this.clock.now().getTime();
    const match = /^tok_local_([A-Za-z0-9_-]+)\.([0-9a-f]{64})$/.exec(clientToken);
    let claims: (CardSummary & { declines: boolean; until: number }) | null = null;
    if (match && safeEqual(hmac(this.tokenKey, match[1]!), match[2]!)) {
      claims = JSON.parse(Buffer.from(match[1]!, "base64url").toString("utf8")) as CardSummary & {
        declines: boolean;
        until: number;
      };
    }
    const summary = claims
      ? { brand: claims.brand, last4: claims.last4, expiryMonth: claims.expiryMonth, expiryYear: claims.expiryYear }
      : null;
    const request = `charge\n${chargeFingerprint(charge, summary)}\n${sha256(clientToken)}`;
    const key = charge.idempotencyKey;
    // A kept answer for the key, or the answer of the same charge still in progress.
    const running = this.inFlight.get(key);
    if (running) {
      if (running.request !== request) throw new Error(IDEMPOTENCY_KEY_MISUSED);
      return running.answer;
    }
    const kept = this.kept<ChargeOutcome>(request, key);
    if (kept) return kept;
    const answer = (async (): Promise<ChargeOutcome> => {
      this.charged += 1;
      if (!claims || !summary || claims.until < now) return { approved: false, reason: "INVALID_TOKEN" };
      // Single use across every process sharing the store (gateways behind a balancer).
      if (!(await this.usedTokens.claim(sha256(clientToken), new Date(claims.until)))) {
        return { approved: false, reason: "INVALID_TOKEN" };
      }
      if (claims.declines) return { approved: false, reason: "DECLINED" };
      return {
        approved: true,
        token: `pm_local_${randomToken(18)}`,
        chargeId: `ch_local_${randomToken(18)}`,
        card: summary,
      };
    })();
    this.inFlight.set(key, { request, answer });
    try {
      const outcome = await answer;
      this.once(request, key, () => outcome);
      return outcome;
    } finally {
      this.inFlight.delete(key);
    }
  }

  async chargeCard(card: CardDetails, charge: ChargeRequest): Promise<ChargeOutcome> {
    checkAmount(charge);
    const summary = cardNumberProblem(card.number) ? null : summariseCard(card);
    return this.once(`charge\n${chargeFingerprint(charge, summary)}`, charge.idempotencyKey, (): ChargeOutcome => {
      this.charged += 1;
      if (!summary) return { approved: false, reason: "INVALID_CARD" };
      const expiry = expiryProblems(card.expiryMonth, card.expiryYear, this.clock.now());
      if (Object.keys(expiry).length > 0 || cvcProblem(card.cvc, summary.brand)) {
        return { approved: false, reason: "INVALID_CARD" };
      }
      if (normaliseCardNumber(card.number) === LocalPaymentProvider.DECLINED_CARD) {
        return { approved: false, reason: "DECLINED" };
      }
      return {
        approved: true,
        token: `pm_local_${randomToken(18)}`,
        chargeId: `ch_local_${randomToken(18)}`,
        card: summary,
      };
    });
  }

  async chargeToken(token: string, card: CardSummary, charge: ChargeRequest): Promise<ChargeOutcome> {
    checkAmount(charge);
    const request = `charge\n${chargeFingerprint(charge, card)}\n${sha256(token)}`;
    return this.once(request, charge.idempotencyKey, (): ChargeOutcome => {
      this.charged += 1;
      if (!/^pm_local_[A-Za-z0-9_-]{24}$/.test(token)) return { approved: false, reason: "INVALID_TOKEN" };
      return { approved: true, token, chargeId: `ch_local_${randomToken(18)}`, card };
    });
  }

  async refund(refund: RefundRequest): Promise<RefundOutcome> {
    const { chargeId, amountMinor, idempotencyKey } = refund;
    if (!/^ch_local_[A-Za-z0-9_-]{24}$/.test(chargeId) || !Number.isInteger(amountMinor) || amountMinor < 0) {
      throw new Error("The local payment provider cannot refund this charge.");
    }
    return this.once(`refund\n${chargeId}\n${amountMinor}`, idempotencyKey, (): RefundOutcome => {
      this.refunded += 1;
      return { refundId: `re_local_${randomToken(18)}` };
    });
  }

  /**
   * The answer kept for `key`, or `act`'s, kept. The work runs without awaiting anything, so two
   * calls with one key cannot both get past the lookup (Stripe answers the second one 409 while
   * the first runs; here the first has always finished).
   */
  private once<T>(request: string, key: string, act: () => T): T {
    const kept = this.kept<T>(request, key);
    if (kept) return kept;
    const answer = act();
    this.answers.set(key, { at: this.clock.now().getTime(), request, answer });
    return answer;
  }

  /** The answer kept for `key` (expired ones dropped), if any; throws if `key` was used for another request. */
  private kept<T>(request: string, key: string): T | undefined {
    if (!key) throw new Error("The local payment provider needs an idempotency key.");
    const now = this.clock.now().getTime();
    for (const [oldKey, kept] of this.answers) {
      if (now - kept.at < IDEMPOTENCY_KEY_TTL_MS) break;
      this.answers.delete(oldKey);
    }
    const kept = this.answers.get(key);
    if (!kept) return undefined;
    if (kept.request !== request) {
      throw new Error(IDEMPOTENCY_KEY_MISUSED);
    }
    return kept.answer as T;
  }
}

/** What a charge asks for, without the card number or the CVC. */
function chargeFingerprint(charge: ChargeRequest, card: CardSummary | null): string {
  const summary = card ? `${card.brand} ${card.last4} ${card.expiryMonth}/${card.expiryYear}` : "invalid card";
  return sha256(`${charge.amountMinor} ${charge.currency} ${charge.reference}\n${summary}`);
}

function checkAmount(charge: ChargeRequest): void {
  if (!Number.isInteger(charge.amountMinor) || charge.amountMinor < 0 || charge.currency !== "GBP") {
    throw new Error("A charge needs a whole, non-negative amount in GBP.");
  }
}
