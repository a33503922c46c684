import "reflect-metadata";
import { SavedPaymentMethodResolver } from "./billing/saved-payment-method.resolver";
import { DisclosureResolver } from "./disclosure/disclosure.resolver";
import { OrderFieldResolver } from "./order/order-field.resolver";
import { OrderResolver } from "./order/order.resolver";
import { PartnerOrderResolver } from "./order/partner-order.resolver";
import type { OrdersServices } from "./orders.module";
import { PartnerResolver } from "./partner/partner.resolver";
import { ErasureNoticeResolver } from "./privacy/erasure-notice.resolver";
import { ProductResolver } from "./product/product.resolver";

// The orders domain's GraphQL types and resolvers, for the gateway's buildSchema. Importing this
// module registers the orders enums with type-graphql.

export {
  DisclosureResolver,
  ErasureNoticeResolver,
  OrderFieldResolver,
  OrderResolver,
  PartnerOrderResolver,
  PartnerResolver,
  ProductResolver,
  SavedPaymentMethodResolver,
};
export {
  orderLinesLoader,
  licencesLoader,
  partnerLoader,
  orderDisclosuresLoader,
  requestedContactFields,
} from "./order/order-field.resolver";
export { ProductObject, ProductConnection } from "./product/product.object";
export { CreateProductInput, UpdateProductInput } from "./product/product.input";
export { UpdateProductArgs } from "./product/product.args";
export {
  OrderObject,
  OrderConnection,
  OrderLineObject,
  OrderContactObject,
  AddressObject,
  OrderPaymentObject,
  LicenceObject,
} from "./order/order.object";
export { PlaceOrderInput, OrderLineInput, OrderContactInput, AddressInput, PaymentInput } from "./order/order.input";
export { OrdersArgs, AssignOrderArgs } from "./order/order.args";
export {
  PartnerObject,
  PartnerConnection,
  PartnerApiKeyObject,
  PartnerApiKeySecretObject,
} from "./partner/partner.object";
export { CreatePartnerInput } from "./partner/partner.input";
export { SetPartnerActiveArgs } from "./partner/partner.args";
export { DisclosureObject, DisclosureConnection } from "./disclosure/disclosure.object";
export { DisclosuresArgs } from "./disclosure/disclosure.args";
export { SavedPaymentMethodObject } from "./billing/saved-payment-method.object";
export { ErasureNoticeObject, ErasureNoticesArgs } from "./privacy/erasure-notice.object";

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
    new SavedPaymentMethodResolver(services),
    new ErasureNoticeResolver(services),
  ];
}
