import {
  ForbiddenException,
  lockRows,
  NotFoundException,
  SecurityEventKind,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import { invalidInput } from "../field-checks";
import type { LicenceService } from "../licence/licence.service";
import { InvalidOrderTransitionException } from "../orders.exception";
import { PartnerEntity } from "../partner/partner.entity";
import { WebhookEventType } from "../webhook/webhook-endpoint.entity";
import type { WebhookService } from "../webhook/webhook.service";
import { orderRefundKey, type PaymentProvider } from "../payment/payment-provider.service";
import { formerOwnerHash } from "./former-owner";
import { ID_PATTERN, isStaff } from "./order-access";
import { formatOrderNumber } from "./order-number.service";
import type { OrderQueryService } from "./order-query.service";
import { assertTransition, OrderStatus } from "./order-state";
import type { OrderViewAuditService } from "./order-view-audit.service";
import { OrderViewsOfRequest, type OrderViews } from "./order-views";
import { OrderEntity } from "./order.entity";

/**
 * An order's life after it is paid: staff assign it to a partner and cancel it (with a refund),
 * the partner marks it fulfilled, and its owner may detach it from their history. Each operation
 * opens its own transaction (or joins the caller's, for `detachHistory` and `markFulfilled`).
 */
export class OrderLifecycleService {
  constructor(
    private readonly queries: OrderQueryService,
    private readonly viewAudit: OrderViewAuditService,
    private readonly provider: PaymentProvider,
    private readonly licences: LicenceService,
    private readonly securityLog: SecurityLog,
    /** The server secret, for {@link formerOwnerHash}. */
    private readonly secret: string,
    /** Partners' webhooks: each move below queues its event in the move's own transaction. */
    private readonly webhooks: Pick<WebhookService, "publish">,
  ) {}

  /**
   * Assigns a paid order to a partner, or reassigns it; the previous partner loses access at
   * once. The staff member sees the order in the answer: an `ORDERS_VIEWED` audit entry, in the
   * transaction this method opens through `request` (`ctx` must not be in one; see
   * `OrderQueryService.view`). `NOT_FOUND` for an unknown order or partner, `BAD_USER_INPUT` for an
   * inactive partner, `CONFLICT` for an order that is not paid or already fulfilled or cancelled.
   */
  async assign(
    ctx: RequestContext,
    orderId: string,
    partnerId: string,
    request: OrderViewsOfRequest = new OrderViewsOfRequest(),
  ): Promise<OrderEntity> {
    if (!isStaff(ctx.actor)) throw new ForbiddenException();
    return request.transaction(ctx, async (tx, views) => {
      const order = await this.viewIn(tx, orderId, views);
      const partner = ID_PATTERN.test(partnerId) ? await tx.manager.findOneBy(PartnerEntity, { id: partnerId }) : null;
      if (!partner) throw new NotFoundException("Partner");
      if (order.status === OrderStatus.ASSIGNED && order.partnerId === partnerId) return order;
      if (!partner.active) throw invalidInput([{ field: "partnerId", message: "is not an active partner" }]);
      const now = tx.clock.now();
      const previousPartnerId = order.status === OrderStatus.ASSIGNED ? order.partnerId : null;
      const assigned = await this.transition(tx, order, OrderStatus.ASSIGNED, {
        partnerId,
        assignedAt: now,
        updatedAt: now,
      });
      await this.staffAction(tx, partnerId, `assigned order ${formatOrderNumber(order.number)}`);
      await this.webhooks.publish(tx, partnerId, WebhookEventType.ORDER_ASSIGNED, orderEventData(assigned));
      if (previousPartnerId && previousPartnerId !== partnerId) {
        await this.webhooks.publish(tx, previousPartnerId, WebhookEventType.ORDER_CANCELLED, {
          ...orderEventData(assigned, OrderStatus.CANCELLED),
          reason: "REASSIGNED",
        });
      }
      return assigned;
    });
  }

  /**
   * The calling partner marks an order assigned to it fulfilled, in one transaction; LICENCE lines
   * get their licences. Its access to the contact ends. Marking it again returns it unchanged.
   * `NOT_FOUND` for an order not assigned to this partner, `CONFLICT` for a cancelled one.
   */
  async markFulfilled(ctx: RequestContext, orderId: string): Promise<OrderEntity> {
    if (ctx.actor.kind !== "partner") throw new ForbiddenException();
    return ctx.transaction(async (tx) => {
      const order = await this.queries.findVisible(tx, orderId);
      if (order.status === OrderStatus.FULFILLED) return order;
      const now = tx.clock.now();
      const fulfilled = await this.transition(tx, order, OrderStatus.FULFILLED, { fulfilledAt: now, updatedAt: now });
      await this.licences.issueFor(tx, order.id, await this.queries.linesOf(tx, [order.id]));
      if (fulfilled.partnerId) {
        await this.webhooks.publish(
          tx,
          fulfilled.partnerId,
          WebhookEventType.ORDER_FULFILLED,
          orderEventData(fulfilled),
        );
      }
      return fulfilled;
    });
  }

  /**
   * Cancels an order that is not yet fulfilled, refunding its charge once: the provider gets the
   * order's refund key ({@link orderRefundKey}), so retries never refund twice. Staff (SUPPORT,
   * ADMIN); an `ORDERS_VIEWED` audit entry, as the answer shows the order, in the transaction this
   * method opens through `request` (see {@link assign}). `NOT_FOUND` for an unknown order,
   * `CONFLICT` for a fulfilled or cancelled one.
   */
  async cancel(
    ctx: RequestContext,
    orderId: string,
    request: OrderViewsOfRequest = new OrderViewsOfRequest(),
  ): Promise<OrderEntity> {
    if (!isStaff(ctx.actor)) throw new ForbiddenException();
    return request.transaction(ctx, async (tx, views) => {
      const order = await this.viewIn(tx, orderId, views);
      const now = tx.clock.now();
      const cancelled = await this.transition(tx, order, OrderStatus.CANCELLED, { cancelledAt: now, updatedAt: now });
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
      await this.staffAction(tx, order.partnerId, `cancelled order ${formatOrderNumber(order.number)}`);
      if (order.partnerId) {
        await this.webhooks.publish(tx, order.partnerId, WebhookEventType.ORDER_CANCELLED, {
          ...orderEventData(cancelled),
          reason: "CANCELLED",
        });
      }
      return cancelled;
    });
  }

  /**
   * Detaches every order from an account (its owner stopped keeping order history), in the
   * caller's transaction (the profile change that causes it): the orders stay, for accounting and
   * fulfilment, but no longer show in the account. Each keeps a keyed hash of its former owner
   * ({@link formerOwnerHash}), so that the owner's data export and account closure still reach
   * it. Returns how many.
   */
  async detachHistory(ctx: RequestContext, userId: string): Promise<number> {
    const result = await ctx.manager.update(
      OrderEntity,
      { userId },
      { userId: null, formerOwnerHash: formerOwnerHash(this.secret, userId), updatedAt: ctx.clock.now() },
    );
    return result.affected ?? 0;
  }

  /** A visible order, audited as read by staff in `tx` (the answer shows it). */
  private async viewIn(tx: RequestContext, orderId: string, views: OrderViews): Promise<OrderEntity> {
    const order = await this.queries.findVisible(tx, orderId);
    await this.viewAudit.record(tx, [order], views);
    return order;
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
}

/**
 * What an order event tells its partner: the order's id, number and status, all of which its API
 * key already shows. Never the contact: the partner fetches that with `partnerOrder`, which
 * records the disclosure.
 */
function orderEventData(order: OrderEntity, status: OrderStatus = order.status): Record<string, unknown> {
  return { orderId: order.id, orderNumber: formatOrderNumber(order.number), status };
}
