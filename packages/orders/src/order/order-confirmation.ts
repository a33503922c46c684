import type { TransactionalMailPayload } from "@honour/platform";
import type { OrderLineEntity } from "./order-line.entity";
import { formatOrderNumber } from "./order-number.service";
import type { OrderEntity } from "./order.entity";

/** The once-only key of an order's confirmation mail (the job's `uniqueKey` is `mail:` and this). */
export function orderConfirmationKey(orderId: string): string {
  return `order-confirmation:${orderId}`;
}

/**
 * The confirmation to the order's contact: number, lines and total. Billing details stay out:
 * mail is not the place for them.
 */
export function orderConfirmation(
  order: OrderEntity,
  lines: readonly OrderLineEntity[],
  /** A guest order's signed link to its page (GuestOrderService.url); none for an account's order. */
  guestUrl?: string,
): TransactionalMailPayload {
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
    text: [
      `Thank you for your order ${number}.`,
      "",
      ...items,
      "",
      `Total: ${money(order.totalMinor)}`,
      "",
      ...(guestUrl && !order.userId
        ? [`See your order and how it is going at any time, no account needed:`, guestUrl, ""]
        : []),
    ].join("\n"),
  };
}
