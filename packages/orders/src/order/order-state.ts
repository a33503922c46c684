import { InvalidOrderTransitionException } from "../orders.exception";

/**
 * Where an order is: `PLACED → PAID → ASSIGNED → FULFILLED`, or `CANCELLED` before it is
 * fulfilled. A varchar in the database, an enum in GraphQL.
 */
export enum OrderStatus {
  /** Recorded, payment not yet taken. Only seen inside placing with the synchronous providers. */
  PLACED = "PLACED",
  /** Paid; waiting for staff to assign a partner. */
  PAID = "PAID",
  /** A partner is fulfilling it and may read its contact. */
  ASSIGNED = "ASSIGNED",
  /** Done; licences issued. Final. */
  FULFILLED = "FULFILLED",
  /** Stopped (and refunded when it was paid). Final. */
  CANCELLED = "CANCELLED",
}

/**
 * Every allowed move. ASSIGNED → ASSIGNED is a reassignment to another partner, which ends the
 * first partner's access.
 */
const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  [OrderStatus.PLACED]: [OrderStatus.PAID, OrderStatus.CANCELLED],
  [OrderStatus.PAID]: [OrderStatus.ASSIGNED, OrderStatus.CANCELLED],
  [OrderStatus.ASSIGNED]: [OrderStatus.ASSIGNED, OrderStatus.FULFILLED, OrderStatus.CANCELLED],
  [OrderStatus.FULFILLED]: [],
  [OrderStatus.CANCELLED]: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/** The statuses an order may move to from `from`. */
export function nextStatuses(from: OrderStatus): readonly OrderStatus[] {
  return TRANSITIONS[from] ?? [];
}

/** Throws {@link InvalidOrderTransitionException} unless `from → to` is allowed. */
export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) throw new InvalidOrderTransitionException(from, to);
}

/** True while a partner assigned to the order may read its contact. */
export function isOpenForPartner(status: OrderStatus): boolean {
  return status === OrderStatus.ASSIGNED;
}
