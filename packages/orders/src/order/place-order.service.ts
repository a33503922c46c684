import {
  enqueueTransactionalMail,
  ForbiddenException,
  isDuplicateKeyError,
  isMysql,
  lockRows,
  newId,
  NotFoundException,
  sha256,
  UnauthenticatedException,
  type JobQueue,
  type Logger,
  type RequestContext,
} from "@honour/platform";
import { UserEntity, type UsersServices } from "@honour/users";
import type { SavedPaymentMethodEntity } from "../billing/saved-payment-method.entity";
import type { SavedPaymentMethodService } from "../billing/saved-payment-method.service";
import { invalidInput } from "../field-checks";
import { IdempotencyKeyReusedException, PaymentDeclinedException } from "../orders.exception";
import { isExpired, type CardSummary } from "../payment/card";
import {
  orderRefundKey,
  type ChargeOutcome,
  type ChargeRequest,
  type PaymentProvider,
} from "../payment/payment-provider.service";
import { Currency, type ProductEntity } from "../product/product.entity";
import type { ProductService } from "../product/product.service";
import { formerOwnerHash } from "./former-owner";
import type { GuestOrderService } from "./guest-order.service";
import { orderConfirmation, orderConfirmationKey } from "./order-confirmation";
import { OrderLineEntity } from "./order-line.entity";
import { formatOrderNumber, type OrderNumberService } from "./order-number.service";
import { assertTransition, OrderStatus } from "./order-state";
import { OrderEntity } from "./order.entity";
import {
  checkPlaceOrder,
  inspectPlaceOrder,
  ORDER_LIMITS,
  requestFingerprint,
  storedReferences,
  type CheckedOrderRequest,
  type PlaceOrderRequest,
  type StoredOrderFacts,
} from "./place-order-checks";

/** The payment method an order is charged to, resolved from the request. */
type Charge =
  | { kind: "card"; request: CheckedOrderRequest & { payment: { kind: "card" } } }
  | { kind: "clientToken"; token: string }
  | {
      kind: "saved";
      token: string;
      provider: string;
      summary: CardSummary;
    };

/**
 * Placing orders: server-side prices, payment through the provider without keeping card data,
 * idempotency, the buyer's profile switches, the confirmation mail.
 */
export class PlaceOrderService {
  constructor(
    private readonly products: ProductService,
    private readonly numbers: OrderNumberService,
    private readonly provider: PaymentProvider,
    private readonly billing: SavedPaymentMethodService,
    private readonly users: UsersServices,
    private readonly logger: Logger,
    private readonly jobs: JobQueue,
    /** The server secret, for {@link formerOwnerHash}. */
    private readonly secret: string,
    /** Signs a guest order's link in its confirmation mail. */
    private readonly guestOrders?: GuestOrderService,
  ) {}

  /**
   * Places an order for the signed-in user or a guest, in a transaction of its own (or the
   * caller's, when `ctx` is in one). Prices and the total come from the catalogue. The card details go to the payment provider
   * and nowhere else: the order keeps the provider's token, brand, last four digits and expiry.
   *
   * - `BAD_USER_INPUT` lists every invalid field, unknown or inactive SKUs among them;
   * - `PAYMENT_DECLINED` when the provider refuses: nothing is left behind (the transaction
   *   rolls back);
   * - the same `idempotencyKey` from the same buyer returns the first order without charging
   *   again, even when the two requests run at the same time; reused for a different order it is
   *   `CONFLICT`;
   * - signed-in buyers get the order in their history unless their profile stops keeping it, and
   *   the card on their profile with `saveBillingDetails` unless it stops keeping billing details.
   */
  place(ctx: RequestContext, request: PlaceOrderRequest): Promise<OrderEntity> {
    return ctx.transaction((tx) => this.placeIn(tx, request));
  }

  private async placeIn(ctx: RequestContext, request: PlaceOrderRequest): Promise<OrderEntity> {
    const actor = ctx.actor;
    if (actor.kind === "partner" || actor.kind === "system") {
      throw new ForbiddenException("Orders are placed by customers.");
    }
    const now = ctx.clock.now();
    const signedIn = actor.kind === "user";
    const inspected = inspectPlaceOrder(request, now, signedIn);
    if (!inspected.checked) {
      // One answer a form can be built on: what only the catalogue and the saved cards can tell
      // (an unknown SKU) comes with the other problems, not after they are fixed.
      const facts = await this.storedFacts(ctx, request, signedIn ? actor.userId : null, now);
      throw invalidInput(inspectPlaceOrder(request, now, signedIn, facts).errors);
    }
    const checked = inspected.checked;
    const buyer = signedIn ? await this.lockBuyer(ctx, actor.userId) : null;

    const fingerprint = requestFingerprint(checked);
    const keyHash = checked.idempotencyKey
      ? sha256(`${buyer ? `user:${buyer.id}` : "guest"}\n${checked.idempotencyKey}`)
      : null;
    if (keyHash) {
      const earlier = await ctx.manager.findOneBy(OrderEntity, { idempotencyKeyHash: keyHash });
      if (earlier) return this.replay(earlier, fingerprint);
    }

    const facts = await this.storedFacts(ctx, request, buyer?.id ?? null, now);
    checkPlaceOrder(request, now, signedIn, facts);
    const products = this.priceLines(checked, facts.products);
    const charge = this.chargeSource(checked, facts.saved);

    const id = newId(now.getTime());
    const order: OrderEntity = Object.assign(new OrderEntity(), {
      id,
      number: await this.numbers.next(ctx),
      status: OrderStatus.PLACED,
      userId: buyer?.keepOrderHistory ? buyer.id : null,
      formerOwnerHash: buyer && !buyer.keepOrderHistory ? formerOwnerHash(this.secret, buyer.id) : null,
      contactErasedAt: null,
      partnerId: null,
      currency: Currency.GBP,
      totalMinor: products.total,
      contactName: checked.contact.name,
      contactEmail: checked.contact.email,
      contactPhone: checked.contact.phone,
      contactOrganisation: checked.contact.organisation,
      addressLine1: checked.contact.line1,
      addressLine2: checked.contact.line2,
      addressCity: checked.contact.city,
      addressPostcode: checked.contact.postcode,
      addressCountry: checked.contact.country,
      paymentProvider: null,
      paymentToken: null,
      paymentChargeId: null,
      cardBrand: null,
      cardLast4: null,
      cardExpiryMonth: null,
      cardExpiryYear: null,
      idempotencyKeyHash: keyHash,
      requestHash: keyHash ? fingerprint : null,
      placedAt: now,
      paidAt: null,
      assignedAt: null,
      fulfilledAt: null,
      cancelledAt: null,
      updatedAt: now,
    });
    try {
      // Before the charge: a concurrent request with the same key waits here on the unique index
      // until this transaction ends, then finds this order instead of charging again.
      await ctx.manager.createQueryBuilder().insert().into(OrderEntity).values(order).updateEntity(false).execute();
    } catch (error) {
      if (!keyHash || !isDuplicateKeyError(error)) throw error;
      // What the other request committed: a locking read sees it, although this transaction's
      // snapshot predates it (SQLite runs one transaction at a time and never gets here).
      const query = ctx.manager
        .createQueryBuilder(OrderEntity, "o")
        .where("o.idempotencyKeyHash = :keyHash", { keyHash });
      const earlier = await lockRows(query, "share").getOne();
      if (!earlier) throw error;
      return this.replay(earlier, fingerprint);
    }
    const lines = products.lines.map((line, position) =>
      Object.assign(new OrderLineEntity(), { id: newId(now.getTime()), orderId: id, position, ...line }),
    );
    await ctx.manager.createQueryBuilder().insert().into(OrderLineEntity).values(lines).updateEntity(false).execute();

    const chargeRequest: ChargeRequest = {
      amountMinor: order.totalMinor,
      currency: "GBP",
      reference: formatOrderNumber(order.number),
      idempotencyKey: order.id,
    };
    const outcome = await this.charge(charge, chargeRequest);
    if (!outcome.approved) throw new PaymentDeclinedException();

    try {
      assertTransition(order.status, OrderStatus.PAID);
      const paid = {
        status: OrderStatus.PAID,
        paymentProvider: this.provider.name,
        paymentToken: outcome.token,
        paymentChargeId: outcome.chargeId,
        cardBrand: outcome.card.brand,
        cardLast4: outcome.card.last4,
        cardExpiryMonth: outcome.card.expiryMonth,
        cardExpiryYear: outcome.card.expiryYear,
        paidAt: now,
        updatedAt: now,
      };
      await ctx.manager.update(OrderEntity, { id }, paid);
      Object.assign(order, paid);
      if (buyer && checked.saveBillingDetails && buyer.keepBillingDetails && charge.kind === "card") {
        await this.billing.save(ctx, buyer.id, this.provider.name, outcome.token, outcome.card);
      }
    } catch (error) {
      // The money was taken but the order will roll back: give it back rather than keep it.
      await this.provider
        .refund({ chargeId: outcome.chargeId, amountMinor: order.totalMinor, idempotencyKey: orderRefundKey(id) })
        .catch((refundError: unknown) =>
          this.logger.error(
            { err: refundError, orderId: id, event: "orders.refundAfterFailureFailed" },
            "could not refund a charge whose order failed",
          ),
        );
      throw error;
    }
    const guestUrl = order.userId ? undefined : this.guestOrders?.url(order.id);
    await enqueueTransactionalMail(
      ctx,
      this.jobs,
      orderConfirmation(order, lines, guestUrl),
      orderConfirmationKey(order.id),
    );
    return order;
  }

  /** The first order placed with an idempotency key, unless the key now comes with another request. */
  private replay(earlier: OrderEntity, fingerprint: string): OrderEntity {
    if (earlier.requestHash !== fingerprint) throw new IdempotencyKeyReusedException();
    return earlier;
  }

  /**
   * The buyer's profile switches. On MySQL/MariaDB they are read with a shared lock on the account
   * (UsersServices has no locking read): a concurrent switch-off then waits for this order and
   * detaches it too, instead of missing an order it could not see yet, and so does a concurrent
   * closure (the orders contributor locks the account row first). A closed account places nothing. SQLite runs one
   * transaction at a time, so the accounts service's plain read is enough there.
   */
  private async lockBuyer(
    ctx: RequestContext,
    userId: string,
  ): Promise<{ id: string; keepOrderHistory: boolean; keepBillingDetails: boolean }> {
    const user = isMysql(ctx.dataSource)
      ? await lockRows(
          ctx.manager
            .createQueryBuilder(UserEntity, "u")
            .select(["u.id", "u.keepOrderHistory", "u.keepBillingDetails", "u.closedAt"])
            .where("u.id = :userId", { userId }),
          "share",
        ).getOne()
      : await this.users.users.findById(ctx, userId);
    if (!user) throw new NotFoundException("User");
    // A request that began before the account was closed: its session has ended since.
    if (user.closedAt) throw new UnauthenticatedException("This account is closed.");
    return { id: user.id, keepOrderHistory: user.keepOrderHistory, keepBillingDetails: user.keepBillingDetails };
  }

  /**
   * What the request refers to in the database, and what is wrong with it: the products of its
   * SKUs (on sale: active, in GBP) and the buyer's saved payment method it names (theirs, not
   * expired). `buyerId` null: a guest, who has no saved cards.
   */
  private async storedFacts(
    ctx: RequestContext,
    request: PlaceOrderRequest,
    buyerId: string | null,
    now: Date,
  ): Promise<StoredOrderFacts & { products: Map<string, ProductEntity>; saved: SavedPaymentMethodEntity | null }> {
    const { skus, savedPaymentMethodId } = storedReferences(request);
    const found = skus.length > 0 ? await this.products.findBySkus(ctx, skus) : [];
    const products = new Map(
      found.filter((p) => p.active && p.currency === Currency.GBP).map((p): [string, ProductEntity] => [p.sku, p]),
    );
    const saved =
      buyerId && savedPaymentMethodId ? await this.billing.findOwn(ctx, buyerId, savedPaymentMethodId) : null;
    let savedPaymentMethodProblem: string | null = null;
    if (savedPaymentMethodId && !saved) savedPaymentMethodProblem = "is not a saved payment method of yours";
    else if (saved && isExpired(saved.expiryMonth, saved.expiryYear, now)) {
      savedPaymentMethodProblem = "the saved card has expired";
    }
    return { onSale: new Set(products.keys()), savedPaymentMethodProblem, products, saved };
  }

  /** Each line priced from the catalogue (every SKU is on sale: checked before), and the total. */
  private priceLines(
    request: CheckedOrderRequest,
    products: ReadonlyMap<string, ProductEntity>,
  ): { lines: Omit<OrderLineEntity, "id" | "orderId" | "position">[]; total: number } {
    const lines = request.lines.map((line) => {
      const product = products.get(line.sku)!;
      return {
        productId: product.id,
        sku: product.sku,
        name: product.name,
        kind: product.kind,
        quantity: line.quantity,
        unitPriceMinor: product.priceMinor,
        totalMinor: product.priceMinor * line.quantity,
      };
    });
    const total = lines.reduce((sum, line) => sum + line.totalMinor, 0);
    if (total > ORDER_LIMITS.maxTotalMinor) {
      throw invalidInput([{ field: "input.lines", message: "the order total is above the limit for one order" }]);
    }
    return { lines, total };
  }

  /** What to charge: the card typed in, or the buyer's saved card (checked before: theirs, not expired). */
  private chargeSource(request: CheckedOrderRequest, saved: SavedPaymentMethodEntity | null): Charge {
    if (request.payment.kind === "card") {
      return { kind: "card", request: request as CheckedOrderRequest & { payment: { kind: "card" } } };
    }
    if (request.payment.kind === "clientToken") return { kind: "clientToken", token: request.payment.token };
    if (!saved) throw new Error("a saved payment method that was checked is missing");
    return {
      kind: "saved",
      token: saved.token,
      provider: saved.provider,
      summary: { brand: saved.brand, last4: saved.last4, expiryMonth: saved.expiryMonth, expiryYear: saved.expiryYear },
    };
  }

  /** Asks the provider. The card details leave memory with this call's frame. */
  private charge(charge: Charge, request: ChargeRequest): Promise<ChargeOutcome> {
    if (charge.kind === "card") return this.provider.chargeCard(charge.request.payment.card, request);
    if (charge.kind === "clientToken") return this.provider.chargeClientToken(charge.token, request);
    if (charge.provider !== this.provider.name) return Promise.resolve({ approved: false, reason: "INVALID_TOKEN" });
    return this.provider.chargeToken(charge.token, charge.summary, request);
  }
}
