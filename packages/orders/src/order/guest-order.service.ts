import { hmac, safeEqual, type RequestContext } from "@honour/platform";
import { formatOrderNumber } from "./order-number.service";
import { OrderLineEntity } from "./order-line.entity";
import type { OrderStatus } from "./order-state";
import { OrderEntity } from "./order.entity";

/** The page a guest order's confirmation links to: `${PUBLIC_URL}${GUEST_ORDER_PATH}?token=…`. */
export const GUEST_ORDER_PATH = "/orders/view";

/** `<order id>.<32 hex characters>`: anything else is not a link we made. */
const TOKEN = /^([0-9a-f-]{36})\.([0-9a-f]{32})$/;

/** What the guest's order page shows: the order's own facts, none of the contact or payment details. */
export interface GuestOrderView {
  number: string;
  status: OrderStatus;
  placedAt: Date;
  currency: string;
  totalMinor: number;
  lines: { name: string; quantity: number; unitPriceMinor: number }[];
}

/**
 * A guest (an order placed without an account) looks their order up from the signed link in its
 * confirmation mail: the order id and an HMAC of it under the server secret, so the link cannot
 * be made for another order. It shows the number, status, lines and total only: whoever holds a
 * forwarded mail learns nothing the mail did not already say, except the order's progress.
 */
export class GuestOrderService {
  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
  ) {}

  /** The signed token of a guest order. */
  token(orderId: string): string {
    return `${orderId}.${this.mac(orderId)}`;
  }

  /** The link that goes in a guest order's confirmation mail. */
  url(orderId: string): string {
    return `${this.publicUrl}${GUEST_ORDER_PATH}?token=${encodeURIComponent(this.token(orderId))}`;
  }

  /**
   * The guest order a token names, or null for a malformed or altered token, an order of an
   * account (its buyer signs in to see it), or one whose contact has been erased.
   */
  async find(ctx: RequestContext, token: string): Promise<GuestOrderView | null> {
    const match = typeof token === "string" ? TOKEN.exec(token) : null;
    if (!match) return null;
    const [, orderId, mac] = match as unknown as [string, string, string];
    if (!safeEqual(mac, this.mac(orderId))) return null;
    const order = await ctx.manager.findOneBy(OrderEntity, { id: orderId });
    if (!order || order.userId !== null || order.contactErasedAt) return null;
    const lines = await ctx.manager.find(OrderLineEntity, { where: { orderId }, order: { position: "ASC" } });
    return {
      number: formatOrderNumber(order.number),
      status: order.status,
      placedAt: order.placedAt,
      currency: order.currency,
      totalMinor: order.totalMinor,
      lines: lines.map((l) => ({ name: l.name, quantity: l.quantity, unitPriceMinor: l.unitPriceMinor })),
    };
  }

  private mac(orderId: string): string {
    return hmac(this.secret, "orders.guest-view", orderId).slice(0, 32);
  }
}
