import "reflect-metadata";
import { SavedPaymentMethodResolver } from "./billing/saved-payment-method.resolver";
import { DisclosureResolver } from "./disclosure/disclosure.resolver";
import { SuppressionCheckResolver } from "./disclosure/suppression-check.resolver";
import { OrderFieldResolver } from "./order/order-field.resolver";
import { OrderResolver } from "./order/order.resolver";
import { PartnerOrderResolver } from "./order/partner-order.resolver";
import type { OrdersServices } from "./orders.module";
import { PartnerResolver } from "./partner/partner.resolver";
import { ErasureNoticeResolver } from "./privacy/erasure-notice.resolver";
import { ProductResolver } from "./product/product.resolver";
import { PartnerWebhookResolver, WebhookResolver } from "./webhook/webhook.resolver";

// The orders domain's GraphQL front door, for the composition's buildSchema: the resolver
// instances. Importing this module registers the orders types and enums with type-graphql.

/**
 * The orders domain's resolver instances. Pass their classes to `buildSchema({ resolvers })` with
 * a container that returns these instances.
 */
export function createOrdersResolvers(services: OrdersServices): object[] {
  return [
    new ProductResolver(services),
    new OrderResolver(services),
    new OrderFieldResolver(services),
    new PartnerOrderResolver(services),
    new PartnerResolver(services),
    new DisclosureResolver(services),
    new SuppressionCheckResolver(services),
    new SavedPaymentMethodResolver(services),
    new ErasureNoticeResolver(services),
    new WebhookResolver(services),
    new PartnerWebhookResolver(services),
  ];
}
