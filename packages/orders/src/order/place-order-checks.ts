import { sha256, type FieldError } from "@honour/platform";
import { FieldChecks, invalidInput } from "../field-checks";
import {
  cardNumberProblem,
  CARDHOLDER_NAME_MAX_LENGTH,
  cvcProblem,
  detectBrand,
  expiryProblems,
  normaliseCardNumber,
  summariseCard,
  type CardDetails,
  type CardSummary,
} from "../payment/card";
import { normaliseSku } from "../product/product.service";
import { PRODUCT_LIMITS } from "../product/product.entity";
import { isCountryCode } from "./country";
import { CONTACT_LIMITS } from "./order.entity";

export const ORDER_LIMITS = Object.freeze({
  minLines: 1,
  maxLines: 50,
  minQuantity: 1,
  maxQuantity: 1000,
  /** £10,000,000 in pence; also keeps every total inside a 32-bit GraphQL Int. */
  maxTotalMinor: 1_000_000_000,
  idempotencyKey: 200,
});

/** One line as the buyer asks for it: a SKU and a quantity. Prices come from the catalogue. */
export interface OrderLineRequest {
  sku: string;
  quantity: number;
}

export interface AddressDetails {
  line1: string;
  line2?: string | null;
  city: string;
  postcode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/** Who the order is for, as given on the order form; used for fulfilment only. */
export interface ContactDetails {
  name: string;
  email: string;
  phone?: string | null;
  organisation?: string | null;
  address: AddressDetails;
}

/** Either the card fields, or the id of a card saved on the buyer's profile; never both. */
export interface PaymentChoice {
  cardNumber?: string | null;
  expiryMonth?: number | null;
  expiryYear?: number | null;
  cvc?: string | null;
  cardholderName?: string | null;
  savedPaymentMethodId?: string | null;
  /** A token the payment provider's script made in the buyer's browser (the card never reaches Honour). */
  cardToken?: string | null;
}

/**
 * An order as a buyer places it. Everything is optional to the type system so that the service,
 * not the transport, reports what is missing (with field paths and without echoing the input).
 */
export interface PlaceOrderRequest {
  lines?: readonly Partial<OrderLineRequest>[] | null;
  contact?: (Partial<Omit<ContactDetails, "address">> & { address?: Partial<AddressDetails> | null }) | null;
  payment?: PaymentChoice | null;
  /** Keep the card on the profile for next time (signed-in buyers who keep billing details). */
  saveBillingDetails?: boolean | null;
  /** The same key returns the same order and never charges twice. */
  idempotencyKey?: string | null;
}

export interface NormalisedContact {
  name: string;
  email: string;
  phone: string | null;
  organisation: string | null;
  line1: string;
  line2: string | null;
  city: string;
  postcode: string;
  country: string;
}

export type NormalisedPayment =
  | { kind: "card"; card: CardDetails; summary: CardSummary }
  | { kind: "saved"; savedPaymentMethodId: string }
  | { kind: "clientToken"; token: string };

/** A browser-made payment token as a provider may send it: printable, at most 512 characters. */
const CLIENT_TOKEN_PATTERN = /^[A-Za-z0-9_.:-]{8,512}$/;

/** A request that passed every check that needs no database. */
export interface CheckedOrderRequest {
  lines: OrderLineRequest[];
  contact: NormalisedContact;
  payment: NormalisedPayment;
  saveBillingDetails: boolean;
  idempotencyKey: string | null;
}

const PHONE_PATTERN = /^\+?[0-9 ()-]+$/;
const POSTCODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 -]*$/;
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]+$/;
const SAVED_ID_PATTERN = /^[0-9a-f-]{36}$/;
const CARD_FIELDS = ["cardNumber", "expiryMonth", "expiryYear", "cvc", "cardholderName"] as const;

/**
 * What only the database can tell about a request: which of its SKUs are on sale, and whether the
 * saved payment method it names may pay. Given to {@link inspectPlaceOrder}, so that one answer
 * lists these problems in their places among the others.
 */
export interface StoredOrderFacts {
  /** The request's SKUs (normalised) that are products on sale. */
  onSale: ReadonlySet<string>;
  /** Why the saved payment method the request names cannot pay, or null. */
  savedPaymentMethodProblem: string | null;
}

/** The well-formed references a request makes to stored data: SKUs (normalised) and a saved payment method. */
export function storedReferences(request: PlaceOrderRequest): { skus: string[]; savedPaymentMethodId: string | null } {
  const skus = Array.isArray(request.lines)
    ? request.lines.flatMap((line) =>
        typeof line?.sku === "string" && line.sku.trim() !== "" && line.sku.trim().length <= PRODUCT_LIMITS.sku
          ? [normaliseSku(line.sku)]
          : [],
      )
    : [];
  const saved = request.payment?.savedPaymentMethodId;
  return { skus, savedPaymentMethodId: typeof saved === "string" && SAVED_ID_PATTERN.test(saved) ? saved : null };
}

/**
 * Checks an order request: lines, contact, the card (Luhn digit, expiry, CVC) and the idempotency
 * key, and with `facts` also the SKUs and the saved payment method. Returns the checked request,
 * or every problem, in the input's order, with paths like `input.lines.0.quantity`; no message
 * repeats what was sent.
 */
export function inspectPlaceOrder(
  request: PlaceOrderRequest,
  now: Date,
  signedIn: boolean,
  facts?: StoredOrderFacts,
): { checked: CheckedOrderRequest; errors: readonly [] } | { checked: null; errors: readonly FieldError[] } {
  const checks = new FieldChecks();

  const lines: OrderLineRequest[] = [];
  if (!Array.isArray(request.lines)) checks.fail("input.lines", "is required");
  else if (request.lines.length < ORDER_LIMITS.minLines || request.lines.length > ORDER_LIMITS.maxLines) {
    checks.fail("input.lines", `must have ${ORDER_LIMITS.minLines} to ${ORDER_LIMITS.maxLines} lines`);
  } else {
    request.lines.forEach((line, i) => {
      const path = `input.lines.${i}`;
      const sku = normaliseSku(checks.required(`${path}.sku`, line?.sku, PRODUCT_LIMITS.sku));
      if (facts && !checks.hasFailed(`${path}.sku`) && !facts.onSale.has(sku)) {
        checks.fail(`${path}.sku`, "is not a product on sale");
      }
      const quantity = checks.integer(
        `${path}.quantity`,
        line?.quantity,
        ORDER_LIMITS.minQuantity,
        ORDER_LIMITS.maxQuantity,
      );
      lines.push({ sku, quantity });
    });
  }

  const contact = checkContact(checks, request.contact);
  const payment = checkPayment(checks, request.payment, now, facts);

  const saveBillingDetails = request.saveBillingDetails ?? false;
  if (saveBillingDetails && !signedIn) checks.fail("input.saveBillingDetails", "needs a signed-in account");

  let idempotencyKey: string | null = null;
  if (request.idempotencyKey != null) {
    const key = request.idempotencyKey;
    if (typeof key !== "string" || key.length === 0 || key.length > ORDER_LIMITS.idempotencyKey) {
      checks.fail("input.idempotencyKey", `must be 1 to ${ORDER_LIMITS.idempotencyKey} characters`);
    } else if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      checks.fail("input.idempotencyKey", "must be printable ASCII without spaces");
    } else {
      idempotencyKey = key;
    }
  }

  if (checks.failed) return { checked: null, errors: checks.all };
  return { checked: { lines, contact: contact!, payment: payment!, saveBillingDetails, idempotencyKey }, errors: [] };
}

/** {@link inspectPlaceOrder}, throwing one `BAD_USER_INPUT` that lists every problem. */
export function checkPlaceOrder(
  request: PlaceOrderRequest,
  now: Date,
  signedIn: boolean,
  facts?: StoredOrderFacts,
): CheckedOrderRequest {
  const inspected = inspectPlaceOrder(request, now, signedIn, facts);
  if (!inspected.checked) throw invalidInput(inspected.errors);
  return inspected.checked;
}

function checkContact(checks: FieldChecks, contact: PlaceOrderRequest["contact"]): NormalisedContact | null {
  if (contact == null) {
    checks.fail("input.contact", "is required");
    return null;
  }
  const name = checks.required("input.contact.name", contact.name, CONTACT_LIMITS.name);
  const email = checks.email("input.contact.email", contact.email, CONTACT_LIMITS.email);
  const phone = checks.optional("input.contact.phone", contact.phone, CONTACT_LIMITS.phone);
  if (phone !== null && !checks.hasFailed("input.contact.phone")) {
    const digits = phone.replace(/\D/g, "").length;
    if (!PHONE_PATTERN.test(phone) || digits < 5 || digits > 20) {
      checks.fail("input.contact.phone", "must be a phone number: digits, spaces, ( ) - and a leading +");
    }
  }
  const organisation = checks.optional("input.contact.organisation", contact.organisation, CONTACT_LIMITS.organisation);
  const address = contact.address;
  if (address == null) {
    checks.fail("input.contact.address", "is required");
    return null;
  }
  const line1 = checks.required("input.contact.address.line1", address.line1, CONTACT_LIMITS.line1);
  const line2 = checks.optional("input.contact.address.line2", address.line2, CONTACT_LIMITS.line2);
  const city = checks.required("input.contact.address.city", address.city, CONTACT_LIMITS.city);
  const postcode = checks.required("input.contact.address.postcode", address.postcode, CONTACT_LIMITS.postcode);
  if (postcode !== "" && !checks.hasFailed("input.contact.address.postcode") && !POSTCODE_PATTERN.test(postcode)) {
    checks.fail("input.contact.address.postcode", "must be letters, digits, spaces and hyphens");
  }
  const country = checks.required("input.contact.address.country", address.country, 2).toUpperCase();
  if (country !== "" && !checks.hasFailed("input.contact.address.country") && !isCountryCode(country)) {
    checks.fail("input.contact.address.country", "must be an ISO 3166-1 alpha-2 country code");
  }
  return { name, email, phone, organisation, line1, line2, city, postcode: postcode.toUpperCase(), country };
}

function checkPayment(
  checks: FieldChecks,
  payment: PaymentChoice | null | undefined,
  now: Date,
  facts: StoredOrderFacts | undefined,
): NormalisedPayment | null {
  if (payment == null) {
    checks.fail("input.payment", "is required");
    return null;
  }
  const usesCard = CARD_FIELDS.some((field) => payment[field] != null);
  const savedId = payment.savedPaymentMethodId;
  const clientToken = payment.cardToken;
  if ([usesCard, savedId != null, clientToken != null].filter(Boolean).length > 1) {
    checks.fail("input.payment", "give one of the card fields, savedPaymentMethodId or cardToken");
    return null;
  }
  if (clientToken != null) {
    if (typeof clientToken !== "string" || !CLIENT_TOKEN_PATTERN.test(clientToken)) {
      checks.fail("input.payment.cardToken", "is not a payment token");
      return null;
    }
    return { kind: "clientToken", token: clientToken };
  }
  if (savedId != null) {
    if (typeof savedId !== "string" || !SAVED_ID_PATTERN.test(savedId)) {
      checks.fail("input.payment.savedPaymentMethodId", "is not a saved payment method of yours");
      return null;
    }
    if (facts?.savedPaymentMethodProblem) {
      checks.fail("input.payment.savedPaymentMethodId", facts.savedPaymentMethodProblem);
      return null;
    }
    return { kind: "saved", savedPaymentMethodId: savedId };
  }
  if (!usesCard) {
    checks.fail("input.payment", "give the card fields, savedPaymentMethodId or cardToken");
    return null;
  }

  const path = "input.payment";
  let number = "";
  if (typeof payment.cardNumber !== "string" || payment.cardNumber === "") {
    checks.fail(`${path}.cardNumber`, "is required");
  } else if (payment.cardNumber.length > 32) {
    checks.fail(`${path}.cardNumber`, "must be 12 to 19 digits");
  } else {
    const problem = cardNumberProblem(payment.cardNumber);
    if (problem) checks.fail(`${path}.cardNumber`, problem);
    else number = normaliseCardNumber(payment.cardNumber);
  }
  const month = payment.expiryMonth;
  const year = payment.expiryYear;
  if (month == null) checks.fail(`${path}.expiryMonth`, "is required");
  if (year == null) checks.fail(`${path}.expiryYear`, "is required");
  if (month != null && year != null) {
    const problems = expiryProblems(month, year, now);
    if (problems.expiryMonth) checks.fail(`${path}.expiryMonth`, problems.expiryMonth);
    if (problems.expiryYear) checks.fail(`${path}.expiryYear`, problems.expiryYear);
  }
  let cvc = "";
  if (typeof payment.cvc !== "string" || payment.cvc === "") checks.fail(`${path}.cvc`, "is required");
  else if (payment.cvc.length < 3 || payment.cvc.length > 4 || !/^\d+$/.test(payment.cvc)) {
    // Judged even when the number is not, so that one answer names both.
    checks.fail(`${path}.cvc`, "must be 3 or 4 digits");
  } else if (number !== "") {
    const problem = cvcProblem(payment.cvc, detectBrand(number));
    if (problem) checks.fail(`${path}.cvc`, problem);
    else cvc = payment.cvc;
  }
  const cardholderName = checks.required(`${path}.cardholderName`, payment.cardholderName, CARDHOLDER_NAME_MAX_LENGTH);
  if (checks.hasFailed(path)) return null;
  const card: CardDetails = { number, expiryMonth: month!, expiryYear: year!, cvc, cardholderName };
  return { kind: "card", card, summary: summariseCard(card) };
}

/**
 * A fingerprint of what was asked for, to tell a retry from a different order that reuses an
 * idempotency key. Built from the lines, contact and the card's summary: never the number or CVC.
 */
export function requestFingerprint(request: CheckedOrderRequest): string {
  const payment =
    request.payment.kind === "card"
      ? { card: request.payment.summary }
      : request.payment.kind === "saved"
        ? { saved: request.payment.savedPaymentMethodId }
        : { clientToken: sha256(request.payment.token) };
  return sha256(
    JSON.stringify({
      lines: request.lines,
      contact: request.contact,
      payment,
      saveBillingDetails: request.saveBillingDetails,
    }),
  );
}
