import { randomToken, systemClock, type Clock } from "@honour/platform";
import {
  cardNumberProblem,
  cvcProblem,
  expiryProblems,
  normaliseCardNumber,
  summariseCard,
  type CardDetails,
  type CardSummary,
} from "./card.service";

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
  /** Gives a charge's money back (a cancelled order). */
  refund(chargeId: string, amountMinor: number): Promise<void>;
}

/**
 * The provider used by default and in tests. It talks to nobody: it checks the Luhn digit, the
 * expiry and the CVC, declines the test card {@link LocalPaymentProvider.DECLINED_CARD} and
 * approves everything else with a random token. No card data survives the call.
 */
export class LocalPaymentProvider implements PaymentProvider {
  /** The test card every charge declines (Luhn-valid Visa). */
  static readonly DECLINED_CARD = "4000000000000002";
  readonly name = "local";

  constructor(private readonly clock: Clock = systemClock) {}

  async chargeCard(card: CardDetails, charge: ChargeRequest): Promise<ChargeOutcome> {
    checkAmount(charge);
    if (cardNumberProblem(card.number)) return { approved: false, reason: "INVALID_CARD" };
    const summary = summariseCard(card);
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
  }

  async chargeToken(token: string, card: CardSummary, charge: ChargeRequest): Promise<ChargeOutcome> {
    checkAmount(charge);
    if (!/^pm_local_[A-Za-z0-9_-]{24}$/.test(token)) return { approved: false, reason: "INVALID_TOKEN" };
    return { approved: true, token, chargeId: `ch_local_${randomToken(18)}`, card };
  }

  async refund(chargeId: string, amountMinor: number): Promise<void> {
    if (!/^ch_local_[A-Za-z0-9_-]{24}$/.test(chargeId) || !Number.isInteger(amountMinor) || amountMinor < 0) {
      throw new Error("The local payment provider cannot refund this charge.");
    }
  }
}

function checkAmount(charge: ChargeRequest): void {
  if (!Number.isInteger(charge.amountMinor) || charge.amountMinor < 0 || charge.currency !== "GBP") {
    throw new Error("A charge needs a whole, non-negative amount in GBP.");
  }
}
