import {
  lockRows,
  JobEntity,
  type PersonalDataContributor,
  type PersonalDataSubject,
  type RequestContext,
} from "@honour/platform";
import { normaliseEmail, UserEntity } from "@honour/users";
import { In } from "typeorm";
import type { SavedPaymentMethodService } from "../billing/saved-payment-method.service";
import { DisclosureEntity } from "../disclosure/disclosure.entity";
import { decodeFields } from "../disclosure/disclosure.service";
import { LicenceEntity } from "../licence/licence.entity";
import { formerOwnerHash } from "../order/former-owner";
import { OrderLineEntity } from "../order/order-line.entity";
import { formatOrderNumber } from "../order/order-number.service";
import { orderConfirmationKey } from "../order/order-confirmation";
import { OrderEntity } from "../order/order.entity";
import { PartnerEntity } from "../partner/partner.entity";
import type { PartnerSuppressionService } from "../partner/partner-suppression.service";
import type { ErasureNoticeService } from "./erasure-notice.service";

/** What replaces an erased order's contact: the order keeps only what an invoice needs. */
export const ERASED = "(erased)";

/**
 * The columns an erasure rewrites. Kept: what an invoice needs (number, status, dates, lines,
 * prices, total, currency, the billing address's country for tax), the partner, and the
 * provider's charge id (to refund and reconcile with the provider, which holds the card). Gone:
 * name, email, phone, organisation, street, city, postcode, every card detail (the reusable
 * token, brand, last four digits and expiry: the policy uses billing information "only to bill
 * you for that product", and neither an invoice nor a refund needs them), the idempotency hashes
 * (they hash the request, contact included) and every link to the account. So `Order.payment`
 * is null on an erased order.
 */
const ERASED_COLUMNS = Object.freeze({
  userId: null,
  formerOwnerHash: null,
  contactName: ERASED,
  contactEmail: ERASED,
  contactPhone: null,
  contactOrganisation: null,
  addressLine1: ERASED,
  addressLine2: null,
  addressCity: ERASED,
  addressPostcode: ERASED,
  paymentToken: null,
  cardBrand: null,
  cardLast4: null,
  cardExpiryMonth: null,
  cardExpiryYear: null,
  idempotencyKeyHash: null,
  requestHash: null,
});

/** IN lists are cut into chunks of this many values. */
const CHUNK = 500;

function chunks<T>(values: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += CHUNK) out.push(values.slice(i, i + CHUNK));
  return out;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The orders domain's part of a data export and of an account closure (registered as "orders" by
 * `createOrdersServices`). Its erasure needs the account row locked first ({@link lock}).
 *
 * The person's orders are those of their account (`userId`) and those outside their history
 * (`keepOrderHistory` off, at placement or later) that carry the keyed hash of their account id
 * ({@link formerOwnerHash}). The export does NOT match orders by contact email: accounts do not
 * prove that their holder owns the address, so registering someone else's address would reveal
 * that person's guest orders. A guest's own request for a copy goes through staff.
 *
 * The closure does: guest orders (no account, no former owner) placed with the account's email
 * are erased with it ({@link guestOrdersOf}). They hold the person's contact, which the policy
 * uses only to send and bill that purchase; keeping it after the person left is what the policy
 * rules out, and erasing reveals nothing to whoever closes the account. The cost of a false match
 * (an account opened with someone else's address) is that person's contact on their guest orders,
 * never their data in anyone's hands; the order itself stays, as for every erased order.
 */
export class OrdersPersonalData implements PersonalDataContributor {
  readonly name = "orders";

  constructor(
    private readonly secret: string,
    private readonly billing: SavedPaymentMethodService,
    private readonly notices: ErasureNoticeService,
    private readonly suppressionChecks?: PartnerSuppressionService,
  ) {}

  /**
   * Locks the subject's account row on MySQL/MariaDB (the registry calls this right before
   * {@link erase}, in the closing transaction): an order being placed for the account holds a
   * shared lock on that row until it commits, so it is finished and seen by the erasure, and none
   * starts until the closure commits.
   */
  async lock(ctx: RequestContext, subject: Pick<PersonalDataSubject, "userId">): Promise<void> {
    await lockRows(
      ctx.manager
        .createQueryBuilder(UserEntity, "u")
        .select("u.id")
        .where("u.id = :userId", { userId: subject.userId }),
      "update",
    ).getRawMany();
  }

  /**
   * The subject's orders by number (oldest first), erased ones included. `forUpdate` (erasure,
   * after {@link lock}): on MySQL/MariaDB a locking read, which sees the latest committed rows
   * rather than the transaction's snapshot.
   */
  async ordersOf(
    ctx: RequestContext,
    subject: Pick<PersonalDataSubject, "userId">,
    forUpdate = false,
  ): Promise<OrderEntity[]> {
    const query = ctx.manager
      .createQueryBuilder(OrderEntity, "o")
      .where("o.userId = :userId OR o.formerOwnerHash = :hash", {
        userId: subject.userId,
        hash: formerOwnerHash(this.secret, subject.userId),
      })
      .orderBy("o.number", "ASC");
    return (forUpdate ? lockRows(query, "update") : query).getMany();
  }

  /**
   * Guest orders placed with the subject's email (as users store it: NFC, trimmed, lower-case, or
   * as orders stored it before they stored NFC), not yet erased. `forUpdate` as in
   * {@link ordersOf}, after the account lock of {@link lock}: on MySQL/MariaDB a locking read
   * through the contact email index, which sees the latest committed rows.
   */
  async guestOrdersOf(ctx: RequestContext, subject: Pick<PersonalDataSubject, "email">, forUpdate = false) {
    const email = normaliseEmail(subject.email);
    const forms = [...new Set([email, email.normalize("NFD")])];
    const query = ctx.manager
      .createQueryBuilder(OrderEntity, "o")
      .where("o.contactEmail IN (:...forms)", { forms })
      .andWhere("o.userId IS NULL AND o.formerOwnerHash IS NULL AND o.contactErasedAt IS NULL")
      .orderBy("o.number", "ASC");
    return (forUpdate ? lockRows(query, "update") : query).getMany();
  }

  /**
   * A guest's orders (placed without an account with this email, not erased), for answering their
   * access request: number, status, dates, lines, total and the contact as stored. Null when none.
   */
  async exportGuest(ctx: RequestContext, email: string): Promise<Record<string, unknown> | null> {
    const orders = await this.guestOrdersOf(ctx, { email });
    if (orders.length === 0) return null;
    const lines: OrderLineEntity[] = [];
    for (const chunk of chunks(orders.map((o) => o.id))) {
      lines.push(...(await ctx.manager.find(OrderLineEntity, { where: { orderId: In(chunk) } })));
    }
    return {
      guestOrders: orders.map((o) => ({
        number: formatOrderNumber(o.number),
        status: o.status,
        placedAt: iso(o.placedAt),
        currency: o.currency,
        totalMinor: o.totalMinor,
        lines: lines
          .filter((l) => l.orderId === o.id)
          .sort((a, b) => a.position - b.position)
          .map((l) => ({ name: l.name, quantity: l.quantity, unitPriceMinor: l.unitPriceMinor })),
        contact: {
          name: o.contactName,
          email: o.contactEmail,
          phone: o.contactPhone,
          organisation: o.contactOrganisation,
          address: [o.addressLine1, o.addressLine2, o.addressCity, o.addressPostcode, o.addressCountry]
            .filter(Boolean)
            .join(", "),
        },
        card: o.cardBrand && o.cardLast4 ? `${o.cardBrand} ending ${o.cardLast4}` : null,
      })),
    };
  }

  /**
   * Every order of the subject (number, status, dates, lines, totals, currency, the contact and
   * billing address as stored, the card as brand, last four and expiry, licences, the assigned
   * partner's name), their saved cards (brand, last four, expiry), every disclosure of their
   * orders' contacts to partners, and every partner's check of their (verified) address with
   * `checkPartnerSuppressions`: which partner, when, and the answer given. Dates are ISO strings.
   */
  async export(ctx: RequestContext, subject: PersonalDataSubject): Promise<Record<string, unknown>> {
    const orders = await this.ordersOf(ctx, subject);
    const ids = orders.map((o) => o.id);
    const lines: OrderLineEntity[] = [];
    const licences: LicenceEntity[] = [];
    const disclosures: DisclosureEntity[] = [];
    for (const chunk of chunks(ids)) {
      lines.push(...(await ctx.manager.find(OrderLineEntity, { where: { orderId: In(chunk) } })));
      licences.push(...(await ctx.manager.find(LicenceEntity, { where: { orderId: In(chunk) } })));
      disclosures.push(...(await ctx.manager.find(DisclosureEntity, { where: { orderId: In(chunk) } })));
    }
    const partnerIds = [...new Set(orders.flatMap((o) => (o.partnerId ? [o.partnerId] : [])))];
    const partners = new Map(
      (partnerIds.length > 0 ? await ctx.manager.findBy(PartnerEntity, { id: In(partnerIds) }) : []).map((p) => [
        p.id,
        p.name,
      ]),
    );
    const cards = await this.billing.listFor(ctx, [subject.userId]);
    const numberOf = new Map(orders.map((o) => [o.id, o.number]));
    // Partners' checks of the address, only once the holder proved it is theirs: anyone can open
    // an account with someone else's address, and must not learn who holds it that way.
    const account = await ctx.manager.findOne(UserEntity, {
      select: { id: true, emailVerifiedAt: true },
      where: { id: subject.userId },
    });
    const checks =
      account?.emailVerifiedAt && this.suppressionChecks
        ? await this.suppressionChecks.checksOf(ctx, subject.email)
        : [];
    return {
      orders: orders.map((o) => ({
        number: formatOrderNumber(o.number),
        status: o.status,
        inOrderHistory: o.userId === subject.userId,
        placedAt: iso(o.placedAt),
        paidAt: iso(o.paidAt),
        assignedAt: iso(o.assignedAt),
        fulfilledAt: iso(o.fulfilledAt),
        cancelledAt: iso(o.cancelledAt),
        contactErasedAt: iso(o.contactErasedAt),
        currency: o.currency,
        totalMinor: o.totalMinor,
        lines: lines
          .filter((l) => l.orderId === o.id)
          .sort((a, b) => a.position - b.position)
          .map((l) => ({
            sku: l.sku,
            name: l.name,
            kind: l.kind,
            quantity: l.quantity,
            unitPriceMinor: l.unitPriceMinor,
            totalMinor: l.totalMinor,
          })),
        contact: o.contactErasedAt
          ? null
          : {
              name: o.contactName,
              email: o.contactEmail,
              phone: o.contactPhone,
              organisation: o.contactOrganisation,
              address: {
                line1: o.addressLine1,
                line2: o.addressLine2,
                city: o.addressCity,
                postcode: o.addressPostcode,
                country: o.addressCountry,
              },
            },
        billingCountry: o.addressCountry,
        payment:
          o.cardBrand && o.cardLast4 && o.cardExpiryMonth !== null && o.cardExpiryYear !== null
            ? { brand: o.cardBrand, last4: o.cardLast4, expiryMonth: o.cardExpiryMonth, expiryYear: o.cardExpiryYear }
            : null,
        licences: licences
          .filter((l) => l.orderId === o.id)
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .map((l) => ({ sku: l.sku, serial: l.serial, controlCode: l.controlCode, issuedAt: iso(l.issuedAt) })),
        partner: o.partnerId ? (partners.get(o.partnerId) ?? null) : null,
      })),
      savedPaymentMethods: cards.map((c) => ({
        brand: c.brand,
        last4: c.last4,
        expiryMonth: c.expiryMonth,
        expiryYear: c.expiryYear,
        savedAt: iso(c.createdAt),
        updatedAt: iso(c.updatedAt),
      })),
      disclosures: disclosures
        .sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : 1))
        .map((d) => ({
          partnerName: d.partnerName,
          orderNumber: formatOrderNumber(numberOf.get(d.orderId) ?? d.orderNumber),
          fields: decodeFields(d.fields),
          purpose: d.purpose,
          at: iso(d.at),
        })),
      partnerSuppressionChecks: checks.map((c) => ({
        partnerName: c.partnerName,
        at: iso(c.at),
        answer: c.suppressed ? "do not contact" : "may be contacted",
      })),
    };
  }

  /**
   * Anonymises the subject's orders and the guest orders placed with their email (see
   * {@link ERASED_COLUMNS}, {@link guestOrdersOf}), marking each `contactErasedAt`;
   * writes one erasure notice per partner that received or was assigned any of them; deletes
   * their confirmation mails (queued or sent: they name the contact) and the subject's saved cards.
   * Runs in the closing transaction, after {@link lock}. Erasing again changes nothing and notifies
   * nobody twice.
   *
   * The erasure time (`contactErasedAt` and the notices' `erasedAt`) is read from the clock as late
   * as possible: after the locks are held and everything that could wait on another transaction
   * has run, so that it is as close as can be to the commit. Partners poll notices by `erasedAt`
   * (`partnerErasureNotices(since)`); a notice whose time is well before its commit could appear
   * behind one they have already seen. What is left (the rest of the closure, clocks that differ
   * between servers) is covered by the overlap partners are told to poll with.
   */
  async erase(ctx: RequestContext, subject: PersonalDataSubject): Promise<void> {
    const orders = [
      ...(await this.ordersOf(ctx, subject, true)).filter((o) => o.contactErasedAt === null),
      ...(await this.guestOrdersOf(ctx, subject, true)),
    ];
    const ids = orders.map((o) => o.id);
    const numberOf = new Map(orders.map((o) => [o.id, o.number]));
    const byPartner = new Map<string, Set<number>>();
    const affect = (partnerId: string, number: number) => {
      const set = byPartner.get(partnerId);
      if (set) set.add(number);
      else byPartner.set(partnerId, new Set([number]));
    };
    for (const order of orders) if (order.partnerId) affect(order.partnerId, order.number);
    for (const chunk of chunks(ids)) {
      const disclosed = await ctx.manager
        .createQueryBuilder(DisclosureEntity, "d")
        .select("d.partnerId", "partnerId")
        .addSelect("d.orderId", "orderId")
        .distinct(true)
        .where("d.orderId IN (:...chunk)", { chunk })
        .getRawMany<{ partnerId: string; orderId: string }>();
      for (const d of disclosed) affect(d.partnerId, numberOf.get(d.orderId)!);
      await ctx.manager.delete(JobEntity, { uniqueKey: In(chunk.map((id) => `mail:${orderConfirmationKey(id)}`)) });
    }
    await this.billing.deleteAllFor(ctx, subject.userId);
    await this.suppressionChecks?.eraseChecksOf(ctx, subject.email);
    // From here on only rows this transaction already holds (on MySQL/MariaDB `ordersOf` locked
    // every order of the subject) and the new notices: nothing that waits on another transaction.
    const now = ctx.clock.now();
    for (const chunk of chunks(ids)) {
      await ctx.manager.update(
        OrderEntity,
        { id: In(chunk) },
        { ...ERASED_COLUMNS, contactErasedAt: now, updatedAt: now },
      );
    }
    // Orders erased before but still in the account (none unless a closure was undone by hand).
    await ctx.manager.update(OrderEntity, { userId: subject.userId }, { userId: null, updatedAt: now });
    await this.notices.notify(ctx, byPartner, now);
  }
}
