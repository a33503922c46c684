import {
  AuditAction,
  enqueueTransactionalMail,
  type AuditLog,
  type JobQueue,
  type TransactionalMailPayload,
  ForbiddenException,
  isMysql,
  lockRows,
  newId,
  NotFoundException,
  readPageArgs,
  Role,
  SecurityEventKind,
  sha256,
  toConnection,
  type Actor,
  type Connection,
  type IdentifiedAuditRecord,
  type Logger,
  type PageArgs,
  type RequestContext,
  type SecurityLog,
  UnauthenticatedException,
} from "@honour/platform";
import { UserEntity, type UsersServices } from "@honour/users";
import type { SavedPaymentMethodEntity } from "../billing/saved-payment-method.entity";
import type { SavedPaymentMethodService } from "../billing/saved-payment-method.service";
import type { LicenceService } from "../licence/licence.service";
import { invalidInput } from "../field-checks";
import type { HotReads } from "../hot-read";
import { IdempotencyKeyReusedException, isDuplicateKeyError, PaymentDeclinedException } from "../orders.exception";
import { isExpired, type CardSummary } from "../payment/card";
import {
  orderRefundKey,
  type ChargeOutcome,
  type ChargeRequest,
  type PaymentProvider,
} from "../payment/payment-provider.service";
import { PartnerEntity } from "../partner/partner.entity";
import { Currency, type ProductEntity } from "../product/product.entity";
import type { ProductService } from "../product/product.service";
import { OrderLineEntity } from "./order-line.entity";
import { formatOrderNumber, type OrderNumberService } from "./order-number.service";
import {
  assertTransition,
  InvalidOrderTransitionException,
  isOpenForPartner,
  OrderStatus,
} from "./order-state";
import { formerOwnerAuditSubject, formerOwnerHash } from "./former-owner";
import { OrderViews } from "./order-views";
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

/** A page of orders, optionally of one status. */
export interface OrderSearchArgs extends PageArgs {
  status?: OrderStatus | null;
}

const ID_PATTERN = /^[0-9a-f-]{36}$/;

function isStaff(actor: Actor): boolean {
  return actor.kind === "user" && (actor.role === Role.SUPPORT || actor.role === Role.ADMIN);
}

/** May `actor` see this order at all? Anyone else gets NOT_FOUND, as for a missing order. */
export function canViewOrder(actor: Actor, order: Pick<OrderEntity, "userId" | "partnerId">): boolean {
  switch (actor.kind) {
    case "user":
      return isStaff(actor) || (order.userId !== null && order.userId === actor.userId);
    case "partner":
      return order.partnerId !== null && order.partnerId === actor.partnerId;
    default:
      return false;
  }
}

/**
 * May `actor` read this order's contact? Its buyer and SUPPORT/ADMIN may; the assigned partner may
 * while the order is open (assigned, not yet fulfilled or cancelled). Each partner read is a
 * disclosure.
 */
export function canReadContact(actor: Actor, order: Pick<OrderEntity, "userId" | "partnerId" | "status">): boolean {
  if (actor.kind === "partner") return order.partnerId === actor.partnerId && isOpenForPartner(order.status);
  return canViewOrder(actor, order);
}

/** Payment and billing fields are for the buyer and staff; never for partners. */
export function canReadPayment(actor: Actor, order: Pick<OrderEntity, "userId" | "partnerId">): boolean {
  return actor.kind === "user" && canViewOrder(actor, order);
}

/** Who received an order's contact is for its buyer and staff to see; never for partners. */
export function canReadDisclosures(actor: Actor, order: Pick<OrderEntity, "userId" | "partnerId">): boolean {
  return actor.kind === "user" && canViewOrder(actor, order);
}

/** The payment method an order is charged to, resolved from the request. */
type Charge =
  | { kind: "card"; request: CheckedOrderRequest & { payment: { kind: "card" } } }
  | {
      kind: "saved";
      token: string;
      provider: string;
      summary: CardSummary;
    };

/**
 * Orders: placing them (server-side prices, payment through the provider, idempotency), the
 * customer's, staff's and partners' views, and the state machine (assign, fulfil, cancel).
 */
export class OrderService {
  constructor(
    private readonly products: ProductService,
    private readonly numbers: OrderNumberService,
    private readonly provider: PaymentProvider,
    private readonly billing: SavedPaymentMethodService,
    private readonly licences: LicenceService,
    private readonly users: UsersServices,
    private readonly securityLog: SecurityLog,
    private readonly logger: Logger,
    private readonly reads: HotReads,
    private readonly jobs: JobQueue,
    private readonly audit: AuditLog,
    /** The server secret, for {@link formerOwnerHash}. */
    private readonly secret: string,
  ) {}

  /**
   * Places an order for the signed-in user or a guest, in `ctx`'s transaction (the caller opens
   * it). Prices and the total come from the catalogue. The card details go to the payment provider
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
  async place(ctx: RequestContext, request: PlaceOrderRequest): Promise<OrderEntity> {
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
    await enqueueTransactionalMail(ctx, this.jobs, orderConfirmation(order, lines), orderConfirmationKey(order.id));
    return order;
  }

  /** An order `ctx`'s actor may see, or `NOT_FOUND` (also when it is someone else's). */
  async findVisible(ctx: RequestContext, id: string): Promise<OrderEntity> {
    const order = ID_PATTERN.test(id) ? await ctx.manager.findOneBy(OrderEntity, { id }) : null;
    if (!order || !canViewOrder(ctx.actor, order)) throw new NotFoundException("Order");
    return order;
  }

  /**
   * {@link findVisible}, and for staff reading someone else's order an `ORDERS_VIEWED` audit entry
   * in `ctx`'s transaction (the caller opens it). `views` are the request's entries so far (see
   * `OrderViewsOfRequest`); a fresh one makes this call a request of its own.
   */
  async view(ctx: RequestContext, id: string, views: OrderViews = new OrderViews()): Promise<OrderEntity> {
    const order = await this.findVisible(ctx, id);
    await this.recordStaffView(ctx, [order], views);
    return order;
  }

  /**
   * Records that a staff member read these orders of other people: one `ORDERS_VIEWED` entry per
   * person per request, naming every order of theirs the request read (detail: the numbers,
   * ascending, or how many past 200 characters). A person is their account: the orders in their
   * history and those outside it (`formerOwnerHash`) are one person. The subject is their user
   * id; for orders outside their history, while the request has read none in it, a pseudonym
   * ({@link formerOwnerAuditSubject}) that the audit log finds by their user id. Orders of no
   * account (guests, erased) share one entry without a subject. The first read writes the entry,
   * later ones in the request rewrite it; a read that adds nothing writes nothing. Customers and
   * partners reading orders record nothing; nor does a staff member reading their own.
   */
  async recordStaffView(
    ctx: RequestContext,
    orders: readonly OrderEntity[],
    views: OrderViews = new OrderViews(),
  ): Promise<void> {
    if (!isStaff(ctx.actor) || orders.length === 0) return;
    const own = ctx.userId ? formerOwnerHash(this.secret, ctx.userId) : null;
    const read = new Map<string, { userId: string | null; numbers: number[] }>();
    for (const order of orders) {
      // The person: the keyed hash of their account id, which detached orders carry.
      const person = order.userId ? formerOwnerHash(this.secret, order.userId) : (order.formerOwnerHash ?? "");
      if (person !== "" && person === own) continue;
      const entry = read.get(person);
      if (entry) {
        entry.numbers.push(order.number);
        entry.userId ??= order.userId;
      } else {
        read.set(person, { userId: order.userId, numbers: [order.number] });
      }
    }
    const now = ctx.clock.now();
    const records: IdentifiedAuditRecord[] = [];
    for (const [person, { userId, numbers }] of read) {
      const before = views.get(person);
      const all = new Set(before?.numbers);
      for (const number of numbers) all.add(number);
      const named = before?.userId ?? userId;
      if (before && all.size === before.numbers.size && named === before.userId) continue;
      const entry = { id: before?.id ?? newId(now.getTime()), userId: named, numbers: all };
      views.set(person, entry);
      records.push({
        id: entry.id,
        action: AuditAction.ORDERS_VIEWED,
        subjectId: person === "" ? null : (named ?? formerOwnerAuditSubject(this.secret, person)),
        detail: describeOrdersRead(person === "" ? "orders of no account: " : "", all),
      });
    }
    await this.audit.recordOrReplace(ctx, records);
  }

  /** The signed-in user's orders, newest first; detached orders are no longer theirs. */
  async listMine(ctx: RequestContext, args: PageArgs): Promise<Connection<OrderEntity>> {
    const userId = ctx.userId;
    if (!userId) throw new ForbiddenException();
    return this.page(ctx, [["userId", userId]], args);
  }

  /**
   * Every order, newest first, optionally of one status. For SUPPORT and ADMIN. Each customer on
   * the page gets an `ORDERS_VIEWED` audit entry (see {@link recordStaffView}), in `ctx`'s
   * transaction: open one so that the entries commit with the read.
   */
  async listAll(
    ctx: RequestContext,
    args: OrderSearchArgs,
    views: OrderViews = new OrderViews(),
  ): Promise<Connection<OrderEntity>> {
    if (!isStaff(ctx.actor)) throw new ForbiddenException();
    const page = await this.page(ctx, args.status != null ? [["status", checkStatus(args.status)]] : [], args);
    await this.recordStaffView(ctx, page.nodes, views);
    return page;
  }

  /** The calling partner's orders (those assigned to it now), newest first. */
  async listForPartner(ctx: RequestContext, args: OrderSearchArgs): Promise<Connection<OrderEntity>> {
    const actor = ctx.actor;
    if (actor.kind !== "partner") throw new ForbiddenException();
    const filters: [keyof OrderEntity, string][] = [["partnerId", actor.partnerId]];
    if (args.status != null) filters.push(["status", checkStatus(args.status)]);
    return this.page(ctx, filters, args);
  }

  /**
   * A page of orders matching every filter, newest first, in one statement (keyset pagination on
   * the time-ordered id, one row more than asked to know whether there is a next page).
   */
  private async page(
    ctx: RequestContext,
    filters: [keyof OrderEntity, string][],
    args: PageArgs,
  ): Promise<Connection<OrderEntity>> {
    const { first, afterId } = readPageArgs(args);
    const shape = `page:${filters.map(([column]) => column).join(",")}${afterId ? ":after" : ""}`;
    const rows = await this.reads.select(
      ctx,
      OrderEntity,
      shape,
      ({ table, column }) => {
        const where = filters.map(([name]) => `${column(name)} = ?`);
        if (afterId) where.push(`${column("id")} < ?`);
        const condition = where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "";
        return `SELECT * FROM ${table}${condition} ORDER BY ${column("id")} DESC LIMIT ?`;
      },
      [...filters.map(([, value]) => value), ...(afterId ? [afterId] : []), first + 1],
    );
    return toConnection(rows.slice(0, first), rows.length > first);
  }

  /** The lines of these orders, in each order's own order. */
  async linesOf(ctx: RequestContext, orderIds: readonly string[]): Promise<OrderLineEntity[]> {
    if (orderIds.length === 0) return [];
    return this.reads.select(
      ctx,
      OrderLineEntity,
      `lines:${orderIds.length}`,
      ({ table, column }) =>
        `SELECT * FROM ${table} WHERE ${column("orderId")} IN (${orderIds.map(() => "?").join(", ")}) ` +
        `ORDER BY ${column("orderId")} ASC, ${column("position")} ASC`,
      [...orderIds],
    );
  }

  /**
   * Assigns a paid order to a partner, or reassigns it; the previous partner loses access at
   * once. The staff member sees the order in the answer: an `ORDERS_VIEWED` audit entry. `NOT_FOUND` for an unknown order or partner, `BAD_USER_INPUT` for an inactive partner,
   * `CONFLICT` for an order that is not paid or already fulfilled or cancelled.
   */
  async assign(
    ctx: RequestContext,
    orderId: string,
    partnerId: string,
    views: OrderViews = new OrderViews(),
  ): Promise<OrderEntity> {
    if (!isStaff(ctx.actor)) throw new ForbiddenException();
    const order = await this.view(ctx, orderId, views);
    const partner = ID_PATTERN.test(partnerId) ? await ctx.manager.findOneBy(PartnerEntity, { id: partnerId }) : null;
    if (!partner) throw new NotFoundException("Partner");
    if (order.status === OrderStatus.ASSIGNED && order.partnerId === partnerId) return order;
    if (!partner.active) throw invalidInput([{ field: "partnerId", message: "is not an active partner" }]);
    const now = ctx.clock.now();
    const assigned = await this.transition(ctx, order, OrderStatus.ASSIGNED, {
      partnerId,
      assignedAt: now,
      updatedAt: now,
    });
    await this.staffAction(ctx, partnerId, `assigned order ${formatOrderNumber(order.number)}`);
    return assigned;
  }

  /**
   * The calling partner marks an order assigned to it fulfilled; LICENCE lines get their licences.
   * Its access to the contact ends. Marking it again returns it unchanged. `NOT_FOUND` for an
   * order not assigned to this partner, `CONFLICT` for a cancelled one.
   */
  async markFulfilled(ctx: RequestContext, orderId: string): Promise<OrderEntity> {
    const actor = ctx.actor;
    if (actor.kind !== "partner") throw new ForbiddenException();
    const order = await this.findVisible(ctx, orderId);
    if (order.status === OrderStatus.FULFILLED) return order;
    const now = ctx.clock.now();
    const fulfilled = await this.transition(ctx, order, OrderStatus.FULFILLED, { fulfilledAt: now, updatedAt: now });
    await this.licences.issueFor(ctx, order.id, await this.linesOf(ctx, [order.id]));
    return fulfilled;
  }

  /**
   * Cancels an order that is not yet fulfilled, refunding its charge once: the provider gets the
   * order's refund key ({@link orderRefundKey}), so retries never refund twice. Staff (SUPPORT, ADMIN); an
   * `ORDERS_VIEWED` audit entry, as the answer shows the order.
   * `NOT_FOUND` for an unknown order, `CONFLICT` for a fulfilled or cancelled one.
   */
  async cancel(ctx: RequestContext, orderId: string, views: OrderViews = new OrderViews()): Promise<OrderEntity> {
    if (!isStaff(ctx.actor)) throw new ForbiddenException();
    const order = await this.view(ctx, orderId, views);
    const now = ctx.clock.now();
    const cancelled = await this.transition(ctx, order, OrderStatus.CANCELLED, { cancelledAt: now, updatedAt: now });
    // After the status write, inside the transaction: a refund that fails undoes the cancellation.
    // The key is the order's: when the refund was made but its answer, or this transaction, was
    // lost, the retry (or a second cancel waiting on this one) gets the same refund, not another.
    if (order.paymentChargeId) {
      await this.provider.refund({
        chargeId: order.paymentChargeId,
        amountMinor: order.totalMinor,
        idempotencyKey: orderRefundKey(order.id),
      });
    }
    await this.staffAction(ctx, order.partnerId, `cancelled order ${formatOrderNumber(order.number)}`);
    return cancelled;
  }

  /**
   * Detaches every order from an account (its owner stopped keeping order history): the orders
   * stay, for accounting and fulfilment, but no longer show in the account. Each keeps a keyed
   * hash of its former owner ({@link formerOwnerHash}), so that the owner's data export and
   * account closure still reach it. Returns how many.
   */
  async detachHistory(ctx: RequestContext, userId: string): Promise<number> {
    const result = await ctx.manager.update(
      OrderEntity,
      { userId },
      { userId: null, formerOwnerHash: formerOwnerHash(this.secret, userId), updatedAt: ctx.clock.now() },
    );
    return result.affected ?? 0;
  }

  /**
   * Moves an order to `to` if it is still in the status it was read in: the UPDATE repeats the
   * expected status, so of two concurrent moves only one wins and the other gets `CONFLICT`.
   */
  private async transition(
    ctx: RequestContext,
    order: OrderEntity,
    to: OrderStatus,
    set: Partial<OrderEntity>,
  ): Promise<OrderEntity> {
    assertTransition(order.status, to);
    const result = await ctx.manager
      .createQueryBuilder()
      .update(OrderEntity)
      .set({ ...set, status: to })
      .where("id = :id AND status = :from", { id: order.id, from: order.status })
      .execute();
    if ((result.affected ?? 0) === 0) {
      // A locking read sees the other move's status, which this transaction's snapshot does not.
      const query = ctx.manager.createQueryBuilder(OrderEntity, "o").where("o.id = :id", { id: order.id });
      const current = await lockRows(query, "share").getOneOrFail();
      throw new InvalidOrderTransitionException(current.status, to);
    }
    return Object.assign(order, set, { status: to });
  }

  private staffAction(ctx: RequestContext, partnerId: string | null, detail: string): Promise<void> {
    return this.securityLog.record(ctx, {
      kind: SecurityEventKind.STAFF_ACTION,
      userId: ctx.userId,
      partnerId,
      detail,
    });
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
    if (charge.provider !== this.provider.name) return Promise.resolve({ approved: false, reason: "INVALID_TOKEN" });
    return this.provider.chargeToken(charge.token, charge.summary, request);
  }
}

function checkStatus(status: OrderStatus): OrderStatus {
  if (!Object.values(OrderStatus).includes(status)) {
    throw invalidInput([{ field: "status", message: "is not an order status" }]);
  }
  return status;
}

/** An `ORDERS_VIEWED` detail: the order numbers, ascending, or how many when they pass 200 characters. */
function describeOrdersRead(prefix: string, numbers: ReadonlySet<number>): string {
  const list = [...numbers]
    .sort((a, b) => a - b)
    .map(formatOrderNumber)
    .join(", ");
  return prefix.length + list.length <= 200 ? `${prefix}${list}` : `${prefix}${numbers.size} orders`;
}

/** The once-only key of an order's confirmation mail (the job's `uniqueKey` is `mail:` and this). */
export function orderConfirmationKey(orderId: string): string {
  return `order-confirmation:${orderId}`;
}

/**
 * The confirmation to the order's contact: number, lines and total. Billing details stay out:
 * mail is not the place for them.
 */
function orderConfirmation(order: OrderEntity, lines: readonly OrderLineEntity[]): TransactionalMailPayload {
  const money = (minor: number) => `£${(minor / 100).toFixed(2)}`;
  const number = formatOrderNumber(order.number);
  const items = lines.map((l) => `  ${l.quantity} × ${l.name}: ${money(l.unitPriceMinor * l.quantity)}`);
  return {
    kind: "ORDER_CONFIRMATION",
    to: { name: order.contactName, address: order.contactEmail },
    // An account's order: its confirmation is part of that person's copy of their data (a guest
    // order placed with the same address is not).
    ...(order.userId ? { accountId: order.userId } : {}),
    subject: `Your order ${number}`,
    text: [`Thank you for your order ${number}.`, "", ...items, "", `Total: ${money(order.totalMinor)}`, ""].join("\n"),
  };
}
