import { hmac, HotReads, type DomainModuleDefinition, type Platform } from "@honour/platform";
import type { UsersServices } from "@honour/users";
import { SavedPaymentMethodEntity } from "./billing/saved-payment-method.entity";
import { SavedPaymentMethodService } from "./billing/saved-payment-method.service";
import { DisclosureEntity } from "./disclosure/disclosure.entity";
import { DisclosureService } from "./disclosure/disclosure.service";
import { SuppressionCheckEntity } from "./disclosure/suppression-check.entity";
import { SuppressionCheckAddressEntity } from "./disclosure/suppression-check-address.entity";
import { formerOwnerAuditSubject, formerOwnerHash } from "./order/former-owner";
import { CreateOrders1795631582098 } from "./migrations/1795631582098-create-orders.migration";
import { OrdersPrivacy1795637877532 } from "./migrations/1795637877532-orders-privacy.migration";
import { GuestOrderContactEmail1796420242907 } from "./migrations/1796420242907-guest-order-contact-email.migration";
import { EraseCardBrand1796600000000 } from "./migrations/1796600000000-erase-card-brand.migration";
import { WebhookEndpoints1796602336698 } from "./migrations/1796602336698-webhook-endpoints.migration";
import { PartnerSuppressionChecks1796700000000 } from "./migrations/1796700000000-partner-suppression-checks.migration";
import { PartnerRateLimits1796700000001 } from "./migrations/1796700000001-partner-rate-limits.migration";
import { PartnerApiKeyExpiry1796800000000 } from "./migrations/1796800000000-partner-api-key-expiry.migration";
import { WebhookSecretOverlap1796800000001 } from "./migrations/1796800000001-webhook-secret-overlap.migration";
import { UsedCardTokens1796800000002 } from "./migrations/1796800000002-used-card-tokens.migration";
import { SuppressionCheckAddresses1796800000003 } from "./migrations/1796800000003-suppression-check-addresses.migration";
import { LicenceEntity } from "./licence/licence.entity";
import { LicenceService } from "./licence/licence.service";
import { OrderLineEntity } from "./order/order-line.entity";
import { OrderNumberEntity } from "./order/order-number.entity";
import { OrderNumberService } from "./order/order-number.service";
import { OrderEntity } from "./order/order.entity";
import { OrderLifecycleService } from "./order/order-lifecycle.service";
import { OrderQueryService } from "./order/order-query.service";
import { OrderViewAuditService } from "./order/order-view-audit.service";
import { GuestOrderService } from "./order/guest-order.service";
import { PlaceOrderService } from "./order/place-order.service";
import { PartnerApiKeyEntity } from "./partner/partner-api-key.entity";
import { PartnerEntity } from "./partner/partner.entity";
import { PartnerRateLimitEntity } from "./partner/partner-rate-limit.entity";
import { PartnerSuppressionService, type ContactSuppressionCheck } from "./partner/partner-suppression.service";
import { PartnerService } from "./partner/partner.service";
import { LocalPaymentProvider, type PaymentProvider } from "./payment/payment-provider.service";
import { UsedCardTokenEntity } from "./payment/used-card-token.entity";
import { DatabaseUsedCardTokens, RedisUsedCardTokens } from "./payment/used-card-tokens";
import { ProductEntity } from "./product/product.entity";
import { ProductService } from "./product/product.service";
import { ErasedOrderRetention } from "./privacy/erased-order-retention";
import { ErasureNoticeEntity } from "./privacy/erasure-notice.entity";
import { ErasureNoticeService } from "./privacy/erasure-notice.service";
import { OrdersPersonalData } from "./privacy/orders-personal-data.service";
import { WebhookDeliveryEntity } from "./webhook/webhook-delivery.entity";
import { WebhookEndpointEntity } from "./webhook/webhook-endpoint.entity";
import { WebhookSecretBox } from "./webhook/webhook-secret";
import { loadWebhookSettings, type WebhookSettings } from "./webhook/webhook-settings";
import { WebhookService } from "./webhook/webhook.service";

/** The orders domain's tables and the migrations that create them on MySQL/MariaDB. */
export const ordersModule: DomainModuleDefinition = {
  name: "orders",
  entities: [
    ProductEntity,
    PartnerEntity,
    PartnerApiKeyEntity,
    OrderNumberEntity,
    OrderEntity,
    OrderLineEntity,
    LicenceEntity,
    SavedPaymentMethodEntity,
    DisclosureEntity,
    ErasureNoticeEntity,
    WebhookEndpointEntity,
    WebhookDeliveryEntity,
    SuppressionCheckEntity,
    PartnerRateLimitEntity,
    UsedCardTokenEntity,
    SuppressionCheckAddressEntity,
  ],
  migrations: [
    CreateOrders1795631582098,
    OrdersPrivacy1795637877532,
    GuestOrderContactEmail1796420242907,
    EraseCardBrand1796600000000,
    WebhookEndpoints1796602336698,
    PartnerSuppressionChecks1796700000000,
    PartnerRateLimits1796700000001,
    PartnerApiKeyExpiry1796800000000,
    WebhookSecretOverlap1796800000001,
    UsedCardTokens1796800000002,
    SuppressionCheckAddresses1796800000003,
  ],
};

/** The orders domain's services, as the gateway and the worker use them. */
export interface OrdersServices {
  catalogue: ProductService;
  /** Placing and paying for orders (`placeOrder`). */
  placing: PlaceOrderService;
  /** Reading orders: one, the buyer's, every order (staff, audited), a partner's; their lines. */
  orderQueries: OrderQueryService;
  /** A guest's look at their order from the signed link in its confirmation mail. */
  guestOrders: GuestOrderService;
  /** Assigning, fulfilling and cancelling orders; detaching them from an account's history. */
  orderLifecycle: OrderLifecycleService;
  /** Partners and their API keys; `resolveApiKey` turns a key into a partner actor. */
  partners: PartnerService;
  /** Partners' checks of the addresses they hold, and their assigned orders' opted-out buyers. */
  partnerSuppressions: PartnerSuppressionService;
  billing: SavedPaymentMethodService;
  licences: LicenceService;
  disclosures: DisclosureService;
  /** Notices to partners of erased order contacts (`partnerErasureNotices`). */
  erasureNotices: ErasureNoticeService;
  /** The "orders" section of data exports and account closures, registered with the platform. */
  personalData: OrdersPersonalData;
  /** Partners' webhook endpoints, the events they receive, and delivering them (the worker's job). */
  webhooks: WebhookService;
  /** Deletes erased orders once their accounting period is over (the worker's daily job). */
  retention: ErasedOrderRetention;
  /** Days an erased order is kept as an accounting record (`CLOSED_ACCOUNT_RETENTION_DAYS`). */
  erasedOrderRetentionDays: number;
  /** Where cards are charged; the gateway serves the demo provider's tokenising script and endpoint. */
  paymentProvider: PaymentProvider;
}

export interface OrdersOptions {
  /** Where cards are charged (default: {@link LocalPaymentProvider}, which charges nobody). */
  paymentProvider?: PaymentProvider;
  /** Webhook delivery settings over those of the environment (`WEBHOOK_*`, see `loadWebhookSettings`). */
  webhooks?: Partial<WebhookSettings>;
  /**
   * Who must not be contacted (consent's suppression list and withdrawals), asked when a partner
   * calls; a function, since the consent services are built after these.
   */
  contactSuppression?: () => ContactSuppressionCheck | undefined;
}

/**
 * Builds the orders services on a platform, subscribes them to the accounts domain's profile
 * switches (a profile that stops keeping billing details loses its saved cards at once, one that
 * stops keeping order history has its orders detached; each in the same transaction as the
 * change), and registers the "orders" personal data contributor: account closure erases through
 * it (before `users.accountClosed` is published), so orders no longer subscribe to that event.
 * Partner key use and staff actions go to the security log; staff reads of orders and partner key
 * changes to the audit log.
 */
export function createOrdersServices(
  platform: Platform,
  users: UsersServices,
  options: OrdersOptions = {},
): OrdersServices {
  const catalogue = new ProductService();
  const billing = new SavedPaymentMethodService();
  const licences = new LicenceService(platform.config.secret);
  // The demo provider's browser tokens are signed with a key derived from the server secret, so
  // every gateway accepts the tokens any of them made.
  // The tokens it has charged are kept in the shared Redis or the database, so each is charged
  // once whichever gateway is asked (docs/scaling.md).
  const provider =
    options.paymentProvider ??
    new LocalPaymentProvider(
      platform.clock,
      hmac(platform.config.secret, "local-pay-tokens"),
      platform.redis
        ? new RedisUsedCardTokens(platform.redis)
        : new DatabaseUsedCardTokens(platform.dataSource, platform.clock),
    );
  const secret = platform.config.secret;
  const guestOrders = new GuestOrderService(secret, platform.config.publicUrl);
  const placing = new PlaceOrderService(
    catalogue,
    new OrderNumberService(),
    provider,
    billing,
    users,
    platform.logger,
    platform.jobs,
    secret,
    guestOrders,
  );
  const webhooks = new WebhookService(
    new WebhookSecretBox(secret),
    { ...loadWebhookSettings(process.env, platform.config.nodeEnv), ...options.webhooks },
    platform.jobs,
    platform.securityLog,
    platform.logger,
  );
  const viewAudit = new OrderViewAuditService(platform.audit, secret);
  const orderQueries = new OrderQueryService(new HotReads(), viewAudit);
  const orderLifecycle = new OrderLifecycleService(
    orderQueries,
    viewAudit,
    provider,
    licences,
    platform.securityLog,
    secret,
    webhooks,
  );
  // Staff reads of orders outside a person's history name them by a pseudonym (no account id is
  // on those orders); the audit log finds those entries by the person's user id all the same.
  platform.audit.addSubjectAliases((userId) => [formerOwnerAuditSubject(secret, formerOwnerHash(secret, userId))]);
  platform.events.subscribe("users.profileSettingsChanged", async (ctx, event) => {
    if (!event.keepBillingDetails) await billing.deleteAllFor(ctx, event.userId);
    if (!event.keepOrderHistory) await orderLifecycle.detachHistory(ctx, event.userId);
  });
  // The policy's other way to opt out, "by canceling an online account", is the erasure below.
  const erasureNotices = new ErasureNoticeService(webhooks);
  const partnerSuppressions = new PartnerSuppressionService(options.contactSuppression ?? (() => undefined), secret);
  const personalData = platform.personalData.register(
    new OrdersPersonalData(secret, billing, erasureNotices, partnerSuppressions),
  );
  return {
    catalogue,
    placing,
    guestOrders,
    orderQueries,
    orderLifecycle,
    partners: new PartnerService(platform.securityLog, platform.audit, webhooks),
    partnerSuppressions,
    billing,
    licences,
    disclosures: new DisclosureService(),
    erasureNotices,
    personalData,
    webhooks,
    retention: new ErasedOrderRetention(erasureNotices),
    erasedOrderRetentionDays: platform.config.retention.closedAccountsDays,
    paymentProvider: provider,
  };
}
