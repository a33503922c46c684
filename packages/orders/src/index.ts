import "reflect-metadata";

// The orders domain's front door: entities, services, the payment provider contract, DTO types,
// jobs and the module. GraphQL types and resolvers live behind "@honour/orders/graphql".

export { ordersModule, createOrdersServices, type OrdersServices, type OrdersOptions } from "./orders.module";
export { ordersJobs, ORDERS_JOBS } from "./orders.job";
export {
  IdempotencyKeyReusedException,
  InvalidOrderTransitionException,
  OrdersErrorCode,
  OrdersException,
  PaymentDeclinedException,
  SkuTakenException,
} from "./orders.exception";

export {
  IDEMPOTENCY_KEY_TTL_MS,
  LocalPaymentProvider,
  orderRefundKey,
  type ChargeOutcome,
  type ChargeRequest,
  type DeclineReason,
  type PaymentProvider,
  type RefundOutcome,
  type RefundRequest,
} from "./payment/payment-provider.service";
export {
  CardBrand,
  cardNumberProblem,
  detectBrand,
  passesLuhn,
  summariseCard,
  type CardDetails,
  type CardSummary,
} from "./payment/card";

export { ProductEntity, ProductKind, Currency, PRODUCT_LIMITS, SKU_PATTERN } from "./product/product.entity";
export { ProductService, normaliseSku, type ProductChanges, type ProductDraft } from "./product/product.service";

export { OrderEntity, CONTACT_LIMITS } from "./order/order.entity";
export { OrderLineEntity } from "./order/order-line.entity";
export { OrderNumberEntity } from "./order/order-number.entity";
export { formatOrderNumber, parseOrderNumber, ORDER_NUMBER_PREFIX } from "./order/order-number.service";
export { OrderStatus, assertTransition, canTransition, nextStatuses, isOpenForPartner } from "./order/order-state";
export { OrderViews, OrderViewsOfRequest, type OrderViewEntry } from "./order/order-views";
export { PlaceOrderService } from "./order/place-order.service";
export { OrderQueryService, type OrderSearchArgs } from "./order/order-query.service";
export { OrderLifecycleService } from "./order/order-lifecycle.service";
export { OrderViewAuditService } from "./order/order-view-audit.service";
export { orderConfirmationKey } from "./order/order-confirmation";
export { canViewOrder, canReadContact, canReadPayment, canReadDisclosures } from "./order/order-access";
export {
  ORDER_LIMITS,
  type AddressDetails,
  type ContactDetails,
  type OrderLineRequest,
  type PaymentChoice,
  type PlaceOrderRequest,
} from "./order/place-order-checks";
export { COUNTRY_CODES, isCountryCode } from "./order/country";

export { PartnerEntity, PARTNER_LIMITS } from "./partner/partner.entity";
export { PartnerApiKeyEntity } from "./partner/partner-api-key.entity";
export {
  PartnerService,
  API_KEY_TOUCH_INTERVAL_MS,
  type IssuedApiKey,
  type PartnerDraft,
} from "./partner/partner.service";

export { SavedPaymentMethodEntity } from "./billing/saved-payment-method.entity";
export { SavedPaymentMethodService } from "./billing/saved-payment-method.service";

export { LicenceEntity } from "./licence/licence.entity";
export { LicenceService, licenceControlCode, newLicenceSerial } from "./licence/licence.service";

export { DisclosureEntity, DisclosedField, DisclosurePurpose } from "./disclosure/disclosure.entity";
export {
  DisclosureService,
  decodeFields,
  encodeFields,
  type DisclosureRequest,
  type DisclosureSearchArgs,
} from "./disclosure/disclosure.service";

export { ErasureNoticeEntity } from "./privacy/erasure-notice.entity";
export {
  ErasureNoticeService,
  ERASURE_NOTICE_PAGE_SIZE,
  ERASURE_NOTICE_POLL_OVERLAP_MINUTES,
  noticeOrderNumbers,
} from "./privacy/erasure-notice.service";
export { OrdersPersonalData, ERASED } from "./privacy/orders-personal-data";
export { ErasedOrderRetention, ERASED_ORDER_PURGE_BATCH } from "./privacy/erased-order-retention";
export { formerOwnerHash } from "./order/former-owner";
