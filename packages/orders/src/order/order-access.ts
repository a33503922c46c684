import { Role, type Actor } from "@honour/platform";
import type { OrderEntity } from "./order.entity";
import { isOpenForPartner } from "./order-state";

/** Order and partner ids are UUIDs: anything else is unknown without asking the database. */
export const ID_PATTERN = /^[0-9a-f-]{36}$/;

/** SUPPORT and ADMIN: they see and change every order, and their reads of others' are audited. */
export function isStaff(actor: Actor): boolean {
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
