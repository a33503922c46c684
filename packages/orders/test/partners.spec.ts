import { ErrorCode, Role, sha256, type RequestContext } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { LicenceEntity } from "../src/licence/licence.entity";
import { licenceControlCode } from "../src/licence/licence.service";
import { OrderStatus } from "../src/order/order-state";
import { type OrderEntity } from "../src/order/order.entity";
import { PartnerApiKeyEntity } from "../src/partner/partner-api-key.entity";
import { API_KEY_TOUCH_INTERVAL_MS } from "../src/partner/partner.service";
import { ProductKind } from "../src/product/product.entity";
import { failure, openOrdersTestBed, type OrdersTestBed } from "./orders-test-bed";

describe.each(testDatabaseKinds())("partners, keys and fulfilment on %s", (kind) => {
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

  describe("API keys", () => {
    it("shows the key once, stores only its SHA-256, and knows it by its prefix", async () => {
      const { partner, key } = await bed.partner();

      expect(key.secret).toMatch(/^hpk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      expect(key.secret.startsWith(`${key.prefix}_`)).toBe(true);
      const stored = await bed.ctx().manager.findOneByOrFail(PartnerApiKeyEntity, { id: key.id });
      expect(stored).toMatchObject({ partnerId: partner.id, prefix: key.prefix, secretHash: sha256(key.secret) });
      expect(JSON.stringify(await bed.db.dataSource.query("SELECT * FROM partner_api_key"))).not.toContain(key.secret);
    });

    it("turns a live key into its partner", async () => {
      const { partner, key } = await bed.partner();
      expect(await bed.services.partners.resolveApiKey(bed.ctx(), key.secret)).toEqual({
        kind: "partner",
        partnerId: partner.id,
        apiKeyId: key.id,
      });
    });

    it.each([
      ["a malformed key", (secret: string) => `${secret}x`],
      ["an unknown key with a known prefix", (secret: string) => `${secret.slice(0, -4)}AAAA`],
      ["an unknown prefix", () => `hpk_000000000000_${"A".repeat(43)}`],
      ["an empty key", () => ""],
    ])("answers UNAUTHENTICATED for %s", async (_what, make) => {
      const { key } = await bed.partner();
      const error = await failure(bed.services.partners.resolveApiKey(bed.ctx(), make(key.secret)));
      expect(error.code).toBe(ErrorCode.UNAUTHENTICATED);
    });

    it("stops a revoked key at once, and revoking again changes nothing", async () => {
      const { key } = await bed.partner();
      await bed.services.partners.revokeApiKey(bed.ctx(), key.id);
      await bed.services.partners.revokeApiKey(bed.ctx(), key.id);

      const error = await failure(bed.services.partners.resolveApiKey(bed.ctx(), key.secret));
      expect(error.code).toBe(ErrorCode.UNAUTHENTICATED);
    });

    it("stops every key of a partner that is made inactive, and starts them again", async () => {
      const { partner, key } = await bed.partner();
      await bed.services.partners.setActive(bed.ctx(), partner.id, false);
      expect((await failure(bed.services.partners.resolveApiKey(bed.ctx(), key.secret))).code).toBe(
        ErrorCode.UNAUTHENTICATED,
      );
      await bed.services.partners.setActive(bed.ctx(), partner.id, true);
      await expect(bed.services.partners.resolveApiKey(bed.ctx(), key.secret)).resolves.toMatchObject({
        kind: "partner",
      });
    });

    it("records a key's use at most once a minute", async () => {
      const { key } = await bed.partner();
      const lastUsed = async () =>
        (await bed.ctx().manager.findOneByOrFail(PartnerApiKeyEntity, { id: key.id })).lastUsedAt?.toISOString();
      const first = await lastUsed();
      expect(first).toBe(bed.clock.now().toISOString());

      bed.clock.advance(API_KEY_TOUCH_INTERVAL_MS - 1);
      await bed.services.partners.resolveApiKey(bed.ctx(), key.secret);
      expect(await lastUsed()).toBe(first);

      bed.clock.advance(1);
      await bed.services.partners.resolveApiKey(bed.ctx(), key.secret);
      expect(await lastUsed()).toBe(bed.clock.now().toISOString());
    });

    it("tells the security log about key use (as often as lastUsedAt moves) and staff changes to keys", async () => {
      const admin = await bed.signUp(Role.ADMIN);
      const { partner, key } = await bed.partner();
      await bed.services.partners.revokeApiKey(admin.ctx, key.id);

      // Only the partner's events: the accounts domain logs the role change of the set-up.
      expect(bed.securityEvents.filter((e) => e.partnerId === partner.id)).toEqual([
        { kind: "STAFF_ACTION", userId: undefined, partnerId: partner.id, detail: "created partner" },
        { kind: "STAFF_ACTION", userId: undefined, partnerId: partner.id, detail: `issued API key ${key.prefix}` },
        { kind: "PARTNER_KEY_USED", partnerId: partner.id, detail: `API key ${key.prefix}` },
        { kind: "STAFF_ACTION", userId: admin.user.id, partnerId: partner.id, detail: `revoked API key ${key.prefix}` },
      ]);
      expect(JSON.stringify(bed.securityEvents)).not.toContain(key.secret);
    });

    it("refuses NOT_FOUND for keys of unknown partners and unknown keys", async () => {
      const unknown = "0190a000-0000-7000-8000-000000000001";
      expect((await failure(bed.services.partners.issueApiKey(bed.ctx(), unknown))).code).toBe(ErrorCode.NOT_FOUND);
      expect((await failure(bed.services.partners.revokeApiKey(bed.ctx(), unknown))).code).toBe(ErrorCode.NOT_FOUND);
    });

    it("checks a new partner's name and email", async () => {
      const error = await failure(bed.services.partners.create(bed.ctx(), { name: " ", contactEmail: "nope" }));
      expect(error.fields?.map((f) => f.field)).toEqual(["input.name", "input.contactEmail"]);
    });
  });

  describe("assignment and fulfilment", () => {
    let staff: Awaited<ReturnType<OrdersTestBed["signUp"]>>;
    let order: OrderEntity;
    beforeEach(async () => {
      staff = await bed.signUp(Role.SUPPORT);
      const buyer = await bed.signUp();
      order = await bed.place(
        buyer.ctx,
        bed.request([], {
          lines: [
            { sku: "HON-PRO", quantity: 2 },
            { sku: "HON-CARE", quantity: 1 },
          ],
        }),
      );
    });

    const assign = (orderId: string, partnerId: string) =>
      bed.services.orderLifecycle.assign(staff.ctx, orderId, partnerId);
    const fulfil = (ctx: RequestContext, orderId: string) => bed.services.orderLifecycle.markFulfilled(ctx, orderId);

    it("assigns a paid order to a partner, which then sees it, and no other partner does", async () => {
      const a = await bed.partner();
      const b = await bed.partner();

      const assigned = await assign(order.id, a.partner.id);

      expect(assigned).toMatchObject({ status: OrderStatus.ASSIGNED, partnerId: a.partner.id });
      expect((await bed.services.orderQueries.listForPartner(a.ctx, {})).nodes.map((o) => o.id)).toEqual([order.id]);
      expect((await bed.services.orderQueries.listForPartner(b.ctx, {})).nodes).toEqual([]);
      expect((await failure(bed.services.orderQueries.findVisible(b.ctx, order.id))).code).toBe(ErrorCode.NOT_FOUND);
      expect(
        (await failure(bed.services.orderQueries.findVisible(b.ctx, "0190a000-0000-7000-8000-000000000001"))).code,
      ).toBe(ErrorCode.NOT_FOUND);
    });

    it("takes the order away from the first partner when it is reassigned", async () => {
      const a = await bed.partner();
      const b = await bed.partner();
      await assign(order.id, a.partner.id);

      await assign(order.id, b.partner.id);

      expect((await failure(bed.services.orderQueries.findVisible(a.ctx, order.id))).code).toBe(ErrorCode.NOT_FOUND);
      expect((await failure(fulfil(a.ctx, order.id))).code).toBe(ErrorCode.NOT_FOUND);
      expect((await bed.services.orderQueries.findVisible(b.ctx, order.id)).partnerId).toBe(b.partner.id);
    });

    it("refuses an inactive partner and an unknown one", async () => {
      const a = await bed.partner();
      await bed.services.partners.setActive(bed.ctx(), a.partner.id, false);
      expect((await failure(assign(order.id, a.partner.id))).code).toBe(ErrorCode.BAD_USER_INPUT);
      expect((await failure(assign(order.id, "0190a000-0000-7000-8000-000000000001"))).code).toBe(ErrorCode.NOT_FOUND);
    });

    it("issues one licence per unit of each LICENCE line on fulfilment", async () => {
      const a = await bed.partner();
      await assign(order.id, a.partner.id);

      const fulfilled = await fulfil(a.ctx, order.id);

      expect(fulfilled.status).toBe(OrderStatus.FULFILLED);
      const licences = await bed.ctx().manager.findBy(LicenceEntity, { orderId: order.id });
      expect(licences).toHaveLength(2);
      for (const licence of licences) {
        expect(licence.sku).toBe("HON-PRO");
        expect(licence.controlCode).toBe(licenceControlCode(bed.platform.config.secret, licence.serial));
      }
    });

    it("answers a second fulfilment with the order unchanged, and issues no more licences", async () => {
      const a = await bed.partner();
      await assign(order.id, a.partner.id);
      await fulfil(a.ctx, order.id);

      const again = await fulfil(a.ctx, order.id);

      expect(again.status).toBe(OrderStatus.FULFILLED);
      expect(await bed.ctx().manager.countBy(LicenceEntity, { orderId: order.id })).toBe(2);
    });

    it("refuses to fulfil an order that is not assigned to anyone, as if it did not exist", async () => {
      const a = await bed.partner();
      expect((await failure(fulfil(a.ctx, order.id))).code).toBe(ErrorCode.NOT_FOUND);
    });

    it("refuses moves the state machine does not allow with CONFLICT", async () => {
      const a = await bed.partner();
      await assign(order.id, a.partner.id);
      await fulfil(a.ctx, order.id);

      expect((await failure(assign(order.id, a.partner.id))).code).toBe(ErrorCode.CONFLICT);
      expect((await failure(bed.services.orderLifecycle.cancel(staff.ctx, order.id))).code).toBe(ErrorCode.CONFLICT);
    });

    it("cancels and refunds an order before fulfilment; it can then be neither assigned nor fulfilled", async () => {
      const a = await bed.partner();
      await assign(order.id, a.partner.id);

      const cancelled = await bed.services.orderLifecycle.cancel(staff.ctx, order.id);

      expect(cancelled.status).toBe(OrderStatus.CANCELLED);
      expect(bed.provider.refunds).toBe(1);
      expect((await failure(fulfil(a.ctx, order.id))).code).toBe(ErrorCode.CONFLICT);
      expect((await failure(assign(order.id, a.partner.id))).code).toBe(ErrorCode.CONFLICT);
    });

    it("refunds once when the first of two concurrent cancels loses the provider's answer", async () => {
      // The refund is made, its answer lost: that cancellation rolls back, and the second one,
      // which waited for it, cancels the order and asks again with the order's refund key.
      bed.provider.loseNextRefundAnswer = true;
      const outcomes = await Promise.allSettled([
        bed.services.orderLifecycle.cancel(staff.ctx, order.id),
        bed.services.orderLifecycle.cancel(staff.ctx, order.id),
      ]);

      expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
      expect((await bed.services.orderQueries.findVisible(staff.ctx, order.id)).status).toBe(OrderStatus.CANCELLED);
      expect({ asked: bed.provider.refunds, refunded: bed.provider.inner.refunded }).toEqual({ asked: 2, refunded: 1 });
    });

    it("refunds once when a cancel is retried after its refund's answer was lost", async () => {
      bed.provider.loseNextRefundAnswer = true;
      const cancel = () => bed.services.orderLifecycle.cancel(staff.ctx, order.id);
      await expect(cancel()).rejects.toBeInstanceOf(Error);
      expect((await bed.services.orderQueries.findVisible(staff.ctx, order.id)).status).toBe(OrderStatus.PAID);

      expect((await cancel()).status).toBe(OrderStatus.CANCELLED);
      // A double click after it: CONFLICT, and no refund asked for.
      expect((await failure(cancel())).code).toBe(ErrorCode.CONFLICT);
      expect({ asked: bed.provider.refunds, refunded: bed.provider.inner.refunded }).toEqual({ asked: 2, refunded: 1 });
    });

    it("lets only one of two concurrent moves win", async () => {
      const a = await bed.partner();
      await assign(order.id, a.partner.id);

      const outcomes = await Promise.allSettled([
        fulfil(a.ctx, order.id),
        bed.services.orderLifecycle.cancel(staff.ctx, order.id),
      ]);

      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      const rejected = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
      expect((rejected.reason as { code: string }).code).toBe(ErrorCode.CONFLICT);
      const stored = await bed.services.orderQueries.findVisible(staff.ctx, order.id);
      const licences = await bed.ctx().manager.countBy(LicenceEntity, { orderId: order.id });
      expect({ licences, refunds: bed.provider.refunds }).toEqual(
        stored.status === OrderStatus.FULFILLED ? { licences: 2, refunds: 0 } : { licences: 0, refunds: 1 },
      );
    });

    it("lists orders for staff by status", async () => {
      const page = await bed.services.orderQueries.listAll(staff.ctx, { status: OrderStatus.PAID });
      expect(page.nodes.map((o) => o.id)).toEqual([order.id]);
      expect((await bed.services.orderQueries.listAll(staff.ctx, { status: OrderStatus.FULFILLED })).nodes).toEqual([]);
    });
  });
});
