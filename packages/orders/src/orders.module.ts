import { HotReads, type DomainModuleDefinition, type Platform } from "@honour/platform";
import type { UsersServices } from "@honour/users";
import { SavedPaymentMethodEntity } from "./billing/saved-payment-method.entity";
import { SavedPaymentMethodService } from "./billing/saved-payment-method.service";
import { DisclosureEntity } from "./disclosure/disclosure.entity";
import { DisclosureService } from "./disclosure/disclosure.service";
import { formerOwnerAuditSubject, formerOwnerHash } from "./order/former-owner";
import { CreateOrders1795631582098 } from "./migrations/1795631582098-create-orders.migration";
import { OrdersPrivacy1795637877532 } from "./migrations/1795637877532-orders-privacy.migration";
import { GuestOrderContactEmail1796420242907 } from "./migrations/1796420242907-guest-order-contact-email.migration";
import { EraseCardBrand1796600000000 } from "./migrations/1796600000000-erase-card-brand.migration";
import { LicenceEntity } from "./licence/licence.entity";
import { LicenceService } from "./licence/licence.service";
import { OrderLineEntity } from "./order/order-line.entity";
import { OrderNumberEntity } from "./order/order-number.entity";
import { OrderNumberService } from "./order/order-number.service";
import { OrderEntity } from "./order/order.entity";
import { OrderLifecycleService } from "./order/order-lifecycle.service";
import { OrderQueryService } from "./order/order-query.service";
import { OrderViewAuditService } from "./order/order-view-audit.service";
import { PlaceOrderService } from "./order/place-order.service";
import { PartnerApiKeyEntity } from "./partner/partner-api-key.entity";
import { PartnerEntity } from "./partner/partner.entity";
import { PartnerService } from "./partner/partner.service";
import { LocalPaymentProvider, type PaymentProvider } from "./payment/payment-provider.service";
import { ProductEntity } from "./product/product.entity";
import { ProductService } from "./product/product.service";
import { ErasedOrderRetention } from "./privacy/erased-order-retention";
import { ErasureNoticeEntity } from "./privacy/erasure-notice.entity";
import { ErasureNoticeService } from "./privacy/erasure-notice.service";
import { OrdersPersonalData } from "./privacy/orders-personal-data.service";

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
  ],
  migrations: [
    CreateOrders1795631582098,
    OrdersPrivacy1795637877532,
    GuestOrderContactEmail1796420242907,
    EraseCardBrand1796600000000,
  ],
};

/** The orders domain's services, as the gateway and the worker use them. */
export interface OrdersServices {
  catalogue: ProductService;
  /** Placing and paying for orders (`placeOrder`). */
  placing: PlaceOrderService;
  /** Reading orders: one, the buyer's, every order (staff, audited), a partner's; their lines. */
  orderQueries: OrderQueryService;
  /** Assigning, fulfilling and cancelling orders; detaching them from an account's history. */
  orderLifecycle: OrderLifecycleService;
  /** Partners and their API keys; `resolveApiKey` turns a key into a partner actor. */
  partners: PartnerService;
  billing: SavedPaymentMethodService;
  licences: LicenceService;
  disclosures: DisclosureService;
  /** Notices to partners of erased order contacts (`partnerErasureNotices`). */
  erasureNotices: ErasureNoticeService;
  /** The "orders" section of data exports and account closures, registered with the platform. */
  personalData: OrdersPersonalData;
  /** Deletes erased orders once their accounting period is over (the worker's daily job). */
  retention: ErasedOrderRetention;
  /** Days an erased order is kept as an accounting record (`CLOSED_ACCOUNT_RETENTION_DAYS`). */
  erasedOrderRetentionDays: number;
}

export interface OrdersOptions {
  /** Where cards are charged (default: {@link LocalPaymentProvider}, which charges nobody). */
  paymentProvider?: PaymentProvider;
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
  const provider = options.paymentProvider ?? new LocalPaymentProvider(platform.clock);
  const secret = platform.config.secret;
  const placing = new PlaceOrderService(
    catalogue,
    new OrderNumberService(),
    provider,
    billing,
    users,
    platform.logger,
    platform.jobs,
    secret,
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
  );
  // Staff reads of orders outside a person's history name them by a pseudonym (no account id is
  // on those orders); the audit log finds those entries by the person's user id all the same.
  platform.audit.addSubjectAliases((userId) => [formerOwnerAuditSubject(secret, formerOwnerHash(secret, userId))]);
  platform.events.subscribe("users.profileSettingsChanged", async (ctx, event) => {
    if (!event.keepBillingDetails) await billing.deleteAllFor(ctx, event.userId);
    if (!event.keepOrderHistory) await orderLifecycle.detachHistory(ctx, event.userId);
  });
  // The policy's other way to opt out, "by canceling an online account", is the erasure below.
  const erasureNotices = new ErasureNoticeService();
  const personalData = platform.personalData.register(new OrdersPersonalData(secret, billing, erasureNotices));
  return {
    catalogue,
    placing,
    orderQueries,
    orderLifecycle,
    partners: new PartnerService(platform.securityLog, platform.audit),
    billing,
    licences,
    disclosures: new DisclosureService(),
    erasureNotices,
    personalData,
    retention: new ErasedOrderRetention(erasureNotices),
    erasedOrderRetentionDays: platform.config.retention.closedAccountsDays,
  };
}
