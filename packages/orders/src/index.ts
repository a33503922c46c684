import "reflect-metadata";

// The orders domain's front door, listed by name: what other packages and apps use (the
// composition, the worker's tests) and what README.md documents for developers (a payment
// provider, the error codes). Everything else is the package's own. GraphQL types and resolvers
// live behind "@honour/orders/graphql".

export { ordersModule, createOrdersServices, type OrdersServices, type OrdersOptions } from "./orders.module";
export { ordersJobs, ORDERS_JOBS } from "./orders.job";
export { OrdersErrorCode, OrdersException } from "./orders.exception";
// The guest's order page (the gateway's /orders/view).
export { GUEST_ORDER_PATH } from "./order/guest-order.service";
export {
  LocalPaymentProvider,
  orderRefundKey,
  type ChargeOutcome,
  type ChargeRequest,
  type DeclineReason,
  type PaymentProvider,
  type RefundOutcome,
  type RefundRequest,
} from "./payment/payment-provider.service";
export type { CardDetails, CardSummary } from "./payment/card";
export { WebhookEventType } from "./webhook/webhook-endpoint.entity";
export { WebhookDeliveryStatus } from "./webhook/webhook-delivery.entity";
