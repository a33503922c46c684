import type { FastifyInstance } from "fastify";
import { RequestContext, type Clock } from "@honour/platform";
import { GUEST_ORDER_PATH, type OrdersServices } from "@honour/orders";
import type { DataSource } from "typeorm";
import { escapeHtml, renderPage, sendPage } from "./layout";

const STATUS: Record<string, string> = {
  PLACED: "Placed, payment not yet taken",
  PAID: "Paid: we are preparing it",
  ASSIGNED: "Being fulfilled",
  FULFILLED: "Fulfilled",
  CANCELLED: "Cancelled (refunded if it was paid)",
};

/**
 * `GET /orders/view?token=…`: a guest's order, from the signed link in its confirmation mail, no
 * account needed. Shows the number, status, lines and total; changes nothing.
 */
export function registerGuestOrderRoutes(
  app: FastifyInstance,
  orders: OrdersServices,
  dataSource: DataSource,
  clock: Clock,
): void {
  app.get<{ Querystring: { token?: string } }>(GUEST_ORDER_PATH, async (request, reply) => {
    const ctx = new RequestContext(
      dataSource,
      { kind: "anonymous" },
      clock,
      dataSource.manager,
      request.ip,
      request.id,
    );
    const token = typeof request.query.token === "string" ? request.query.token : "";
    const order = await orders.guestOrders.find(ctx, token);
    if (!order) {
      return sendPage(
        reply,
        404,
        renderPage({
          title: "This link does not work",
          body: "<p>This order link is not valid. Use the link in your order confirmation, or if you have an account, sign in to see your orders.</p>",
        }),
      );
    }
    const money = (minor: number) =>
      `${order.currency === "GBP" ? "£" : `${escapeHtml(order.currency)} `}${(minor / 100).toFixed(2)}`;
    const rows = order.lines
      .map(
        (l) =>
          `<tr><td>${escapeHtml(l.name)}</td><td>${l.quantity}</td><td>${money(l.unitPriceMinor * l.quantity)}</td></tr>`,
      )
      .join("");
    return sendPage(
      reply,
      200,
      renderPage({
        title: `Your order ${order.number}`,
        body:
          `<dl><dt>Placed</dt><dd>${order.placedAt.toISOString().slice(0, 10)}</dd>` +
          `<dt>Status</dt><dd>${escapeHtml(STATUS[order.status] ?? order.status)}</dd>` +
          `<dt>Total</dt><dd>${money(order.totalMinor)}</dd></dl>` +
          `<div class="table" tabindex="0" role="region" aria-label="Order lines"><table><caption>What you ordered</caption>` +
          `<thead><tr><th scope="col">Item</th><th scope="col">Quantity</th><th scope="col">Price</th></tr></thead>` +
          `<tbody>${rows}</tbody></table></div>`,
      }),
    );
  });
}
