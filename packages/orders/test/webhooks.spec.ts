import {
  ErrorCode,
  JobEntity,
  RequestContext,
  Role,
  silentLogger,
  TRANSACTIONAL_MAIL_JOB,
  type TransactionalMailPayload,
} from "@honour/platform";
import { TEST_SECRET, testDatabaseKinds } from "@honour/testing";
import { Webhook } from "standardwebhooks";
import { OrderStatus } from "../src/order/order-state";
import type { OrderEntity } from "../src/order/order.entity";
import { ProductKind } from "../src/product/product.entity";
import { WebhookDeliveryEntity, WebhookDeliveryStatus, webhookMessageId } from "../src/webhook/webhook-delivery.entity";
import { WebhookEndpointEntity, WebhookEventType } from "../src/webhook/webhook-endpoint.entity";
import { WebhookSecretBox } from "../src/webhook/webhook-secret";
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from "../src/webhook/webhook-settings";
import { webhookJobs } from "../src/webhook/webhook.job";
import { DELIVER_WEBHOOK_JOB, WebhookService } from "../src/webhook/webhook.service";
import { failure, openOrdersTestBed, type OrdersTestBed } from "./orders-test-bed";
import { WebhookReceiver, type ReceivedWebhook } from "./webhook-receiver";

const MINUTE = 60_000;

describe.each(testDatabaseKinds())("partner webhooks on %s", (kind) => {
  let bed: OrdersTestBed;
  let receiver: WebhookReceiver;
  /** Delivers to the receiver on 127.0.0.1 (WEBHOOK_ALLOW_PRIVATE=true), with short timings. */
  let webhooks: WebhookService;
  let staff: Awaited<ReturnType<OrdersTestBed["signUp"]>>;
  let admin: Awaited<ReturnType<OrdersTestBed["signUp"]>>;

  const settings: WebhookSettings = {
    ...DEFAULT_WEBHOOK_SETTINGS,
    allowPrivate: true,
    timeoutMs: 400,
    backoffBaseMs: MINUTE,
    retryForMs: 3 * 24 * 60 * MINUTE,
    disableAfterMs: 3 * 24 * 60 * MINUTE,
  };
  const service = (overrides: Partial<WebhookSettings> = {}) =>
    new WebhookService(
      new WebhookSecretBox(TEST_SECRET),
      { ...settings, ...overrides },
      bed.platform.jobs,
      bed.platform.securityLog,
      silentLogger,
    );

  beforeAll(async () => {
    bed = await openOrdersTestBed(kind);
    receiver = await WebhookReceiver.start();
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await receiver?.close();
    await bed?.close();
  });
  beforeEach(async () => {
    for (const table of ["webhook_delivery", "webhook_endpoint"]) {
      await bed.db.dataSource.query(`DELETE FROM ${bed.db.dataSource.driver.escape(table)}`);
    }
    await bed.reset();
    receiver.reset();
    webhooks = service();
    await bed.product({ sku: "HON-PRO", priceMinor: 4999, kind: ProductKind.LICENCE });
    staff = await bed.signUp(Role.SUPPORT);
    admin = await bed.signUp(Role.ADMIN);
  });

  /** Runs every delivery job due now (by the bed's clock), as the worker would. Returns how many. */
  async function runDue(using: WebhookService = webhooks): Promise<number> {
    const [definition] = webhookJobs(using);
    let ran = 0;
    for (;;) {
      const job = await bed.platform.jobs.claim("test-worker", [DELIVER_WEBHOOK_JOB]);
      if (!job) return ran;
      const ctx = new RequestContext(bed.db.dataSource, { kind: "system", name: "test" }, bed.clock);
      await definition!.handle(ctx, job.payload, job);
      await bed.platform.jobs.complete(job.id, "test-worker");
      ran += 1;
    }
  }

  async function paidOrder(): Promise<OrderEntity> {
    const buyer = await bed.signUp();
    return bed.place(buyer.ctx, bed.request(["HON-PRO"]));
  }

  async function endpoint(partnerId: string, eventTypes = Object.values(WebhookEventType), url = receiver.url()) {
    return webhooks.createEndpoint(admin.ctx, { partnerId, url, eventTypes });
  }

  const deliveriesOf = (endpointId: string) =>
    bed.ctx().manager.find(WebhookDeliveryEntity, { where: { endpointId }, order: { id: "ASC" } });

  function verified(
    secret: string,
    hook: ReceivedWebhook,
  ): { type: string; timestamp: string; data: Record<string, unknown> } {
    // The receiver's clock is real; the bed's is fixed: verify as at the signing time.
    const headers = {
      "webhook-id": String(hook.headers["webhook-id"]),
      "webhook-timestamp": String(hook.headers["webhook-timestamp"]),
      "webhook-signature": String(hook.headers["webhook-signature"]),
    };
    jest.useFakeTimers({
      now: Number(headers["webhook-timestamp"]) * 1000,
      doNotFake: [
        "setTimeout",
        "setImmediate",
        "nextTick",
        "setInterval",
        "clearTimeout",
        "clearInterval",
        "queueMicrotask",
      ],
    });
    try {
      return new Webhook(secret).verify(hook.body, headers) as never;
    } finally {
      jest.useRealTimers();
    }
  }

  it("sends order.assigned, signed per Standard Webhooks, queued in the assignment's transaction", async () => {
    const { partner } = await bed.partner();
    const { endpoint: hook, secret } = await endpoint(partner.id);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const stored = await bed.ctx().manager.findOneByOrFail(WebhookEndpointEntity, { id: hook.id });
    expect(stored.secretSealed).not.toContain(secret.slice(6));
    const order = await paidOrder();

    await bed.services.orderLifecycle.assign(staff.ctx, order.id, partner.id);
    const [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({ eventType: "order.assigned", status: WebhookDeliveryStatus.PENDING, attempts: 0 });
    expect(receiver.received).toHaveLength(0);

    expect(await runDue()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const sent = receiver.received[0]!;
    expect(sent.headers["webhook-id"]).toBe(webhookMessageId(delivery!.id));
    expect(sent.headers["content-type"]).toBe("application/json");
    const body = verified(secret, sent);
    expect(body).toEqual({
      type: "order.assigned",
      timestamp: bed.clock.now().toISOString(),
      data: { orderId: order.id, orderNumber: expect.stringMatching(/^HON-\d{6}$/), status: OrderStatus.ASSIGNED },
    });
    // Ids only: the contact is fetched through the API, where each read is a disclosure.
    for (const personal of ["Ada", "ada@example.com", "7946", "Analytical", "SW1Y"])
      expect(sent.body).not.toContain(personal);
    // A signature by another secret is refused by the library.
    expect(() => verified(`whsec_${Buffer.alloc(24, 1).toString("base64")}`, sent)).toThrow();

    const [done] = await deliveriesOf(hook.id);
    expect(done).toMatchObject({ status: WebhookDeliveryStatus.SUCCEEDED, attempts: 1, httpStatus: 204, error: null });
    expect(done!.latencyMs).toBeGreaterThanOrEqual(0);
    const page = await webhooks.deliveries(admin.ctx, hook.id, { first: 10 });
    expect(page.nodes.map((d) => d.id)).toEqual([delivery!.id]);
    expect(await runDue()).toBe(0);
  });

  it("queues nothing when the change rolls back, nor for a partner without a subscribed endpoint", async () => {
    const { partner } = await bed.partner();
    const other = await bed.partner();
    const { endpoint: hook } = await endpoint(partner.id, [WebhookEventType.ORDER_CANCELLED]);
    const order = await paidOrder();
    await bed.services.orderLifecycle.assign(staff.ctx, order.id, partner.id);
    await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, other.partner.id);
    expect(await deliveriesOf(hook.id)).toEqual([]);

    const { endpoint: assigned } = await endpoint(partner.id, [WebhookEventType.ORDER_ASSIGNED]);
    const failed = await failure(
      bed.ctx().transaction(async (tx) => {
        await bed.services.orderLifecycle.assign(staff.ctx.withActor(staff.actor), (await paidOrder()).id, partner.id);
        await webhooks.publish(tx, partner.id, WebhookEventType.ORDER_ASSIGNED, { orderId: "x" });
        throw new Error("rolled back");
      }),
    ).catch((e: unknown) => e as never);
    expect(failed).toBeDefined();
    // Only the committed assignment above (made outside the failed transaction) left a delivery.
    expect((await deliveriesOf(assigned.id)).map((d) => JSON.parse(d.payload).data.orderId)).not.toContain("x");
  });

  it("retries after a 500 and a timeout with the same webhook-id and a fresh signature, with back-off", async () => {
    const { partner } = await bed.partner();
    const { endpoint: hook, secret } = await endpoint(partner.id);
    receiver.answers = [{ status: 500 }, "hang", { status: 200 }];
    await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);

    expect(await runDue()).toBe(1);
    let [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({
      status: WebhookDeliveryStatus.RETRYING,
      attempts: 1,
      httpStatus: 500,
      error: "HTTP 500",
    });
    const firstWait = delivery!.nextAttemptAt!.getTime() - bed.clock.now().getTime();
    expect(firstWait).toBeGreaterThanOrEqual(0.9 * MINUTE);
    expect(firstWait).toBeLessThanOrEqual(1.1 * MINUTE);
    expect(await runDue()).toBe(0); // not yet due

    bed.clock.advance(firstWait);
    expect(await runDue()).toBe(1);
    [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({ status: WebhookDeliveryStatus.RETRYING, attempts: 2, httpStatus: null });
    expect(delivery!.error).toMatch(/timed out after 400 ms/);
    const secondWait = delivery!.nextAttemptAt!.getTime() - bed.clock.now().getTime();
    expect(secondWait).toBeGreaterThanOrEqual(1.8 * MINUTE); // doubled

    bed.clock.advance(secondWait);
    expect(await runDue()).toBe(1);
    [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({
      status: WebhookDeliveryStatus.SUCCEEDED,
      attempts: 3,
      httpStatus: 200,
      error: null,
    });

    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"]))).toEqual(
      new Set([webhookMessageId(delivery!.id)]),
    );
    expect(new Set(receiver.received.map((r) => r.headers["webhook-timestamp"])).size).toBe(3);
    for (const hookCall of receiver.received) expect(verified(secret, hookCall).type).toBe("order.assigned");
  });

  it.each([
    ["shortest", 0],
    ["longest", 0.999],
  ])(
    "gives up after the retry period, and disables an endpoint failing that long, telling the partner's contact (%s back-off jitter)",
    async (_label, random) => {
      // The largest jitter puts the last attempt inside the window short of the disable period; the
      // smallest lets one more attempt reach it. Either way the endpoint ends disabled.
      jest.spyOn(Math, "random").mockReturnValue(random);
      const { partner } = await bed.partner();
      const { endpoint: hook } = await endpoint(partner.id);
      receiver.fallback = { status: 503 };
      await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);
      const order2 = await paidOrder();
      await bed.services.orderLifecycle.assign(staff.ctx, order2.id, partner.id);

      let attempts = 0;
      for (let i = 0; i < 40; i++) {
        attempts += await runDue();
        const current = await bed.ctx().manager.findOneByOrFail(WebhookEndpointEntity, { id: hook.id });
        if (!current.enabled) break;
        bed.clock.advance(6 * 60 * MINUTE);
      }
      const current = await bed.ctx().manager.findOneByOrFail(WebhookEndpointEntity, { id: hook.id });
      expect(current.enabled).toBe(false);
      expect(current.disabledReason).toMatch(/every attempt failed since/);
      const deliveries = await deliveriesOf(hook.id);
      expect(deliveries.map((d) => d.status).sort()).toEqual(
        expect.arrayContaining([expect.stringMatching(/^(FAILED|CANCELLED)$/)]),
      );
      expect(
        deliveries.every(
          (d) => d.status === WebhookDeliveryStatus.FAILED || d.status === WebhookDeliveryStatus.CANCELLED,
        ),
      ).toBe(true);
      // Nothing is attempted beyond three days after the event.
      for (const d of deliveries)
        expect(d.lastAttemptAt!.getTime() - d.createdAt.getTime()).toBeLessThanOrEqual(3 * 24 * 60 * MINUTE);
      expect(attempts).toBeGreaterThan(8);

      const mails = await bed.ctx().manager.findBy(JobEntity, { name: TRANSACTIONAL_MAIL_JOB });
      const disabled = mails
        .map((m) => m.payload as TransactionalMailPayload)
        .filter((m) => m.kind === "WEBHOOK_DISABLED");
      expect(disabled).toHaveLength(1);
      expect(disabled[0]!.to.address).toBe(partner.contactEmail);
      expect(disabled[0]!.text).toContain(hook.url);

      // Disabled: new events are not queued for it, and nothing more is sent.
      const before = receiver.received.length;
      await bed.services.orderLifecycle.cancel(staff.ctx, order2.id);
      bed.clock.advance(24 * 60 * MINUTE);
      expect(await runDue()).toBe(0);
      expect(receiver.received).toHaveLength(before);
    },
  );

  it("delivers nothing to an endpoint an administrator disabled, and cancels what waited", async () => {
    const { partner } = await bed.partner();
    const { endpoint: hook } = await endpoint(partner.id);
    await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);
    await webhooks.updateEndpoint(admin.ctx, hook.id, { enabled: false });
    await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);

    await runDue();
    expect(receiver.received).toHaveLength(0);
    const deliveries = await deliveriesOf(hook.id);
    expect(deliveries.map((d) => d.status)).toEqual([WebhookDeliveryStatus.CANCELLED]);

    await webhooks.updateEndpoint(admin.ctx, hook.id, { enabled: true });
    await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);
    await runDue();
    expect(receiver.received).toHaveLength(1);
  });

  it("sends order.cancelled (cancelled or reassigned), order.fulfilled and erasure.requested to the partner concerned", async () => {
    const a = await bed.partner();
    const b = await bed.partner();
    const { endpoint: hookA, secret: secretA } = await endpoint(a.partner.id);
    const { endpoint: hookB, secret: secretB } = await endpoint(b.partner.id);
    const first = await paidOrder();
    const second = await paidOrder();
    await bed.services.orderLifecycle.assign(staff.ctx, first.id, a.partner.id);
    await bed.services.orderLifecycle.assign(staff.ctx, first.id, b.partner.id); // reassigned
    await bed.services.orderLifecycle.markFulfilled(b.ctx, first.id);
    await bed.services.orderLifecycle.assign(staff.ctx, second.id, a.partner.id);
    await bed.services.orderLifecycle.cancel(staff.ctx, second.id);
    await bed
      .ctx()
      .transaction((tx) =>
        bed.services.erasureNotices.notify(
          tx,
          new Map([[a.partner.id, [first.number, second.number]]]),
          bed.clock.now(),
        ),
      );
    await runDue();

    const bodies = (secret: string, url: string) =>
      receiver.received
        .filter((r) => r.headers["webhook-id"] && r.body && url)
        .map((r) => {
          try {
            return verified(secret, r);
          } catch {
            return null;
          }
        })
        .filter(Boolean);
    const toA = bodies(secretA, hookA.url);
    const toB = bodies(secretB, hookB.url);
    // Webhooks are not ordered (each is retried on its own): compare what arrived, sorted.
    expect(toA.map((b) => `${b!.type} ${String(b!.data.reason ?? "")}`.trim()).sort()).toEqual([
      "erasure.requested",
      "order.assigned",
      "order.assigned",
      "order.cancelled CANCELLED",
      "order.cancelled REASSIGNED",
    ]);
    expect(toB.map((b) => b!.type).sort()).toEqual(["order.assigned", "order.fulfilled"]);
    const erasure = toA.find((b) => b!.type === "erasure.requested")!.data;
    expect(erasure).toEqual({
      noticeId: expect.any(String),
      orderNumbers: [first.number, second.number].sort((x, y) => x - y).map((n) => `HON-${String(n).padStart(6, "0")}`),
      erasedAt: bed.clock.now().toISOString(),
    });
  });

  describe("addresses (SSRF)", () => {
    it.each([
      "http://127.0.0.1/hooks",
      "http://localhost:8080/hooks",
      "http://api.localhost/hooks",
      "http://10.1.2.3/hooks",
      "http://172.16.0.1/hooks",
      "http://192.168.1.10/hooks",
      "http://169.254.169.254/latest/meta-data/",
      "http://metadata.google.internal/computeMetadata/v1/",
      "http://[::1]/hooks",
      "http://[fd00:ec2::254]/latest/meta-data/",
      "http://[fe80::1]/hooks",
      "http://[::ffff:127.0.0.1]/hooks",
      "http://[::ffff:a9fe:a9fe]/hooks",
      "http://0.0.0.0/hooks",
      "http://2130706433/hooks",
      "ftp://partner.example/hooks",
      "https://user:pw@partner.example/hooks",
      "not a url",
    ])("refuses %s as an endpoint URL with BAD_USER_INPUT", async (url) => {
      const strict = service({ allowPrivate: false });
      const { partner } = await bed.partner();
      const error = await failure(
        strict.createEndpoint(admin.ctx, { partnerId: partner.id, url, eventTypes: [WebhookEventType.ORDER_ASSIGNED] }),
      );
      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field)).toEqual(["input.url"]);
    });

    it("accepts a public https URL", async () => {
      const strict = service({ allowPrivate: false, requireHttps: true });
      const { partner } = await bed.partner();
      const created = await strict.createEndpoint(admin.ctx, {
        partnerId: partner.id,
        url: "https://hooks.partner.example/honour",
        eventTypes: [WebhookEventType.ORDER_ASSIGNED],
      });
      expect(created.endpoint).toMatchObject({ enabled: true, eventTypes: "order.assigned" });
      const error = await failure(
        strict.createEndpoint(admin.ctx, {
          partnerId: partner.id,
          url: "http://hooks.partner.example/",
          eventTypes: [WebhookEventType.ORDER_ASSIGNED],
        }),
      );
      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    });

    it("checks the resolved address when sending, and never follows a redirect", async () => {
      const { partner } = await bed.partner();
      // Stored while private addresses were allowed: a host name that resolves to loopback.
      const { endpoint: byName } = await endpoint(
        partner.id,
        [WebhookEventType.ORDER_ASSIGNED],
        `http://localhost:${receiver.port}/hooks`,
      );
      await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);
      await runDue(service({ allowPrivate: false }));
      expect(receiver.received).toHaveLength(0);
      const [refused] = await deliveriesOf(byName.id);
      expect(refused).toMatchObject({ status: WebhookDeliveryStatus.RETRYING, httpStatus: null });
      expect(refused!.error).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1)/);

      await webhooks.deleteEndpoint(admin.ctx, byName.id);
      const { endpoint: redirecting } = await endpoint(partner.id, [WebhookEventType.ORDER_ASSIGNED]);
      receiver.answers = [{ status: 307, headers: { location: "http://169.254.169.254/latest/meta-data/" } }];
      await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);
      await runDue();
      expect(receiver.received).toHaveLength(1);
      const [redirected] = await deliveriesOf(redirecting.id);
      expect(redirected).toMatchObject({ status: WebhookDeliveryStatus.RETRYING, httpStatus: 307 });
      expect(redirected!.error).toMatch(/redirects are not followed/);
    });
  });

  describe("administration", () => {
    it("rotates the secret: both sign for 24 hours (each verifies with the library), then only the new one", async () => {
      const { partner } = await bed.partner();
      const { endpoint: hook, secret } = await endpoint(partner.id);
      const rotated = await webhooks.rotateSecret(admin.ctx, hook.id);
      expect(rotated.secret).not.toBe(secret);
      expect(rotated.endpoint.previousSecretUntil).toEqual(new Date(bed.clock.now().getTime() + 24 * 60 * MINUTE));
      const stored = await bed.ctx().manager.findOneByOrFail(WebhookEndpointEntity, { id: hook.id });
      expect(`${stored.secretSealed} ${stored.previousSecretSealed}`).not.toContain(secret.slice(6));

      // During the overlap: two signatures, and a receiver holding either secret verifies.
      await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);
      await runDue();
      const during = receiver.received[0]!;
      expect(String(during.headers["webhook-signature"])).toMatch(/^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/);
      expect(verified(rotated.secret, during).type).toBe("order.assigned");
      expect(verified(secret, during).type).toBe("order.assigned");

      // A retry just before the overlap ends is still signed by both; one after it by the new one only.
      bed.clock.advance(24 * 60 * MINUTE - 1000);
      await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);
      await runDue();
      expect(verified(secret, receiver.received[1]!).type).toBe("order.assigned");
      bed.clock.advance(1000);
      await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);
      await runDue();
      const after = receiver.received[2]!;
      expect(String(after.headers["webhook-signature"])).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
      expect(verified(rotated.secret, after).type).toBe("order.assigned");
      expect(() => verified(secret, after)).toThrow();

      // A second rotation drops the first secret at once: the overlap is with the one it replaced.
      const again = await webhooks.rotateSecret(admin.ctx, hook.id);
      await bed.services.orderLifecycle.assign(staff.ctx, (await paidOrder()).id, partner.id);
      await runDue();
      const third = receiver.received[3]!;
      expect(verified(again.secret, third).type).toBe("order.assigned");
      expect(verified(rotated.secret, third).type).toBe("order.assigned");
      expect(() => verified(secret, third)).toThrow();

      await webhooks.deleteEndpoint(admin.ctx, hook.id);
      expect(await bed.ctx().manager.countBy(WebhookDeliveryEntity, { endpointId: hook.id })).toBe(0);
      expect((await failure(webhooks.deliveries(admin.ctx, hook.id, {}))).code).toBe(ErrorCode.NOT_FOUND);
      expect((await failure(webhooks.rotateSecret(admin.ctx, hook.id))).code).toBe(ErrorCode.NOT_FOUND);
    });

    it("answers NOT_FOUND for an unknown partner and BAD_USER_INPUT for no or unknown event types", async () => {
      const { partner } = await bed.partner();
      expect(
        (await failure(endpoint("00000000-0000-7000-8000-000000000000", [WebhookEventType.ORDER_ASSIGNED]))).code,
      ).toBe(ErrorCode.NOT_FOUND);
      const none = await failure(endpoint(partner.id, []));
      expect(none.code).toBe(ErrorCode.BAD_USER_INPUT);
      const unknown = await failure(endpoint(partner.id, ["order.shipped" as WebhookEventType]));
      expect(unknown.fields?.[0]?.field).toBe("input.eventTypes");
      expect(await bed.ctx().manager.count(WebhookEndpointEntity)).toBe(0);
    });
  });
});
