import {
  ANONYMOUS,
  ManualClock,
  platformModule,
  RequestContext,
  Role,
  type Actor,
  type Platform,
  type SecurityEventRecord,
} from "@honour/platform";
import {
  createTestPlatform,
  FAST_PASSWORD_HASHING,
  openTestDataSource,
  signUpTestAccount,
  type TestDatabaseKind,
  type TestDataSource,
} from "@honour/testing";
import { createUsersServices, usersModule, type UserEntity, type UsersServices } from "@honour/users";
import { type OrderEntity } from "../src/order/order.entity";
import { type PlaceOrderRequest } from "../src/order/place-order-checks";
import { createOrdersServices, ordersModule, type OrdersServices } from "../src/orders.module";
import { type PartnerEntity } from "../src/partner/partner.entity";
import { type IssuedApiKey } from "../src/partner/partner.service";
import { type CardDetails, type CardSummary } from "../src/payment/card";
import {
  type ChargeOutcome,
  type ChargeRequest,
  LocalPaymentProvider,
  type PaymentProvider,
  type RefundOutcome,
  type RefundRequest,
} from "../src/payment/payment-provider.service";
import { type ProductEntity, ProductKind } from "../src/product/product.entity";
import { type ProductDraft } from "../src/product/product.service";

export const START = "2026-11-25T12:00:00.000Z";
export { TEST_PASSWORD as PASSWORD } from "@honour/testing";

/** Test cards: Luhn-valid, distinctive, and never expected anywhere at rest. */
export const CARD = Object.freeze({ number: "4929 3860 2561 4176", digits: "4929386025614176", cvc: "847" });
export const AMEX = Object.freeze({ number: "3714 496353 98431", digits: "371449635398431", cvc: "4819" });
export const DECLINED = Object.freeze({ number: LocalPaymentProvider.DECLINED_CARD, cvc: "123" });

/**
 * The local provider, counting what it is asked to do (but keeping no card data). `charges` and
 * `refunds` count calls; the provider's own `charged` and `refunded` count what it did (a call
 * repeating an idempotency key does nothing). `loseNextRefundAnswer` makes the next refund happen
 * at the provider and its answer never arrive, as when the network fails on the way back.
 */
export class CountingProvider implements PaymentProvider {
  readonly name = "local";
  charges = 0;
  refunds = 0;
  loseNextRefundAnswer = false;
  readonly inner: LocalPaymentProvider;
  constructor(clock: ManualClock) {
    this.inner = new LocalPaymentProvider(clock);
  }
  async chargeCard(card: CardDetails, charge: ChargeRequest): Promise<ChargeOutcome> {
    this.charges += 1;
    return this.inner.chargeCard(card, charge);
  }
  async chargeToken(token: string, card: CardSummary, charge: ChargeRequest): Promise<ChargeOutcome> {
    this.charges += 1;
    return this.inner.chargeToken(token, card, charge);
  }
  async chargeClientToken(clientToken: string, charge: ChargeRequest): Promise<ChargeOutcome> {
    this.charges += 1;
    return this.inner.chargeClientToken(clientToken, charge);
  }
  async refund(refund: RefundRequest): Promise<RefundOutcome> {
    this.refunds += 1;
    const outcome = await this.inner.refund(refund);
    if (this.loseNextRefundAnswer) {
      this.loseNextRefundAnswer = false;
      throw new Error("the payment provider did not answer in time");
    }
    return outcome;
  }
}

export interface OrdersTestBed {
  kind: TestDatabaseKind;
  db: TestDataSource;
  clock: ManualClock;
  platform: Platform;
  users: UsersServices;
  services: OrdersServices;
  provider: CountingProvider;
  /** What the services wrote to the security log. */
  securityEvents: SecurityEventRecord[];
  /** A request context acting as `actor` (anonymous by default), outside any transaction. */
  ctx(actor?: Actor): RequestContext;
  /** Registers and signs in a customer; `role` promotes the account. */
  signUp(role?: Role): Promise<{ ctx: RequestContext; user: UserEntity; actor: Actor }>;
  /** A catalogue product (active LICENCE at £12.50 unless told otherwise). */
  product(draft?: Partial<ProductDraft>): Promise<ProductEntity>;
  /** An active partner with a key, and a context acting as it. */
  partner(name?: string): Promise<{ partner: PartnerEntity; key: IssuedApiKey; ctx: RequestContext; actor: Actor }>;
  /** Places an order in its own transaction, as the resolver does. */
  place(ctx: RequestContext, request: PlaceOrderRequest): Promise<OrderEntity>;
  /** A valid order request for these SKUs (one of each), paid by {@link CARD}. */
  request(skus: string[], overrides?: Partial<PlaceOrderRequest>): PlaceOrderRequest;
  /** Empties every table and puts the clock back to {@link START}. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

export async function openOrdersTestBed(kind: TestDatabaseKind): Promise<OrdersTestBed> {
  const db = await openTestDataSource(kind, [platformModule, usersModule, ordersModule]);
  const clock = new ManualClock(START);
  const securityEvents: SecurityEventRecord[] = [];
  const platform = createTestPlatform(db.dataSource, {
    clock,
    securityLog: { record: async (_ctx, event) => void securityEvents.push(event) },
  });
  const users = createUsersServices(platform, { passwordHashing: FAST_PASSWORD_HASHING });
  const provider = new CountingProvider(clock);
  const services = createOrdersServices(platform, users, { paymentProvider: provider });
  const ctx = (actor: Actor = ANONYMOUS) => new RequestContext(db.dataSource, actor, clock);
  const bed: OrdersTestBed = {
    kind,
    db,
    clock,
    platform,
    users,
    services,
    provider,
    securityEvents,
    ctx,
    signUp: (role = Role.CUSTOMER) => signUpTestAccount(users, ctx, {}, role === Role.CUSTOMER ? undefined : role),
    product: async (draft = {}) => {
      counter += 1;
      return ctx().transaction((tx) =>
        services.catalogue.create(tx, {
          sku: `SKU-${counter}`,
          name: `Product ${counter}`,
          description: "A thing to buy",
          priceMinor: 1250,
          kind: ProductKind.LICENCE,
          ...draft,
        }),
      );
    },
    partner: async (name) => {
      counter += 1;
      const partner = await services.partners.create(ctx(), {
        name: name ?? `Reseller ${counter}`,
        contactEmail: `reseller${counter}@partner.example`,
      });
      const key = await services.partners.issueApiKey(ctx(), partner.id);
      const actor = await services.partners.resolveApiKey(ctx(), key.secret);
      return { partner, key, actor, ctx: ctx(actor) };
    },
    place: (c, request) => services.placing.place(c, request),
    request: (skus, overrides = {}) => ({
      lines: skus.map((sku) => ({ sku, quantity: 1 })),
      contact: {
        name: "Ada Lovelace",
        email: "ada@example.com",
        phone: "+44 20 7946 0000",
        organisation: "Analytical Engines Ltd",
        address: { line1: "12 St James's Square", line2: null, city: "London", postcode: "SW1Y 4JH", country: "GB" },
      },
      payment: {
        cardNumber: CARD.number,
        expiryMonth: 12,
        expiryYear: 2030,
        cvc: CARD.cvc,
        cardholderName: "A LOVELACE",
      },
      ...overrides,
    }),
    reset: async () => {
      for (const table of [
        "erasure_notice",
        "audit_entry",
        "disclosure",
        "order_licence",
        "order_line",
        "customer_order",
        "order_number",
        "saved_payment_method",
        "partner_api_key",
        "partner",
        "product",
        "session",
        "sign_in_attempt",
        "article",
        "user",
        "job",
      ]) {
        await db.dataSource.query(`DELETE FROM ${db.dataSource.driver.escape(table)}`);
      }
      provider.charges = 0;
      provider.refunds = 0;
      provider.loseNextRefundAnswer = false;
      provider.inner.charged = 0;
      provider.inner.refunded = 0;
      securityEvents.length = 0;
      clock.set(START);
    },
    close: () => db.close(),
  };
  return bed;
}

export { failure } from "@honour/testing";

export { everyStoredValue, statementsOf } from "@honour/testing";

/**
 * Where a card number or CVC shows up in stored values. The number (12+ digits) is looked for
 * anywhere. A CVC is only 3–4 digits, which random ids, hashes and licence serials contain by
 * chance, so it is looked for as a whole number in every value except those random shapes
 * (purely hexadecimal, groups of five base-32 characters, or a timestamp).
 */
export function cardDataHits(
  values: { table: string; column: string; value: string }[],
  card: { digits: string; cvc: string },
): string[] {
  const cvc = new RegExp(`(?<![0-9])${card.cvc}(?![0-9])`);
  return values
    .filter(({ value }) => {
      if (value.replace(/[\s-]/g, "").includes(card.digits)) return true;
      const random =
        /^[0-9a-f-]+$/i.test(value) ||
        /^[0-9A-Z]{5}(-[0-9A-Z]{5})+$/.test(value) ||
        /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/.test(value);
      return !random && cvc.test(value);
    })
    .map(({ table, column }) => `${table}.${column}`);
}
