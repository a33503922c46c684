import { ErrorCode, isMysql, JobEntity, TRANSACTIONAL_MAIL_JOB, type TransactionalMailPayload } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { SavedPaymentMethodEntity } from "../src/billing/saved-payment-method.entity";
import { formerOwnerHash } from "../src/order/former-owner";
import { OrderLineEntity } from "../src/order/order-line.entity";
import { formatOrderNumber } from "../src/order/order-number.service";
import { OrderStatus } from "../src/order/order-state";
import { OrderEntity } from "../src/order/order.entity";
import { CardBrand } from "../src/payment/card";
import { type ProductEntity, ProductKind } from "../src/product/product.entity";
import {
  AMEX,
  CARD,
  DECLINED,
  cardDataHits,
  everyStoredValue,
  failure,
  openOrdersTestBed,
  type OrdersTestBed,
} from "./orders-test-bed";

const CONTACT = {
  name: "Ada Lovelace",
  email: "ada@example.com",
  address: { line1: "12 St James's Square", city: "London", postcode: "SW1Y 4JH", country: "GB" },
};

describe.each(testDatabaseKinds())("placing orders on %s", (kind) => {
  let bed: OrdersTestBed;
  let pro: ProductEntity;
  let support: ProductEntity;
  beforeAll(async () => {
    bed = await openOrdersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(async () => {
    await bed.reset();
    pro = await bed.product({ sku: "HON-PRO", priceMinor: 4999, kind: ProductKind.LICENCE });
    support = await bed.product({ sku: "HON-CARE", priceMinor: 1500, kind: ProductKind.SERVICE });
  });

  const countOrders = () => bed.ctx().manager.count(OrderEntity);

  it("prices every line from the catalogue and keeps only the card's token, brand, last four and expiry", async () => {
    const { ctx, user } = await bed.signUp();

    const order = await bed.place(
      ctx,
      bed.request([], {
        lines: [
          { sku: "hon-pro", quantity: 3 },
          { sku: "HON-CARE", quantity: 1 },
        ],
      }),
    );

    expect(order).toMatchObject({
      status: OrderStatus.PAID,
      userId: user.id,
      totalMinor: 3 * 4999 + 1500,
      currency: "GBP",
      paymentProvider: "local",
      paymentToken: expect.stringMatching(/^pm_local_/),
      cardBrand: CardBrand.VISA,
      cardLast4: "4176",
      cardExpiryMonth: 12,
      cardExpiryYear: 2030,
      contactEmail: "ada@example.com",
      addressCountry: "GB",
    });
    const lines = await bed
      .ctx()
      .manager.find(OrderLineEntity, { where: { orderId: order.id }, order: { position: "ASC" } });
    expect(
      lines.map(({ sku, quantity, unitPriceMinor, totalMinor }) => ({ sku, quantity, unitPriceMinor, totalMinor })),
    ).toEqual([
      { sku: "HON-PRO", quantity: 3, unitPriceMinor: 4999, totalMinor: 14997 },
      { sku: "HON-CARE", quantity: 1, unitPriceMinor: 1500, totalMinor: 1500 },
    ]);
    expect(bed.provider.charges).toBe(1);
  });

  it("keeps the price an order was placed at when the catalogue changes later", async () => {
    const order = await bed.place(bed.ctx(), bed.request(["HON-PRO"]));
    await bed.services.catalogue.update(bed.ctx(), pro.id, { priceMinor: 1, name: "Renamed" });

    const [line] = await bed.services.orderQueries.linesOf(bed.ctx(), [order.id]);
    expect(line).toMatchObject({ name: pro.name, unitPriceMinor: 4999 });
  });

  it("hands out readable, increasing order numbers", async () => {
    const first = await bed.place(bed.ctx(), bed.request(["HON-PRO"]));
    const second = await bed.place(bed.ctx(), bed.request(["HON-PRO"]));
    expect(second.number).toBeGreaterThan(first.number);
  });

  it("queues a confirmation to the contact with the order's number, lines and total, and no card data", async () => {
    const order = await bed.place(bed.ctx(), bed.request(["HON-CARE"]));

    const jobs = await bed.ctx().manager.findBy(JobEntity, { name: TRANSACTIONAL_MAIL_JOB });
    expect(jobs).toHaveLength(1);
    const mail = jobs[0]!.payload as unknown as TransactionalMailPayload;
    expect(mail).toMatchObject({ kind: "ORDER_CONFIRMATION", to: { address: order.contactEmail } });
    expect(mail.subject).toContain(formatOrderNumber(order.number));
    expect(mail.text).toContain("£15.00");
    expect(mail.text).not.toContain(order.cardLast4 ?? "no last four");
  });

  it("takes guest orders, linked to no account", async () => {
    const order = await bed.place(bed.ctx(), bed.request(["HON-CARE"]));
    expect(order).toMatchObject({ userId: null, status: OrderStatus.PAID, totalMinor: 1500 });
  });

  it("refuses a declined card with PAYMENT_DECLINED and leaves no order behind", async () => {
    const error = await failure(
      bed.place(
        bed.ctx(),
        bed.request(["HON-PRO"], {
          payment: {
            cardNumber: DECLINED.number,
            expiryMonth: 1,
            expiryYear: 2031,
            cvc: DECLINED.cvc,
            cardholderName: "X",
          },
        }),
      ),
    );

    expect(error.code).toBe(ErrorCode.PAYMENT_DECLINED);
    expect(error.message).not.toContain(DECLINED.number);
    expect(await countOrders()).toBe(0);
    expect(await bed.ctx().manager.count(OrderLineEntity)).toBe(0);
    expect(await bed.ctx().manager.countBy(JobEntity, { name: TRANSACTIONAL_MAIL_JOB })).toBe(0);
  });

  it.each([
    ["an unknown SKU", { lines: [{ sku: "NOPE", quantity: 1 }] }, "input.lines.0.sku"],
    ["quantity 0", { lines: [{ sku: "HON-PRO", quantity: 0 }] }, "input.lines.0.quantity"],
    ["quantity 10 000", { lines: [{ sku: "HON-PRO", quantity: 10_000 }] }, "input.lines.0.quantity"],
    ["51 lines", { lines: Array.from({ length: 51 }, () => ({ sku: "HON-PRO", quantity: 1 })) }, "input.lines"],
    ["a 10 000-character name", { contact: { ...CONTACT, name: "x".repeat(10_000) } }, "input.contact.name"],
    ["a missing email", { contact: { ...CONTACT, email: undefined } }, "input.contact.email"],
  ])("refuses %s with BAD_USER_INPUT naming the field, storing nothing", async (_what, change, field) => {
    const error = await failure(bed.place(bed.ctx(), { ...bed.request(["HON-PRO"]), ...(change as object) }));

    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields?.map((f) => f.field)).toEqual([field]);
    expect(await countOrders()).toBe(0);
    expect(bed.provider.charges).toBe(0);
  });

  it("refuses a product that is off sale", async () => {
    await bed.services.catalogue.update(bed.ctx(), support.id, { active: false });
    const error = await failure(bed.place(bed.ctx(), bed.request(["HON-PRO", "HON-CARE"])));
    expect(error.fields?.map((f) => f.field)).toEqual(["input.lines.1.sku"]);
  });

  it("refuses partners: orders are placed by customers", async () => {
    const { ctx } = await bed.partner();
    expect((await failure(bed.place(ctx, bed.request(["HON-PRO"])))).code).toBe(ErrorCode.FORBIDDEN);
  });

  describe("idempotency", () => {
    it("returns the first order for the same key and never charges twice", async () => {
      const { ctx } = await bed.signUp();
      const request = bed.request(["HON-PRO"], { idempotencyKey: "checkout-7f3a" });

      const first = await bed.place(ctx, request);
      const second = await bed.place(ctx, request);

      expect(second.id).toBe(first.id);
      expect(await countOrders()).toBe(1);
      expect(bed.provider.charges).toBe(1);
    });

    it("refuses the key with CONFLICT when it comes with a different order", async () => {
      const { ctx } = await bed.signUp();
      await bed.place(ctx, bed.request(["HON-PRO"], { idempotencyKey: "k1" }));

      const error = await failure(bed.place(ctx, bed.request(["HON-CARE"], { idempotencyKey: "k1" })));

      expect(error.code).toBe(ErrorCode.CONFLICT);
      expect(error.fields?.map((f) => f.field)).toEqual(["input.idempotencyKey"]);
    });

    it("scopes keys to the buyer: another buyer's key makes another order", async () => {
      const a = await bed.signUp();
      const b = await bed.signUp();
      const request = bed.request(["HON-PRO"], { idempotencyKey: "same" });

      const first = await bed.place(a.ctx, request);
      const second = await bed.place(b.ctx, request);

      expect(second.id).not.toBe(first.id);
    });

    it("lets a declined attempt's key be used again", async () => {
      const declined = bed.request(["HON-PRO"], {
        idempotencyKey: "retry-me",
        payment: { cardNumber: DECLINED.number, expiryMonth: 1, expiryYear: 2031, cvc: "123", cardholderName: "X" },
      });
      expect((await failure(bed.place(bed.ctx(), declined))).code).toBe(ErrorCode.PAYMENT_DECLINED);

      const order = await bed.place(bed.ctx(), bed.request(["HON-PRO"], { idempotencyKey: "retry-me" }));
      expect(order.status).toBe(OrderStatus.PAID);
    });

    (kind === "mysql" ? it : it.skip)("makes one order from concurrent requests with one key", async () => {
      const { ctx } = await bed.signUp();
      const request = bed.request(["HON-PRO", "HON-CARE"], { idempotencyKey: "double-click" });

      const orders = await Promise.all(Array.from({ length: 5 }, () => bed.place(ctx, request)));

      expect(new Set(orders.map((o) => o.id)).size).toBe(1);
      expect(await countOrders()).toBe(1);
      expect(bed.provider.charges).toBe(1);
      expect(isMysql(bed.db.dataSource)).toBe(true);
    });
  });

  describe("saved billing and the profile switches", () => {
    it("saves the card on the profile when asked, and pays with it next time", async () => {
      const { ctx, user } = await bed.signUp();
      await bed.place(ctx, bed.request(["HON-PRO"], { saveBillingDetails: true }));
      const [saved] = await bed.services.billing.listFor(bed.ctx(), [user.id]);
      expect(saved).toMatchObject({ brand: CardBrand.VISA, last4: "4176", expiryMonth: 12, expiryYear: 2030 });

      const again = await bed.place(ctx, bed.request(["HON-CARE"], { payment: { savedPaymentMethodId: saved!.id } }));

      expect(again).toMatchObject({ status: OrderStatus.PAID, cardLast4: "4176", paymentToken: saved!.token });
      expect(bed.provider.charges).toBe(2);
    });

    it("saves the same card once however often it is saved", async () => {
      const { ctx, user } = await bed.signUp();
      await bed.place(ctx, bed.request(["HON-PRO"], { saveBillingDetails: true }));
      await bed.place(ctx, bed.request(["HON-PRO"], { saveBillingDetails: true }));
      expect(await bed.services.billing.listFor(bed.ctx(), [user.id])).toHaveLength(1);
    });

    it("does not save a card unless asked", async () => {
      const { ctx, user } = await bed.signUp();
      await bed.place(ctx, bed.request(["HON-PRO"]));
      expect(await bed.services.billing.listFor(bed.ctx(), [user.id])).toEqual([]);
    });

    it("refuses another buyer's saved card as if it did not exist", async () => {
      const a = await bed.signUp();
      const b = await bed.signUp();
      await bed.place(a.ctx, bed.request(["HON-PRO"], { saveBillingDetails: true }));
      const [saved] = await bed.services.billing.listFor(bed.ctx(), [a.user.id]);

      const error = await failure(
        bed.place(b.ctx, bed.request(["HON-PRO"], { payment: { savedPaymentMethodId: saved!.id } })),
      );

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field)).toEqual(["input.payment.savedPaymentMethodId"]);
    });

    it("refuses a saved card once it has expired", async () => {
      const { ctx, user } = await bed.signUp();
      await bed.place(ctx, bed.request(["HON-PRO"], { saveBillingDetails: true }));
      const [saved] = await bed.services.billing.listFor(bed.ctx(), [user.id]);
      bed.clock.set("2031-01-01T00:00:00Z");

      const error = await failure(
        bed.place(ctx, bed.request(["HON-PRO"], { payment: { savedPaymentMethodId: saved!.id } })),
      );

      expect(error.fields?.map((f) => f.message)).toEqual(["the saved card has expired"]);
      expect(await bed.services.billing.deleteExpired(bed.ctx())).toBe(1);
    });

    it("deletes saved cards at once when the profile stops keeping billing details, and saves none after", async () => {
      const { ctx, user } = await bed.signUp();
      await bed.place(ctx, bed.request(["HON-PRO"], { saveBillingDetails: true }));

      await bed.users.users.updateProfile(ctx, { keepBillingDetails: false });
      expect(await bed.ctx().manager.countBy(SavedPaymentMethodEntity, { userId: user.id })).toBe(0);

      await bed.place(ctx, bed.request(["HON-PRO"], { saveBillingDetails: true }));
      expect(await bed.ctx().manager.countBy(SavedPaymentMethodEntity, { userId: user.id })).toBe(0);
    });

    it("detaches past orders when the profile stops keeping order history, and links no new ones", async () => {
      const { ctx, user } = await bed.signUp();
      const past = await bed.place(ctx, bed.request(["HON-PRO"]));
      expect((await bed.services.orderQueries.listMine(ctx, {})).nodes.map((o) => o.id)).toEqual([past.id]);

      await bed.users.users.updateProfile(ctx, { keepOrderHistory: false });
      const next = await bed.place(ctx, bed.request(["HON-CARE"]));

      expect((await bed.services.orderQueries.listMine(ctx, {})).nodes).toEqual([]);
      // Both orders are still there, for accounting and fulfilment, but belong to no account.
      const stored = await bed.ctx().manager.findBy(OrderEntity, {});
      expect(stored.map((o) => [o.id, o.userId]).sort()).toEqual(
        [
          [past.id, null],
          [next.id, null],
        ].sort(),
      );
      expect(user.id).toBeDefined();
    });

    it("drops saved cards and order history, and erases the contact, when the account is closed", async () => {
      const { ctx, user } = await bed.signUp();
      const order = await bed.place(ctx, bed.request(["HON-PRO"], { saveBillingDetails: true }));

      await bed.users.users.close(bed.ctx(), user.id);

      expect(await bed.ctx().manager.countBy(SavedPaymentMethodEntity, { userId: user.id })).toBe(0);
      const closed = await bed.ctx().manager.findOneByOrFail(OrderEntity, { id: order.id });
      expect(closed).toMatchObject({ userId: null, contactName: "(erased)", contactErasedAt: bed.clock.now() });
    });

    it("keeps a keyed hash of the buyer on orders outside their history, and only there", async () => {
      const { ctx, user } = await bed.signUp();
      const kept = await bed.place(ctx, bed.request(["HON-PRO"]));
      expect((await bed.ctx().manager.findOneByOrFail(OrderEntity, { id: kept.id })).formerOwnerHash).toBeNull();

      await bed.users.users.updateProfile(ctx, { keepOrderHistory: false });
      const later = await bed.place(ctx, bed.request(["HON-CARE"]));
      const hash = formerOwnerHash(bed.platform.config.secret, user.id);
      for (const id of [kept.id, later.id]) {
        expect(await bed.ctx().manager.findOneByOrFail(OrderEntity, { id })).toMatchObject({
          userId: null,
          formerOwnerHash: hash,
        });
      }
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).not.toContain(user.id.replace(/-/g, ""));
    });

    it("links orders again once the profile keeps history again", async () => {
      const { ctx } = await bed.signUp();
      await bed.users.users.updateProfile(ctx, { keepOrderHistory: false });
      await bed.users.users.updateProfile(ctx, { keepOrderHistory: true });
      const order = await bed.place(ctx, bed.request(["HON-PRO"]));
      expect((await bed.services.orderQueries.listMine(ctx, {})).nodes.map((o) => o.id)).toEqual([order.id]);
    });
  });

  it("never stores the card number or CVC, in any column of any table", async () => {
    const { ctx } = await bed.signUp();
    const amexRequest = bed.request(["HON-PRO"], {
      saveBillingDetails: true,
      payment: { cardNumber: AMEX.number, expiryMonth: 3, expiryYear: 2029, cvc: AMEX.cvc, cardholderName: "A L" },
    });
    await bed.place(ctx, bed.request(["HON-PRO", "HON-CARE"], { saveBillingDetails: true, idempotencyKey: "k" }));
    await bed.place(ctx, amexRequest);
    await bed.place(bed.ctx(), bed.request(["HON-CARE"]));
    await failure(bed.place(bed.ctx(), bed.request(["NOPE"])));
    await failure(
      bed.place(bed.ctx(), bed.request(["HON-PRO"], { payment: { ...amexRequest.payment, cvc: "12345" } })),
    );

    const values = await everyStoredValue(bed.db.dataSource);

    expect(values.length).toBeGreaterThan(50);
    expect(cardDataHits(values, CARD)).toEqual([]);
    expect(cardDataHits(values, AMEX)).toEqual([]);
    // The scan does find what it looks for.
    expect(cardDataHits([{ table: "t", column: "c", value: `x ${AMEX.cvc}` }], AMEX)).toEqual(["t.c"]);
    expect(cardDataHits([{ table: "t", column: "c", value: CARD.number }], CARD)).toEqual(["t.c"]);
  });
});
