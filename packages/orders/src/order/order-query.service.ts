import {
  ForbiddenException,
  NotFoundException,
  readFromReplica,
  readPageArgs,
  toConnection,
  type Connection,
  type HotReads,
  type PageArgs,
  type RequestContext,
} from "@honour/platform";
import { invalidInput } from "../field-checks";
import { canViewOrder, ID_PATTERN, isStaff } from "./order-access";
import { OrderLineEntity } from "./order-line.entity";
import { OrderStatus } from "./order-state";
import type { OrderViewAuditService } from "./order-view-audit.service";
import { OrderViewsOfRequest } from "./order-views";
import { OrderEntity } from "./order.entity";

/** A page of orders, optionally of one status. */
export interface OrderSearchArgs extends PageArgs {
  status?: OrderStatus | null;
}

/**
 * Reading orders: one order, the buyer's history, staff's list of every order, a partner's
 * assigned orders, and their lines. Staff reads of other people's orders are audited
 * ({@link OrderViewAuditService}), each in a transaction of its own that the entry commits with.
 */
export class OrderQueryService {
  constructor(
    private readonly reads: HotReads,
    private readonly viewAudit: OrderViewAuditService,
  ) {}

  /** An order `ctx`'s actor may see, or `NOT_FOUND` (also when it is someone else's). Audits nothing. */
  async findVisible(ctx: RequestContext, id: string): Promise<OrderEntity> {
    const order = ID_PATTERN.test(id) ? await ctx.manager.findOneBy(OrderEntity, { id }) : null;
    if (!order || !canViewOrder(ctx.actor, order)) throw new NotFoundException("Order");
    return order;
  }

  /**
   * {@link findVisible}, and for staff (SUPPORT, ADMIN) reading someone else's order an
   * `ORDERS_VIEWED` audit entry that commits with the read, in a transaction this method opens
   * through `request` (so `ctx` must not be in one for staff). `request` is the GraphQL request's
   * (one entry per person per request); a fresh one makes this call a request of its own.
   */
  async view(
    ctx: RequestContext,
    id: string,
    request: OrderViewsOfRequest = new OrderViewsOfRequest(),
  ): Promise<OrderEntity> {
    if (!isStaff(ctx.actor)) return this.findVisible(ctx, id);
    return request.transaction(ctx, async (tx, views) => {
      const order = await this.findVisible(tx, id);
      await this.viewAudit.record(tx, [order], views);
      return order;
    });
  }

  /** The signed-in user's orders, newest first; detached orders are no longer theirs. */
  async listMine(ctx: RequestContext, args: PageArgs): Promise<Connection<OrderEntity>> {
    const userId = ctx.userId;
    if (!userId) throw new ForbiddenException();
    return this.page(ctx, [["userId", userId]], args);
  }

  /**
   * Every order, newest first, optionally of one status. For SUPPORT and ADMIN. Each customer on
   * the page gets an `ORDERS_VIEWED` audit entry (see {@link OrderViewAuditService.record}) that
   * commits with the read, in a transaction this method opens through `request` (see {@link view}).
   */
  async listAll(
    ctx: RequestContext,
    args: OrderSearchArgs,
    request: OrderViewsOfRequest = new OrderViewsOfRequest(),
  ): Promise<Connection<OrderEntity>> {
    if (!isStaff(ctx.actor)) throw new ForbiddenException();
    return request.transaction(ctx, async (tx, views) => {
      const page = await this.page(tx, args.status != null ? [["status", checkStatus(args.status)]] : [], args);
      await this.viewAudit.record(tx, page.nodes, views);
      return page;
    });
  }

  /**
   * The calling partner's orders (those assigned to it now), newest first; from a read replica
   * when there is one (docs/scaling.md: a partner polls, and a few seconds' lag is harmless).
   */
  async listForPartner(ctx: RequestContext, args: OrderSearchArgs): Promise<Connection<OrderEntity>> {
    const actor = ctx.actor;
    if (actor.kind !== "partner") throw new ForbiddenException();
    const filters: [keyof OrderEntity, string][] = [["partnerId", actor.partnerId]];
    if (args.status != null) filters.push(["status", checkStatus(args.status)]);
    return readFromReplica(ctx, (replica) => this.page(replica, filters, args));
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
}

function checkStatus(status: OrderStatus): OrderStatus {
  if (!Object.values(OrderStatus).includes(status)) {
    throw invalidInput([{ field: "status", message: "is not an order status" }]);
  }
  return status;
}
