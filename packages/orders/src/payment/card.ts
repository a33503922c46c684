/**
 * Card checks that need no provider: the shape of the number, its Luhn check digit, its brand,
 * the expiry and the CVC. Every function takes the card data as an argument and returns a verdict;
 * none of them keeps, logs or echoes the data (error texts never contain it).
 */

/** Card networks we recognise from the number's leading digits. */
export enum CardBrand {
  VISA = "VISA",
  MASTERCARD = "MASTERCARD",
  AMEX = "AMEX",
  DISCOVER = "DISCOVER",
  DINERS = "DINERS",
  JCB = "JCB",
  OTHER = "OTHER",
}

/** What may be kept of a card: never the number or the CVC. */
export interface CardSummary {
  brand: CardBrand;
  last4: string;
  expiryMonth: number;
  expiryYear: number;
}

/** Card details as typed by the buyer; held in memory for the provider call only. */
export interface CardDetails {
  number: string;
  expiryMonth: number;
  expiryYear: number;
  cvc: string;
  cardholderName: string;
}

/** How far ahead an expiry date may be: cards are issued for at most a few years. */
export const MAX_CARD_YEARS_AHEAD = 20;
export const CARDHOLDER_NAME_MAX_LENGTH = 100;

/** Spaces and hyphens, as people type card numbers, are dropped; anything else stays and fails. */
export function normaliseCardNumber(number: string): string {
  return number.replace(/[\s-]/g, "");
}

/** True when the digits pass the Luhn (mod 10) check. */
export function passesLuhn(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The network of a card number (digits only), from its issuer identification prefix. */
export function detectBrand(digits: string): CardBrand {
  const two = Number(digits.slice(0, 2));
  const three = Number(digits.slice(0, 3));
  const four = Number(digits.slice(0, 4));
  if (digits.startsWith("4")) return CardBrand.VISA;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return CardBrand.MASTERCARD;
  if (two === 34 || two === 37) return CardBrand.AMEX;
  if (four === 6011 || two === 65 || (three >= 644 && three <= 649)) return CardBrand.DISCOVER;
  if (four >= 3528 && four <= 3589) return CardBrand.JCB;
  if (two === 36 || two === 38 || (three >= 300 && three <= 305)) return CardBrand.DINERS;
  return CardBrand.OTHER;
}

const LENGTHS: Record<CardBrand, readonly number[]> = {
  [CardBrand.VISA]: [13, 16, 19],
  [CardBrand.MASTERCARD]: [16],
  [CardBrand.AMEX]: [15],
  [CardBrand.DISCOVER]: [16, 17, 18, 19],
  [CardBrand.DINERS]: [14, 15, 16, 17, 18, 19],
  [CardBrand.JCB]: [16, 17, 18, 19],
  [CardBrand.OTHER]: [12, 13, 14, 15, 16, 17, 18, 19],
};

/**
 * Why a card number cannot be charged, or null when it may be. The message names the problem,
 * never the number.
 */
export function cardNumberProblem(number: string): string | null {
  const digits = normaliseCardNumber(number);
  if (!/^\d{12,19}$/.test(digits)) return "must be 12 to 19 digits";
  if (!LENGTHS[detectBrand(digits)].includes(digits.length)) return "has the wrong number of digits for its card type";
  if (!passesLuhn(digits)) return "is not a valid card number";
  return null;
}

/** The CVC's length for a brand: four digits on the front of an American Express card, else three. */
export function cvcLength(brand: CardBrand): number {
  return brand === CardBrand.AMEX ? 4 : 3;
}

export function cvcProblem(cvc: string, brand: CardBrand): string | null {
  const length = cvcLength(brand);
  return new RegExp(`^\\d{${length}}$`).test(cvc) ? null : `must be ${length} digits`;
}

/** Problems with an expiry date, by field; a card is good until the end of its expiry month. */
export function expiryProblems(month: number, year: number, now: Date): { expiryMonth?: string; expiryYear?: string } {
  const problems: { expiryMonth?: string; expiryYear?: string } = {};
  if (!Number.isInteger(month) || month < 1 || month > 12) problems.expiryMonth = "must be a month from 1 to 12";
  if (!Number.isInteger(year) || year < 1000 || year > 9999) problems.expiryYear = "must be a four-digit year";
  if (Object.keys(problems).length > 0) return problems;
  if (isExpired(month, year, now)) {
    return { expiryMonth: "the card has expired", expiryYear: "the card has expired" };
  }
  if (year > now.getUTCFullYear() + MAX_CARD_YEARS_AHEAD) {
    problems.expiryYear = `must be at most ${MAX_CARD_YEARS_AHEAD} years ahead`;
  }
  return problems;
}

/** True once the expiry month is over (UTC). */
export function isExpired(month: number, year: number, now: Date): boolean {
  const currentYear = now.getUTCFullYear();
  const currentMonth = now.getUTCMonth() + 1;
  return year < currentYear || (year === currentYear && month < currentMonth);
}

/** The parts of a card that may be kept. The number must already be valid. */
export function summariseCard(card: Pick<CardDetails, "number" | "expiryMonth" | "expiryYear">): CardSummary {
  const digits = normaliseCardNumber(card.number);
  return {
    brand: detectBrand(digits),
    last4: digits.slice(-4),
    expiryMonth: card.expiryMonth,
    expiryYear: card.expiryYear,
  };
}
