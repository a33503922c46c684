import { AuditAction, newId, type AuditLog, type IdentifiedAuditRecord, type RequestContext } from "@honour/platform";
import { formerOwnerAuditSubject, formerOwnerHash } from "./former-owner";
import { isStaff } from "./order-access";
import { formatOrderNumber } from "./order-number.service";
import type { OrderEntity } from "./order.entity";
import { OrderViews } from "./order-views";

/**
 * The audit trail of staff reading other people's orders (`ORDERS_VIEWED`). Its callers are the
 * order services that show orders to staff, inside the transaction of the read.
 */
export class OrderViewAuditService {
  constructor(
    private readonly audit: AuditLog,
    /** The server secret, for {@link formerOwnerHash}. */
    private readonly secret: string,
  ) {}

  /**
   * Records that a staff member read these orders of other people, in `ctx`'s transaction: one
   * `ORDERS_VIEWED` entry per person per request, naming every order of theirs the request read
   * (detail: the numbers, ascending, or how many past 200 characters). A person is their account:
   * the orders in their history and those outside it (`formerOwnerHash`) are one person. The
   * subject is their user id; for orders outside their history, while the request has read none
   * in it, a pseudonym ({@link formerOwnerAuditSubject}) that the audit log finds by their user id.
   * Orders of no account (guests, erased) share one entry without a subject. The first read writes
   * the entry, later ones in the request rewrite it; a read that adds nothing writes nothing.
   * Customers and partners reading orders record nothing; nor does a staff member reading their own.
   * `views` are the request's entries so far (see `OrderViewsOfRequest`).
   */
  async record(
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
}

/** An `ORDERS_VIEWED` detail: the order numbers, ascending, or how many when they pass 200 characters. */
function describeOrdersRead(prefix: string, numbers: ReadonlySet<number>): string {
  const list = [...numbers]
    .sort((a, b) => a - b)
    .map(formatOrderNumber)
    .join(", ");
  return prefix.length + list.length <= 200 ? `${prefix}${list}` : `${prefix}${numbers.size} orders`;
}
