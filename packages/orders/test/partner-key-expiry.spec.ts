import { DAY_MS, ErrorCode, HOUR_MS, RequestContext, Role } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { ordersJobs, ORDERS_JOBS } from "../src/orders.job";
import { OrdersErrorCode, type OrdersException } from "../src/orders.exception";
import { PartnerApiKeyEntity } from "../src/partner/partner-api-key.entity";
import { WebhookDeliveryEntity } from "../src/webhook/webhook-delivery.entity";
import { WebhookEventType } from "../src/webhook/webhook-endpoint.entity";
import { failure, openOrdersTestBed, type OrdersTestBed } from "./orders-test-bed";

describe.each(testDatabaseKinds())("partner API key expiry on %s", (kind) => {
  let bed: OrdersTestBed;
  let admin: Awaited<ReturnType<OrdersTestBed["signUp"]>>;
  beforeAll(async () => {
    bed = await openOrdersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(async () => {
    for (const table of ["webhook_delivery", "webhook_endpoint"]) {
      await bed.db.dataSource.query(`DELETE FROM ${bed.db.dataSource.driver.escape(table)}`);
    }
    await bed.reset();
    admin = await bed.signUp(Role.ADMIN);
  });

  const later = (ms: number) => new Date(bed.clock.now().getTime() + ms);

  /** The worker's hourly job, run as the worker runs it. */
  async function runNoticeJob(): Promise<void> {
    const job = ordersJobs(bed.services).jobs.find((j) => j.name === ORDERS_JOBS.noticeExpiringApiKeys)!;
    const ctx = new RequestContext(bed.db.dataSource, { kind: "system", name: "test" }, bed.clock);
    await job.handle(ctx, {}, undefined as never);
  }

  const expiringDeliveries = async () =>
    (await bed.ctx().manager.find(WebhookDeliveryEntity, { order: { id: "ASC" } }))
      .filter((d) => d.eventType === WebhookEventType.KEY_EXPIRING)
      .map((d) => JSON.parse(d.payload) as { type: string; data: Record<string, unknown> });

  it("works until its expiry, then answers UNAUTHENTICATED with reason API_KEY_EXPIRED", async () => {
    const { partner } = await bed.partner();
    const expiresAt = later(30 * DAY_MS);
    const key = await bed.services.partners.issueApiKey(admin.ctx, partner.id, { expiresAt });
    expect(key.expiresAt).toEqual(expiresAt);
    expect((await bed.ctx().manager.findOneByOrFail(PartnerApiKeyEntity, { id: key.id })).expiresAt).toEqual(expiresAt);

    bed.clock.advance(30 * DAY_MS - 1);
    expect(await bed.services.partners.resolveApiKey(bed.ctx(), key.secret)).toMatchObject({ apiKeyId: key.id });
    bed.clock.advance(1);
    const expired = (await failure(bed.services.partners.resolveApiKey(bed.ctx(), key.secret))) as OrdersException;
    expect(expired.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(expired.extra).toEqual({ reason: OrdersErrorCode.API_KEY_EXPIRED, expiredAt: expiresAt.toISOString() });
    expect(bed.securityEvents.at(-1)).toMatchObject({
      kind: "PARTNER_KEY_REJECTED",
      partnerId: partner.id,
      detail: `API key ${key.prefix} (expired)`,
    });
    // A wrong secret with the expired key's prefix learns nothing of the expiry.
    const guessed = (await failure(
      bed.services.partners.resolveApiKey(bed.ctx(), `${key.prefix}_${"A".repeat(43)}`),
    )) as OrdersException;
    expect(guessed.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(guessed.extra).toEqual({});
  });

  it("refuses an expiry in the past or more than 2 years ahead with BAD_USER_INPUT", async () => {
    const { partner, key } = await bed.partner();
    for (const expiresAt of [later(-1), bed.clock.now(), later(800 * DAY_MS), new Date(Number.NaN)]) {
      const error = await failure(bed.services.partners.issueApiKey(admin.ctx, partner.id, { expiresAt }));
      expect([error.code, error.fields?.map((f) => f.field)]).toEqual([ErrorCode.BAD_USER_INPUT, ["expiresAt"]]);
      const rotated = await failure(bed.services.partners.rotateApiKey(admin.ctx, key.id, expiresAt));
      expect(rotated.code).toBe(ErrorCode.BAD_USER_INPUT);
    }
    expect(await bed.ctx().manager.countBy(PartnerApiKeyEntity, { partnerId: partner.id })).toBe(1);
  });

  it("queues key.expiring once, 14 days before expiry, and none for keys without one or revoked", async () => {
    const { partner } = await bed.partner();
    const other = await bed.partner();
    await bed.services.webhooks.createEndpoint(admin.ctx, {
      partnerId: partner.id,
      url: "https://partner.example/hooks",
      eventTypes: [WebhookEventType.KEY_EXPIRING],
    });
    const expiresAt = later(20 * DAY_MS);
    const key = await bed.services.partners.issueApiKey(admin.ctx, partner.id, { expiresAt });
    const revoked = await bed.services.partners.issueApiKey(admin.ctx, partner.id, { expiresAt });
    await bed.services.partners.revokeApiKey(admin.ctx, revoked.id);
    await bed.services.partners.issueApiKey(admin.ctx, other.partner.id, { expiresAt });

    await runNoticeJob();
    bed.clock.advance(6 * DAY_MS - HOUR_MS); // 14 days and an hour before expiry
    await runNoticeJob();
    expect(await expiringDeliveries()).toEqual([]);

    bed.clock.advance(HOUR_MS);
    await runNoticeJob();
    await runNoticeJob();
    bed.clock.advance(13 * DAY_MS);
    await runNoticeJob();
    expect(await expiringDeliveries()).toEqual([
      {
        type: "key.expiring",
        timestamp: later(-13 * DAY_MS).toISOString(),
        data: { apiKeyId: key.id, prefix: key.prefix, expiresAt: expiresAt.toISOString() },
      },
    ]);
    // The other partner's key is marked as noticed too, though it has no endpoint to hear it.
    const keys = await bed.ctx().manager.find(PartnerApiKeyEntity);
    const noticed = keys.filter((k) => k.expiryNoticeAt !== null);
    expect(noticed.map((k) => k.id).sort()).toEqual(
      [key.id, keys.find((k) => k.partnerId === other.partner.id && k.expiresAt)!.id].sort(),
    );
    expect(new Set(noticed.map((k) => k.expiryNoticeAt!.toISOString()))).toEqual(
      new Set([later(-13 * DAY_MS).toISOString()]),
    );
    expect(keys.find((k) => k.id === revoked.id)!.expiryNoticeAt).toBeNull();
  });

  it("rotates a key: the new one works at once, the old one for 24 more hours, with no expiry notice", async () => {
    const { partner, key: old } = await bed.partner();
    await bed.services.webhooks.createEndpoint(admin.ctx, {
      partnerId: partner.id,
      url: "https://partner.example/hooks",
      eventTypes: [WebhookEventType.KEY_EXPIRING],
    });
    const expiresAt = later(365 * DAY_MS);
    const fresh = await bed.services.partners.rotateApiKey(admin.ctx, old.id, expiresAt);
    expect(fresh).toMatchObject({ partnerId: partner.id, expiresAt });
    expect(fresh.prefix).not.toBe(old.prefix);
    expect(await bed.services.partners.resolveApiKey(bed.ctx(), fresh.secret)).toMatchObject({ apiKeyId: fresh.id });
    await runNoticeJob();
    expect(await expiringDeliveries()).toEqual([]);

    bed.clock.advance(DAY_MS - 1);
    expect(await bed.services.partners.resolveApiKey(bed.ctx(), old.secret)).toMatchObject({ apiKeyId: old.id });
    bed.clock.advance(1);
    const error = (await failure(bed.services.partners.resolveApiKey(bed.ctx(), old.secret))) as OrdersException;
    expect(error.extra.reason).toBe(OrdersErrorCode.API_KEY_EXPIRED);
    expect(await bed.services.partners.resolveApiKey(bed.ctx(), fresh.secret)).toMatchObject({ apiKeyId: fresh.id });

    // An expired or revoked key cannot be rotated; an unknown one is NOT_FOUND.
    expect((await failure(bed.services.partners.rotateApiKey(admin.ctx, old.id, null))).code).toBe(
      ErrorCode.BAD_USER_INPUT,
    );
    await bed.services.partners.revokeApiKey(admin.ctx, fresh.id);
    expect((await failure(bed.services.partners.rotateApiKey(admin.ctx, fresh.id, null))).code).toBe(
      ErrorCode.BAD_USER_INPUT,
    );
    expect(
      (await failure(bed.services.partners.rotateApiKey(admin.ctx, "00000000-0000-7000-8000-000000000000", null))).code,
    ).toBe(ErrorCode.NOT_FOUND);
  });
});
