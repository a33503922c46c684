import {
  AuditAction,
  AuditEntryEntity,
  ErrorCode,
  JobEntity,
  RequestContext,
  Role,
  type ClaimedJob,
  type PersonalDataSubject,
} from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import type { UserEntity } from "@honour/users";
import { In } from "typeorm";
import { SavedPaymentMethodEntity } from "../src/billing/saved-payment-method.entity";
import { DisclosedField, DisclosureEntity } from "../src/disclosure/disclosure.entity";
import { LicenceEntity } from "../src/licence/licence.entity";
import { OrderLineEntity } from "../src/order/order-line.entity";
import { formatOrderNumber } from "../src/order/order-number.service";
import { OrderViewsOfRequest } from "../src/order/order-views";
import { OrderEntity, type OrderEntity as Order } from "../src/order/order.entity";
import { type PlaceOrderRequest } from "../src/order/place-order-checks";
import { ORDERS_JOBS, ordersJobs } from "../src/orders.job";
import { ErasedOrderRetention } from "../src/privacy/erased-order-retention";
import { ErasureNoticeEntity } from "../src/privacy/erasure-notice.entity";
import { noticeOrderNumbers } from "../src/privacy/erasure-notice.service";
import { ERASED } from "../src/privacy/orders-personal-data.service";
import { ProductKind } from "../src/product/product.entity";
import { everyStoredValue, failure, openOrdersTestBed, type OrdersTestBed } from "./orders-test-bed";

/** Two people whose details must never mix. */
const ADA = {
  name: "Ada Lovelace",
  email: "ada.lovelace@example.com",
  phone: "+44 20 7946 0101",
  organisation: "Analytical Engines Ltd",
  address: { line1: "12 St James's Square", line2: "Flat 3b", city: "Marylebone", postcode: "SW1Y 4JH", country: "GB" },
};
const GRACE = {
  name: "Grace Hopper",
  email: "grace.hopper@example.org",
  phone: "+1 703 555 0199",
  organisation: "Compiler Works Inc",
  address: { line1: "1 Navy Yard", line2: null, city: "Arlington", postcode: "22202", country: "US" },
};

/** The plain values of a contact that an erasure must remove. */
function piiOf(contact: typeof ADA | typeof GRACE, accountEmail: string): string[] {
  return [
    contact.name,
    contact.email,
    contact.phone,
    contact.organisation,
    contact.address.line1,
    ...(contact.address.line2 ? [contact.address.line2] : []),
    contact.address.city,
    contact.address.postcode,
    accountEmail,
  ];
}

const ORDERS_ACTIONS: string[] = [
  AuditAction.ORDERS_VIEWED,
  AuditAction.PARTNER_KEY_ISSUED,
  AuditAction.PARTNER_KEY_REVOKED,
];

const ORDER_TABLES = [
  "customer_order",
  "order_line",
  "order_licence",
  "order_number",
  "saved_payment_method",
  "disclosure",
  "erasure_notice",
  "partner",
  "partner_api_key",
  "product",
  "job",
];

describe.each(testDatabaseKinds())("orders and privacy rights on %s", (kind) => {
  let bed: OrdersTestBed;
  beforeAll(async () => {
    bed = await openOrdersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(async () => {
    await bed.reset();
    await bed.product({ sku: "HON-PRO", priceMinor: 4999, kind: ProductKind.LICENCE });
    await bed.product({ sku: "HON-CARE", priceMinor: 1500, kind: ProductKind.SERVICE });
  });

  const subjectOf = (user: UserEntity): PersonalDataSubject => ({ userId: user.id, email: user.email, phone: null });

  function requestFor(contact: typeof ADA | typeof GRACE, skus: string[], extra: Partial<PlaceOrderRequest> = {}) {
    return bed.request(skus, { contact: { ...contact, address: { ...contact.address } }, ...extra });
  }

  async function staffMember(role = Role.SUPPORT) {
    return bed.signUp(role);
  }

  /**
   * Ada: an order in her history, assigned to partner P1 which read its contact and then lost it
   * to P2 (reassigned) which fulfilled it; a second order with a saved card; her history switched
   * off, and a third order placed after that. Grace: one order, assigned to P3. A guest order.
   */
  async function scenario() {
    const ada = await bed.signUp();
    const grace = await bed.signUp();
    const staff = await staffMember();
    const p1 = await bed.partner("First Resellers");
    const p2 = await bed.partner("Second Resellers");
    const p3 = await bed.partner("Third Resellers");
    const assign = (order: Order, partnerId: string) =>
      bed.services.orderLifecycle.assign(staff.ctx, order.id, partnerId);

    const ada1 = await bed.place(ada.ctx, requestFor(ADA, ["HON-PRO", "HON-CARE"]));
    await assign(ada1, p1.partner.id);
    await bed.services.disclosures.record(p1.ctx, [
      { order: ada1, fields: [DisclosedField.NAME, DisclosedField.EMAIL, DisclosedField.ADDRESS] },
    ]);
    await assign(ada1, p2.partner.id);
    await bed.services.orderLifecycle.markFulfilled(p2.ctx, ada1.id);
    const ada2 = await bed.place(ada.ctx, requestFor(ADA, ["HON-CARE"], { saveBillingDetails: true }));
    await bed.users.users.updateProfile(ada.ctx, { keepOrderHistory: false });
    const ada3 = await bed.place(ada.ctx, requestFor(ADA, ["HON-PRO"]));

    const grace1 = await bed.place(
      grace.ctx,
      requestFor(GRACE, ["HON-PRO"], {
        saveBillingDetails: true,
        payment: {
          cardNumber: "5555 5555 5555 4444",
          expiryMonth: 4,
          expiryYear: 2031,
          cvc: "321",
          cardholderName: "G",
        },
      }),
    );
    await assign(grace1, p3.partner.id);
    await bed.services.disclosures.record(p3.ctx, [{ order: grace1, fields: [DisclosedField.NAME] }]);
    const guest = await bed.place(bed.ctx(), requestFor(GRACE, ["HON-CARE"]));
    return { ada, grace, staff, p1, p2, p3, ada1, ada2, ada3, grace1, guest };
  }

  // As the registry runs a contributor: its lock, then its erase.
  const erase = (subject: PersonalDataSubject) =>
    bed.ctx().transaction(async (tx) => {
      await bed.services.personalData.lock(tx, subject);
      await bed.services.personalData.erase(tx, subject);
    });

  describe("export", () => {
    it("registers one contributor named orders with the platform", () => {
      expect(bed.platform.personalData.names).toContain("orders");
      expect(bed.platform.personalData.names.filter((n) => n === "orders")).toHaveLength(1);
    });

    it("holds every order of the person, detached ones too, their saved cards and disclosures, and nothing of anyone else", async () => {
      const s = await scenario();
      const exported = await bed.services.personalData.export(bed.ctx(), subjectOf(s.ada.user));
      const doc = exported as {
        orders: {
          number: string;
          inOrderHistory: boolean;
          totalMinor: number;
          contact: unknown;
          lines: { sku: string }[];
          licences: { serial: string }[];
          payment: unknown;
          partner: string | null;
        }[];
        savedPaymentMethods: unknown[];
        disclosures: unknown[];
      };

      expect(doc.orders.map((o) => o.number)).toEqual([s.ada1, s.ada2, s.ada3].map((o) => formatOrderNumber(o.number)));
      expect(doc.orders.map((o) => o.inOrderHistory)).toEqual([false, false, false]);
      expect(doc.orders[0]).toMatchObject({
        status: "FULFILLED",
        currency: "GBP",
        totalMinor: 4999 + 1500,
        placedAt: s.ada1.placedAt.toISOString(),
        contact: {
          name: ADA.name,
          email: ADA.email,
          phone: ADA.phone,
          organisation: ADA.organisation,
          address: ADA.address,
        },
        payment: { brand: "VISA", last4: "4176", expiryMonth: 12, expiryYear: 2030 },
        partner: "Second Resellers",
      });
      expect(doc.orders[0]!.lines.map((l) => l.sku)).toEqual(["HON-PRO", "HON-CARE"]);
      const licences = await bed.ctx().manager.findBy(LicenceEntity, { orderId: s.ada1.id });
      expect(licences).toHaveLength(1);
      expect(doc.orders[0]!.licences.map((l) => l.serial)).toEqual([licences[0]!.serial]);
      expect(doc.savedPaymentMethods).toEqual([
        expect.objectContaining({ brand: "VISA", last4: "4176", expiryMonth: 12, expiryYear: 2030 }),
      ]);
      expect(doc.disclosures).toEqual([
        expect.objectContaining({
          partnerName: "First Resellers",
          orderNumber: formatOrderNumber(s.ada1.number),
          fields: ["NAME", "EMAIL", "ADDRESS"],
        }),
      ]);

      // Every stored row about Ada is there: her orders (by id and number) and her card.
      const stored = await bed.ctx().manager.find(OrderEntity, { order: { id: "ASC" } });
      const hers = stored.filter((o) => [s.ada1.id, s.ada2.id, s.ada3.id].includes(o.id));
      expect(hers).toHaveLength(3);
      // Nothing of Grace's, nor of the guest's, nor any token, hash or card number.
      const text = JSON.stringify(exported);
      for (const value of [...piiOf(GRACE, s.grace.user.email), formatOrderNumber(s.grace1.number)]) {
        expect(text).not.toContain(value);
      }
      expect(text).not.toContain(formatOrderNumber(s.guest.number));
      expect(text).not.toContain("Third Resellers");
      expect(text).not.toContain("4444");
      for (const o of hers) {
        if (o.paymentToken) expect(text).not.toContain(o.paymentToken);
        if (o.formerOwnerHash) expect(text).not.toContain(o.formerOwnerHash);
      }
      // JSON through and through: dates as ISO strings.
      expect(JSON.parse(text)).toEqual(exported);
    });

    it("keeps two customers apart: each export has only their own orders and cards", async () => {
      const s = await scenario();
      const graces = (await bed.services.personalData.export(bed.ctx(), subjectOf(s.grace.user))) as {
        orders: { number: string; inOrderHistory: boolean }[];
        savedPaymentMethods: { last4: string }[];
        disclosures: { partnerName: string }[];
      };
      expect(graces.orders).toEqual([
        expect.objectContaining({ number: formatOrderNumber(s.grace1.number), inOrderHistory: true }),
      ]);
      expect(graces.savedPaymentMethods.map((c) => c.last4)).toEqual(["4444"]);
      expect(graces.disclosures.map((d) => d.partnerName)).toEqual(["Third Resellers"]);
      const text = JSON.stringify(graces);
      for (const value of piiOf(ADA, s.ada.user.email)) expect(text).not.toContain(value);
      // The guest order with Grace's contact is not hers to export: accounts do not prove the address.
      expect(text).not.toContain(formatOrderNumber(s.guest.number));
    });

    it("is empty for a person without orders", async () => {
      const { user } = await bed.signUp();
      await scenario();
      expect(await bed.services.personalData.export(bed.ctx(), subjectOf(user))).toEqual({
        orders: [],
        savedPaymentMethods: [],
        disclosures: [],
        partnerSuppressionChecks: [],
      });
    });
  });

  describe("erasure", () => {
    it("leaves no plain name, email, phone or address of the person in any orders table, and the totals still add up", async () => {
      const s = await scenario();
      const before = await bed.ctx().manager.find(OrderEntity, { order: { id: "ASC" } });
      const linesBefore = await bed.ctx().manager.find(OrderLineEntity, { order: { id: "ASC" } });

      await erase(subjectOf(s.ada.user));

      const values = (await everyStoredValue(bed.db.dataSource)).filter((v) => ORDER_TABLES.includes(v.table));
      const hits = values.filter((v) =>
        piiOf(ADA, s.ada.user.email).some((pii) => v.value.toLowerCase().includes(pii.toLowerCase())),
      );
      expect(hits).toEqual([]);
      // The scan finds what it looks for: Grace's details are all still there.
      for (const pii of piiOf(GRACE, s.grace.user.email).slice(0, -1)) {
        expect(values.some((v) => v.value.includes(pii))).toBe(true);
      }

      const after = await bed.ctx().manager.find(OrderEntity, { order: { id: "ASC" } });
      const lines = await bed.ctx().manager.find(OrderLineEntity, { order: { id: "ASC" } });
      expect(after.map((o) => [o.id, o.number, o.totalMinor, o.currency, o.status, o.placedAt.toISOString()])).toEqual(
        before.map((o) => [o.id, o.number, o.totalMinor, o.currency, o.status, o.placedAt.toISOString()]),
      );
      expect(lines).toEqual(linesBefore);
      for (const order of after) {
        expect(lines.filter((l) => l.orderId === order.id).reduce((sum, l) => sum + l.totalMinor, 0)).toBe(
          order.totalMinor,
        );
      }
      const erased = after.filter((o) => [s.ada1.id, s.ada2.id, s.ada3.id].includes(o.id));
      for (const order of erased) {
        expect(order).toMatchObject({
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
          addressCountry: "GB",
          paymentToken: null,
          cardBrand: null,
          cardLast4: null,
          cardExpiryMonth: null,
          idempotencyKeyHash: null,
          requestHash: null,
          contactErasedAt: bed.clock.now(),
        });
        expect(order.paymentChargeId).toBeTruthy();
      }
      // Everyone else's orders are untouched.
      const others = after.filter((o) => !erased.includes(o));
      expect(others).toEqual(before.filter((o) => ![s.ada1.id, s.ada2.id, s.ada3.id].includes(o.id)));
      expect(await bed.ctx().manager.countBy(SavedPaymentMethodEntity, { userId: s.ada.user.id })).toBe(0);
      expect(await bed.ctx().manager.countBy(SavedPaymentMethodEntity, { userId: s.grace.user.id })).toBe(1);
      // Her confirmation mails are gone; Grace's and the guest's stay.
      const mails = await bed.ctx().manager.find(JobEntity, {});
      expect(mails.map((j) => j.uniqueKey).sort()).toEqual(
        [s.grace1.id, s.guest.id].map((id) => `mail:order-confirmation:${id}`).sort(),
      );
    });

    it("notifies each partner that received or was assigned an erased order, naming it, and no other partner", async () => {
      const s = await scenario();
      await erase(subjectOf(s.ada.user));

      const notices = await bed.ctx().manager.find(ErasureNoticeEntity, { order: { partnerId: "ASC" } });
      const byPartner = new Map(notices.map((n) => [n.partnerId, noticeOrderNumbers(n)]));
      // P1 read the contact (a disclosure), P2 was assigned it; P3 had only Grace's order.
      expect(byPartner.get(s.p1.partner.id)).toEqual([s.ada1.number]);
      expect(byPartner.get(s.p2.partner.id)).toEqual([s.ada1.number]);
      expect(byPartner.has(s.p3.partner.id)).toBe(false);
      expect(notices).toHaveLength(2);
      for (const n of notices) {
        expect(n.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(n.erasedAt).toEqual(bed.clock.now());
      }

      expect((await bed.services.erasureNotices.listForPartner(s.p1.ctx)).map(noticeOrderNumbers)).toEqual([
        [s.ada1.number],
      ]);
      expect(await bed.services.erasureNotices.listForPartner(s.p3.ctx)).toEqual([]);
    });

    it("is idempotent: erasing again changes nothing and notifies nobody twice", async () => {
      const s = await scenario();
      await erase(subjectOf(s.ada.user));
      const orders = await bed.ctx().manager.find(OrderEntity, { order: { id: "ASC" } });
      bed.clock.advance(60_000);
      await erase(subjectOf(s.ada.user));
      expect(await bed.ctx().manager.find(OrderEntity, { order: { id: "ASC" } })).toEqual(orders);
      expect(await bed.ctx().manager.count(ErasureNoticeEntity)).toBe(2);
    });

    it("rolls back with the closing transaction: nothing is erased, nobody notified", async () => {
      const s = await scenario();
      const orders = await bed.ctx().manager.find(OrderEntity, { order: { id: "ASC" } });
      const jobs = await bed.ctx().manager.count(JobEntity);
      await expect(
        bed.ctx().transaction(async (tx: RequestContext) => {
          await bed.services.personalData.erase(tx, subjectOf(s.ada.user));
          expect(await tx.manager.countBy(OrderEntity, { contactName: ADA.name })).toBe(0);
          throw new Error("a later contributor failed");
        }),
      ).rejects.toThrow("a later contributor failed");
      expect(await bed.ctx().manager.find(OrderEntity, { order: { id: "ASC" } })).toEqual(orders);
      expect(await bed.ctx().manager.count(ErasureNoticeEntity)).toBe(0);
      expect(await bed.ctx().manager.countBy(SavedPaymentMethodEntity, { userId: s.ada.user.id })).toBe(1);
      expect(await bed.ctx().manager.count(JobEntity)).toBe(jobs);
    });

    it("is what closing the account does (users.close runs every contributor)", async () => {
      const s = await scenario();
      await bed.users.users.close(bed.ctx(), s.ada.user.id);
      const ada = await bed.ctx().manager.findBy(OrderEntity, { contactErasedAt: bed.clock.now() });
      expect(ada.map((o) => o.id).sort()).toEqual([s.ada1.id, s.ada2.id, s.ada3.id].sort());
      expect(await bed.ctx().manager.countBy(SavedPaymentMethodEntity, { userId: s.ada.user.id })).toBe(0);
      expect(await bed.ctx().manager.count(ErasureNoticeEntity)).toBe(2);
    });

    it("refuses an order for an account closed meanwhile (a request begun before the closure)", async () => {
      const ada = await bed.signUp();
      await bed.users.users.close(bed.ctx(), ada.user.id);
      await expect(bed.place(ada.ctx, requestFor(ADA, ["HON-PRO"]))).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
      expect(await bed.ctx().manager.count(OrderEntity)).toBe(0);
      expect(bed.provider.charges).toBe(0);
    });

    (kind === "mysql" ? it : it.skip)(
      "erases an order that was being placed while the account closed (MySQL: the closure waits for it)",
      async () => {
        const ada = await bed.signUp();
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let placed!: () => void;
        const inserted = new Promise<void>((resolve) => (placed = resolve));
        const placing = ada.ctx.transaction(async (tx) => {
          const order = await bed.services.placing.place(tx, requestFor(ADA, ["HON-PRO"]));
          placed();
          await gate;
          return order;
        });
        await inserted;
        let erased = false;
        const erasing = erase(subjectOf(ada.user)).then(() => (erased = true));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(erased).toBe(false);
        release();
        const order = await placing;
        await erasing;
        expect(await bed.ctx().manager.findOneByOrFail(OrderEntity, { id: order.id })).toMatchObject({
          userId: null,
          contactName: ERASED,
          contactEmail: ERASED,
        });
      },
    );

    (kind === "mysql" ? it : it.skip)(
      "takes the erasure time after waiting for the locks, not when the closure starts (MySQL)",
      async () => {
        const ada = await bed.signUp();
        const staff = await staffMember();
        const p1 = await bed.partner("First Resellers");
        const first = await bed.place(ada.ctx, requestFor(ADA, ["HON-PRO"]));
        await bed.services.orderLifecycle.assign(staff.ctx, first.id, p1.partner.id);
        // An order being placed holds the account row: the closure waits for it.
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let placed!: () => void;
        const inserted = new Promise<void>((resolve) => (placed = resolve));
        const placing = ada.ctx.transaction(async (tx) => {
          const order = await bed.services.placing.place(tx, requestFor(ADA, ["HON-CARE"]));
          placed();
          await gate;
          return order;
        });
        await inserted;
        const started = bed.clock.now();
        const erasing = erase(subjectOf(ada.user));
        await new Promise((resolve) => setTimeout(resolve, 300));
        // Time passes while the closure waits (a long lock wait).
        bed.clock.advance(90_000);
        release();
        const second = await placing;
        await erasing;
        const erasedAt = new Date(started.getTime() + 90_000);
        const orders = await bed.ctx().manager.findBy(OrderEntity, { id: In([first.id, second.id]) });
        expect(orders.map((o) => o.contactErasedAt)).toEqual([erasedAt, erasedAt]);
        const notices = await bed.ctx().manager.find(ErasureNoticeEntity, {});
        expect(notices.map((n) => [n.partnerId, noticeOrderNumbers(n), n.erasedAt])).toEqual([
          [p1.partner.id, [first.number], erasedAt],
        ]);
      },
    );

    it("erases, with the account, the guest orders placed with its email, and no one else's order", async () => {
      const zoe = {
        ...GRACE,
        name: "Zoë Lovelace",
        email: "zoe\u0308.lovelace@example.net",
        address: { ...GRACE.address, line1: "9 Byron Row" },
      };
      const signedUp = await bed.ctx().transaction((tx) =>
        bed.users.users.signUp(tx, {
          email: " Zoë.Lovelace@Example.NET",
          password: "a long password 123",
          name: "Z",
        }),
      );
      const account = signedUp.user;
      const ada = await bed.signUp();
      const staff = await staffMember();
      const p1 = await bed.partner("Guest Resellers");
      // Before and after signing up, signed out: typed in capitals, and with a decomposed ë.
      const guest1 = await bed.place(bed.ctx(), requestFor(zoe, ["HON-PRO"]));
      const guest2 = await bed.place(
        bed.ctx(),
        requestFor({ ...zoe, email: "ZOË.LOVELACE@EXAMPLE.NET" } as typeof GRACE, ["HON-CARE"]),
      );
      await bed.services.orderLifecycle.assign(staff.ctx, guest1.id, p1.partner.id);
      // Someone else's guest order, and Ada's own order sent to Zoë's address: not Zoë's to erase.
      const otherGuest = await bed.place(bed.ctx(), requestFor(GRACE, ["HON-CARE"]));
      const adasGift = await bed.place(ada.ctx, requestFor(zoe, ["HON-CARE"]));
      const before = await bed.ctx().manager.findBy(OrderEntity, { id: In([otherGuest.id, adasGift.id]) });

      await bed.users.users.close(bed.ctx(), account.id);

      const guests = await bed.ctx().manager.find(OrderEntity, {
        where: { id: In([guest1.id, guest2.id]) },
        order: { number: "ASC" },
      });
      for (const order of guests) {
        expect(order).toMatchObject({
          contactName: ERASED,
          contactEmail: ERASED,
          contactPhone: null,
          contactOrganisation: null,
          addressLine1: ERASED,
          addressCity: ERASED,
          addressPostcode: ERASED,
          cardLast4: null,
          contactErasedAt: bed.clock.now(),
        });
      }
      expect(guests.map((o) => o.status)).toEqual(["ASSIGNED", "PAID"]);
      expect(await bed.ctx().manager.findBy(OrderEntity, { id: In([otherGuest.id, adasGift.id]) })).toEqual(before);
      // Their confirmation mails went with them; the partner of the assigned one hears of it.
      const mails = (await bed.ctx().manager.find(JobEntity, {}))
        .flatMap((j) => (j.uniqueKey?.startsWith("mail:order-confirmation:") ? [j.uniqueKey] : []))
        .sort();
      // (Ada's, sent to Zoë's address, goes too: the platform erases every job naming it.)
      expect(mails).toEqual([`mail:order-confirmation:${otherGuest.id}`]);
      const notices = await bed.ctx().manager.find(ErasureNoticeEntity, {});
      expect(notices.map((n) => [n.partnerId, noticeOrderNumbers(n)])).toEqual([[p1.partner.id, [guest1.number]]]);
      // Nothing of Zoë's contact is left in any orders table but on Ada's order.
      const values = (await everyStoredValue(bed.db.dataSource)).filter(
        (v) => ORDER_TABLES.includes(v.table) && v.value.includes("9 Byron Row"),
      );
      expect(values).toHaveLength(1);
    });

    it("leaves guest orders alone in a data export (an account does not prove its address)", async () => {
      const s = await scenario();
      const account = await bed
        .ctx()
        .transaction((tx) =>
          bed.users.users.signUp(tx, { email: GRACE.email, password: "a long password 123", name: "G" }),
        );
      const exported = await bed.services.personalData.export(bed.ctx(), subjectOf(account.user));
      expect(exported.orders).toEqual([]);
      expect(JSON.stringify(exported)).not.toContain(formatOrderNumber(s.guest.number));
    });
  });

  describe("retention", () => {
    const DAY = 24 * 60 * 60 * 1000;
    /** The context the job runner hands a handler: the system acting, outside any transaction. */
    const runnerCtx = () => {
      const ctx = new RequestContext(
        bed.db.dataSource,
        { kind: "system", name: `job:${ORDERS_JOBS.purgeErasedOrders}` },
        bed.clock,
      );
      expect(ctx.inTransaction).toBe(false);
      return ctx;
    };
    const purge = () => {
      const job = ordersJobs(bed.services).jobs.find((j) => j.name === ORDERS_JOBS.purgeErasedOrders)!;
      return job.handle(runnerCtx(), {}, {} as ClaimedJob);
    };

    /** Each order with what hangs off it, and any line, licence or disclosure whose order is gone. */
    async function contents() {
      const m = bed.ctx().manager;
      const [orders, lines, licences, disclosures] = await Promise.all([
        m.find(OrderEntity, {}),
        m.find(OrderLineEntity, {}),
        m.find(LicenceEntity, {}),
        m.find(DisclosureEntity, {}),
      ]);
      const ids = new Set(orders.map((o) => o.id));
      return {
        orders: new Map(
          orders.map((o) => [
            o.id,
            {
              totalMinor: o.totalMinor,
              linesMinor: lines.filter((l) => l.orderId === o.id).reduce((sum, l) => sum + l.totalMinor, 0),
              lines: lines
                .filter((l) => l.orderId === o.id)
                .map((l) => l.id)
                .sort(),
              licences: licences
                .filter((l) => l.orderId === o.id)
                .map((l) => l.id)
                .sort(),
              disclosures: disclosures
                .filter((d) => d.orderId === o.id)
                .map((d) => d.id)
                .sort(),
            },
          ]),
        ),
        orphans: [...lines, ...licences, ...disclosures].filter((row) => !ids.has(row.orderId)).length,
      };
    }

    it("runs daily and keeps an erased order for CLOSED_ACCOUNT_RETENTION_DAYS, then deletes exactly it", async () => {
      expect(ordersJobs(bed.services).schedules).toContainEqual({ job: ORDERS_JOBS.purgeErasedOrders, everyMs: DAY });
      const days = bed.platform.config.retention.closedAccountsDays;
      expect(bed.services.erasedOrderRetentionDays).toBe(days);

      const s = await scenario();
      const adaErasedAt = bed.clock.now();
      await erase(subjectOf(s.ada.user));
      bed.clock.advance(10 * DAY);
      await erase(subjectOf(s.grace.user));
      const ada = [s.ada1.id, s.ada2.id, s.ada3.id];
      const count = async () => ({
        orders: await bed.ctx().manager.count(OrderEntity),
        lines: await bed.ctx().manager.count(OrderLineEntity),
        licences: await bed.ctx().manager.count(LicenceEntity),
        disclosures: await bed.ctx().manager.count(DisclosureEntity),
        notices: await bed.ctx().manager.count(ErasureNoticeEntity),
      });
      const start = await count();
      expect(start).toEqual({ orders: 5, lines: 6, licences: 1, disclosures: 2, notices: 3 });

      // Exactly the period: not yet.
      bed.clock.set(new Date(adaErasedAt.getTime() + days * DAY));
      await purge();
      expect(await count()).toEqual(start);

      // A millisecond later Ada's orders go, with their lines, licences, disclosures and notices.
      bed.clock.advance(1);
      await purge();
      expect(await count()).toEqual({ orders: 2, lines: 2, licences: 0, disclosures: 1, notices: 1 });
      const left = await bed.ctx().manager.find(OrderEntity, {});
      expect(left.map((o) => o.id).sort()).toEqual([s.grace1.id, s.guest.id].sort());
      expect(left.some((o) => ada.includes(o.id))).toBe(false);

      // Grace's, ten days later; the guest order (never erased) stays.
      bed.clock.advance(10 * DAY);
      await purge();
      expect(await count()).toEqual({ orders: 1, lines: 1, licences: 0, disclosures: 0, notices: 0 });
      expect((await bed.ctx().manager.find(OrderEntity, {})).map((o) => o.id)).toEqual([s.guest.id]);
    });

    it("deletes each batch in a transaction of its own: a crash at any statement leaves every order whole", async () => {
      const BATCH = 2;
      const days = bed.services.erasedOrderRetentionDays;
      let crashAt = 1;
      for (; crashAt < 30; crashAt += 1) {
        await bed.reset();
        await bed.product({ sku: "HON-PRO", priceMinor: 4999, kind: ProductKind.LICENCE });
        await bed.product({ sku: "HON-CARE", priceMinor: 1500, kind: ProductKind.SERVICE });
        const s = await scenario();
        await erase(subjectOf(s.ada.user));
        await erase(subjectOf(s.grace.user));
        const erased = [s.ada1.id, s.ada2.id, s.ada3.id, s.grace1.id];
        const before = await contents();
        expect(before.orders.size).toBe(5);
        for (const order of before.orders.values()) expect(order.linesMinor).toBe(order.totalMinor);
        bed.clock.advance(days * DAY + 1);

        // The process dies just before the crashAt-th DELETE reaches the database.
        const retention = new ErasedOrderRetention(bed.services.erasureNotices, BATCH);
        const deletes: boolean[] = [];
        const { logger } = bed.db.dataSource;
        const original = logger.logQuery.bind(logger);
        logger.logQuery = (query, parameters, runner) => {
          if (/^\s*DELETE\b/i.test(query)) {
            deletes.push(runner?.isTransactionActive ?? false);
            if (deletes.length === crashAt) throw new Error("the worker died");
          }
          return original(query, parameters, runner);
        };
        let crashed = false;
        try {
          await retention.purge(runnerCtx(), new Date(bed.clock.now().getTime() - days * DAY));
        } catch (error) {
          expect((error as Error).message).toBe("the worker died");
          crashed = true;
        } finally {
          logger.logQuery = original;
        }

        // Every DELETE ran inside a transaction, although the job's context had none.
        expect(deletes.length).toBeGreaterThan(0);
        expect(deletes.every(Boolean)).toBe(true);
        const after = await contents();
        expect(after.orphans).toBe(0);
        // What is left is exactly as it was: no order lost a line, licence or disclosure.
        for (const [id, order] of after.orders) expect([id, order]).toEqual([id, before.orders.get(id)]);
        // What went, went in whole batches, and only erased orders went.
        const gone = [...before.orders.keys()].filter((id) => !after.orders.has(id));
        expect(gone.every((id) => erased.includes(id))).toBe(true);
        expect(gone.length % BATCH).toBe(0);
        if (!crashed) {
          expect(gone.sort()).toEqual([...erased].sort());
          expect([...after.orders.keys()]).toEqual([s.guest.id]);
          expect(await bed.ctx().manager.count(ErasureNoticeEntity)).toBe(0);
          break;
        }
        // Running again (the next day's job) finishes the work.
        await retention.purge(runnerCtx(), new Date(bed.clock.now().getTime() - days * DAY));
        expect([...(await contents()).orders.keys()]).toEqual([s.guest.id]);
      }
      // At least two batches of orders and the notices: a crash before each DELETE was tried.
      expect(crashAt).toBeGreaterThanOrEqual(4);
    });
  });

  describe("audit", () => {
    const entries = () =>
      bed
        .ctx()
        .manager.find(AuditEntryEntity, { order: { id: "ASC" } })
        .then((rows) =>
          rows
            // Only what orders records (the accounts domain records the set-up's role changes).
            .filter((e) => ORDERS_ACTIONS.includes(e.action))
            .map((e) => ({ actorId: e.actorId, action: e.action, subjectId: e.subjectId, detail: e.detail }))
            // The test clock stands still, so ids made in one millisecond do not sort by time.
            .sort((a, b) => (a.action < b.action ? -1 : a.action > b.action ? 1 : 0)),
        );

    it("records one ORDERS_VIEWED per customer when staff list orders, and none for customers", async () => {
      const ada = await bed.signUp();
      const grace = await bed.signUp();
      const a1 = await bed.place(ada.ctx, requestFor(ADA, ["HON-PRO"]));
      const a2 = await bed.place(ada.ctx, requestFor(ADA, ["HON-CARE"]));
      const g1 = await bed.place(grace.ctx, requestFor(GRACE, ["HON-PRO"]));
      const guest = await bed.place(bed.ctx(), requestFor(GRACE, ["HON-CARE"]));
      const staff = await staffMember(Role.ADMIN);
      const own = await bed.place(staff.ctx, requestFor(GRACE, ["HON-CARE"]));

      await bed.services.orderQueries.listMine(ada.ctx, {});
      await bed.services.orderQueries.view(ada.ctx, a1.id);
      expect(await entries()).toEqual([]);

      const request = new OrderViewsOfRequest();
      await bed.services.orderQueries.listAll(staff.ctx, {}, request);
      // The same request reading one of Ada's orders again adds nothing.
      await bed.services.orderQueries.view(staff.ctx, a2.id, request);
      const n = (o: Order) => formatOrderNumber(o.number);
      expect(await entries()).toEqual(
        expect.arrayContaining([
          {
            actorId: staff.user.id,
            action: AuditAction.ORDERS_VIEWED,
            subjectId: ada.user.id,
            detail: `${n(a1)}, ${n(a2)}`,
          },
          { actorId: staff.user.id, action: AuditAction.ORDERS_VIEWED, subjectId: grace.user.id, detail: n(g1) },
          {
            actorId: staff.user.id,
            action: AuditAction.ORDERS_VIEWED,
            subjectId: null,
            detail: `orders of no account: ${n(guest)}`,
          },
        ]),
      );
      expect(await entries()).toHaveLength(3);
      expect(JSON.stringify(await entries())).not.toContain(n(own));

      // Another request: another entry.
      await bed.services.orderQueries.view(staff.ctx, a1.id);
      expect((await entries()).filter((e) => e.subjectId === ada.user.id)).toHaveLength(2);
    });

    it("names every order a request reads in its one entry per person, also across transactions", async () => {
      const ada = await bed.signUp();
      const a1 = await bed.place(ada.ctx, requestFor(ADA, ["HON-PRO"]));
      const a2 = await bed.place(ada.ctx, requestFor(ADA, ["HON-CARE"]));
      const a3 = await bed.place(ada.ctx, requestFor(ADA, ["HON-PRO"]));
      const staff = await staffMember();
      const n = (...orders: Order[]) => orders.map((o) => formatOrderNumber(o.number)).join(", ");
      const request = new OrderViewsOfRequest();
      const view = (id: string) => bed.services.orderQueries.view(staff.ctx, id, request);

      // Three reads started together (aliases of one query): one entry naming all three.
      await Promise.all([view(a3.id), view(a1.id), view(a2.id)]);
      expect(await entries()).toEqual([
        { actorId: staff.user.id, action: AuditAction.ORDERS_VIEWED, subjectId: ada.user.id, detail: n(a1, a2, a3) },
      ]);
    });

    it("leaves a rolled-back read out of the request's entry, and the next read still writes it", async () => {
      const ada = await bed.signUp();
      const a1 = await bed.place(ada.ctx, requestFor(ADA, ["HON-PRO"]));
      const a2 = await bed.place(ada.ctx, requestFor(ADA, ["HON-CARE"]));
      const staff = await staffMember();
      const request = new OrderViewsOfRequest();
      // Assigning reads the order (an entry), then fails on the unknown partner and rolls back.
      const unknownPartner = "0190a000-0000-7000-8000-000000000001";
      const failed = bed.services.orderLifecycle.assign(staff.ctx, a1.id, unknownPartner, request);
      expect((await failure(failed)).code).toBe(ErrorCode.NOT_FOUND);
      expect(await entries()).toEqual([]);

      await bed.services.orderQueries.view(staff.ctx, a2.id, request);
      expect((await entries()).map((e) => e.detail)).toEqual([formatOrderNumber(a2.number)]);
      await bed.services.orderQueries.view(staff.ctx, a1.id, request);
      expect((await entries()).map((e) => e.detail)).toEqual([
        [a1, a2].map((o) => formatOrderNumber(o.number)).join(", "),
      ]);
    });

    it("finds reads of orders outside a person's history by that person's id, never showing the owner hash", async () => {
      const grace = await bed.signUp();
      const g1 = await bed.place(grace.ctx, requestFor(GRACE, ["HON-PRO"]));
      await grace.ctx.transaction((tx) => bed.users.users.updateProfile(tx, { keepOrderHistory: false }));
      const staff = await staffMember();
      const request = new OrderViewsOfRequest();
      await bed.services.orderQueries.view(staff.ctx, g1.id, request);

      const [stored] = await entries();
      expect(stored?.subjectId).toMatch(/^former-owner:[0-9a-f]{48}$/);
      const detached = await bed.ctx().manager.findOneByOrFail(OrderEntity, { id: g1.id });
      expect(stored?.subjectId).not.toContain(detached.formerOwnerHash!.slice(0, 12));
      const aboutGrace = await bed.platform.audit.list(bed.ctx(), { subjectId: grace.user.id });
      expect(aboutGrace.nodes.map((e) => [e.action, e.subjectId, e.detail])).toEqual([
        [AuditAction.ORDERS_VIEWED, grace.user.id, formatOrderNumber(g1.number)],
      ]);
      // Someone else's id does not find it.
      const other = await bed.signUp();
      expect((await bed.platform.audit.list(bed.ctx(), { subjectId: other.user.id })).nodes).toEqual([]);

      // Her history kept again: the same request reading an order in it names her in the same entry.
      await grace.ctx.transaction((tx) => bed.users.users.updateProfile(tx, { keepOrderHistory: true }));
      const g2 = await bed.place(grace.ctx, requestFor(GRACE, ["HON-CARE"]));
      await bed.services.orderQueries.view(staff.ctx, g2.id, request);
      expect(await entries()).toEqual([
        {
          actorId: staff.user.id,
          action: AuditAction.ORDERS_VIEWED,
          subjectId: grace.user.id,
          detail: [g1, g2].map((o) => formatOrderNumber(o.number)).join(", "),
        },
      ]);
    });

    it("records staff assigning and cancelling as reading the order", async () => {
      const ada = await bed.signUp();
      const order = await bed.place(ada.ctx, requestFor(ADA, ["HON-PRO"]));
      const staff = await staffMember();
      const { partner } = await bed.partner();
      await bed.services.orderLifecycle.assign(staff.ctx, order.id, partner.id);
      await bed.services.orderLifecycle.cancel(staff.ctx, order.id);
      expect((await entries()).filter((e) => e.action === AuditAction.ORDERS_VIEWED)).toEqual([
        {
          actorId: staff.user.id,
          action: "ORDERS_VIEWED",
          subjectId: ada.user.id,
          detail: formatOrderNumber(order.number),
        },
        {
          actorId: staff.user.id,
          action: "ORDERS_VIEWED",
          subjectId: ada.user.id,
          detail: formatOrderNumber(order.number),
        },
      ]);
    });

    it("records partner keys issued and revoked, naming the key by id and prefix, never the secret", async () => {
      const admin = await staffMember(Role.ADMIN);
      const partner = await admin.ctx.transaction((tx) =>
        bed.services.partners.create(tx, { name: "Keyed", contactEmail: "keys@partner.example" }),
      );
      const key = await admin.ctx.transaction((tx) => bed.services.partners.issueApiKey(tx, partner.id));
      await admin.ctx.transaction((tx) => bed.services.partners.revokeApiKey(tx, key.id));
      await admin.ctx.transaction((tx) => bed.services.partners.revokeApiKey(tx, key.id));
      expect(await entries()).toEqual([
        {
          actorId: admin.user.id,
          action: AuditAction.PARTNER_KEY_ISSUED,
          subjectId: partner.id,
          detail: `API key ${key.id} ${key.prefix}`,
        },
        {
          actorId: admin.user.id,
          action: AuditAction.PARTNER_KEY_REVOKED,
          subjectId: partner.id,
          detail: `API key ${key.id} ${key.prefix}`,
        },
      ]);
      expect(JSON.stringify(await bed.ctx().manager.find(AuditEntryEntity, {}))).not.toContain(key.secret.slice(17));
    });

    it("records nothing when issuing a key fails", async () => {
      const admin = await staffMember(Role.ADMIN);
      await expect(
        admin.ctx.transaction((tx) => bed.services.partners.issueApiKey(tx, "0190a000-0000-7000-8000-000000000001")),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
      expect(await entries()).toEqual([]);
    });
  });
});
