import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAppServices, type AppServices } from "@honour/composition";
import { WebhookDeliveryStatus, WebhookEventType } from "@honour/orders";
import {
  createPlatform,
  loadConfig,
  RequestContext,
  silentLogger,
  SqlJobQueue,
  systemClock,
  type Actor,
} from "@honour/platform";
import { printFaultFigures, startSmtpPeer, testDatabaseKinds, type SmtpPeer } from "@honour/testing";
import { Webhook } from "standardwebhooks";
import { waitFor, WorkerTestDatabase } from "./worker-process";

const SECRET = "worker-e2e-secret-that-is-long-enough";
const ADMIN: Actor = { kind: "user", userId: "00000000-0000-7000-8000-000000000001", role: "ADMIN" } as Actor;

/** A real receiver on 127.0.0.1: answers each request as `answer` decides (a status, or hold it). */
class Receiver {
  readonly requests: { headers: IncomingHttpHeaders; body: string; at: number; answer: number | "hold" }[] = [];
  answer: (n: number, headers: IncomingHttpHeaders) => number | "hold" = () => 200;
  onHold?: () => void;
  private readonly server: Server;
  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const answer = this.answer(this.requests.length + 1, req.headers);
        this.requests.push({
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now(),
          answer,
        });
        if (answer === "hold") {
          this.onHold?.();
          return; // never answered: the worker dies waiting
        }
        res.writeHead(answer).end();
      });
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return this;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe.each(testDatabaseKinds())("webhook deliveries by worker processes on %s", (kind) => {
  let db: WorkerTestDatabase;
  let services: AppServices;
  let receiver: Receiver;
  let peer: SmtpPeer;
  const savedAllow = process.env.WEBHOOK_ALLOW_PRIVATE;

  beforeAll(() => {
    // This process creates endpoints on 127.0.0.1 (the worker gets the same setting below).
    process.env.WEBHOOK_ALLOW_PRIVATE = "true";
  });
  afterAll(() => {
    if (savedAllow === undefined) delete process.env.WEBHOOK_ALLOW_PRIVATE;
    else process.env.WEBHOOK_ALLOW_PRIVATE = savedAllow;
  });
  beforeEach(async () => {
    db = await WorkerTestDatabase.create(kind);
    await db.migrate();
    const config = loadConfig({ NODE_ENV: "test", HONOUR_SECRET: SECRET });
    const platform = createPlatform(config, db.dataSource, {
      clock: systemClock,
      jobs: new SqlJobQueue(db.dataSource, systemClock),
      logger: silentLogger,
    });
    services = createAppServices(platform);
    receiver = await new Receiver().start();
    peer = await startSmtpPeer();
  });
  afterEach(async () => {
    await db?.close();
    await receiver?.close();
    await peer?.close();
  });

  const ctx = () => new RequestContext(db.dataSource, ADMIN, systemClock);
  const workerEnv = (extra: Record<string, string> = {}) => ({
    WEBHOOK_ALLOW_PRIVATE: "true",
    WEBHOOK_BACKOFF_BASE_MS: "50",
    WEBHOOK_TIMEOUT_MS: "3000",
    SMTP_URL: peer.url,
    MAIL_FROM: "Honour <no-reply@honour.test>",
    ...extra,
  });

  async function partnerWithEndpoint(): Promise<{
    partnerId: string;
    endpointId: string;
    secret: string;
    contact: string;
  }> {
    const contact = `ops-${kind}@partner.example`;
    const partner = await services.orders.partners.create(ctx(), { name: "Reseller Ltd", contactEmail: contact });
    const { endpoint, secret } = await services.orders.webhooks.createEndpoint(ctx(), {
      partnerId: partner.id,
      url: receiver.url,
      eventTypes: [WebhookEventType.ORDER_ASSIGNED],
    });
    return { partnerId: partner.id, endpointId: endpoint.id, secret, contact };
  }

  it("delivers every event at least once with a stable webhook-id when the worker is killed mid-delivery", async () => {
    const EVENTS = 120;
    const KILL_AT = 40; // the 40th request is held, and its worker killed with SIGKILL
    const { partnerId, endpointId, secret } = await partnerWithEndpoint();
    for (let i = 0; i < EVENTS; i++) {
      await services.orders.webhooks.publish(ctx(), partnerId, WebhookEventType.ORDER_ASSIGNED, {
        orderId: `order-${i}`,
      });
    }
    // Every 10th first request fails with 500, so retries are part of the run.
    receiver.answer = (n) => (n === KILL_AT ? "hold" : n % 10 === 0 ? 500 : 200);
    const held = new Promise<void>((resolve) => (receiver.onHold = resolve));

    const first = db.startWorker(workerEnv());
    await held;
    first.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    const second = db.startWorker(workerEnv());

    await waitFor(async () => {
      const rows: { n: number | string }[] = await db.dataSource.query(
        "SELECT COUNT(*) AS n FROM webhook_delivery WHERE status = ?",
        [WebhookDeliveryStatus.SUCCEEDED],
      );
      return Number(rows[0]!.n) === EVENTS;
    }, 60_000);
    expect(second.running).toBe(true);

    const deliveries: { id: string; attempts: number; latencyMs: number; status: string }[] = await db.dataSource.query(
      "SELECT id, attempts, latencyMs, status FROM webhook_delivery WHERE endpointId = ?",
      [endpointId],
    );
    const ids = new Set(deliveries.map((d) => `msg_${d.id.replace(/-/g, "")}`));
    const wh = new Webhook(secret);
    const seen = new Map<string, number>();
    /** Ids the receiver took in whole (answered 2xx, or held as the worker died): a later copy is a duplicate. */
    const accepted = new Set<string>();
    let duplicates = 0;
    const orderIds = new Set<string>();
    for (const r of receiver.requests) {
      const id = String(r.headers["webhook-id"]);
      expect(ids.has(id)).toBe(true);
      const headers = {
        "webhook-id": id,
        "webhook-timestamp": String(r.headers["webhook-timestamp"]),
        "webhook-signature": String(r.headers["webhook-signature"]),
      };
      const body = wh.verify(r.body, headers) as { type: string; data: { orderId: string } };
      expect(body.type).toBe("order.assigned");
      orderIds.add(body.data.orderId);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      if (accepted.has(id)) duplicates += 1;
      if (r.answer === "hold" || (r.answer >= 200 && r.answer < 300)) accepted.add(id);
    }
    expect(orderIds.size).toBe(EVENTS);
    expect(seen.size).toBe(EVENTS);
    const retries = deliveries.reduce((sum, d) => sum + Number(d.attempts) - 1, 0);
    const requestsAfterFirst = receiver.requests.length - EVENTS;
    // The held request was received, never answered, and sent again with the same id after the kill.
    expect(duplicates).toBeGreaterThanOrEqual(1);
    expect(receiver.requests.filter((r) => r.answer === "hold")).toHaveLength(1);
    expect(retries).toBeGreaterThanOrEqual(Math.floor(EVENTS / 10) - 1);
    const latencies = deliveries.map((d) => Number(d.latencyMs)).sort((a, b) => a - b);
    const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)]!;
    printFaultFigures("worker", `webhooks-kill (${kind})`, {
      deliveries: EVENTS,
      requests: receiver.requests.length,
      retries,
      duplicates,
      resent: requestsAfterFirst,
      p99LatencyMs: p99,
      maxLatencyMs: latencies[latencies.length - 1]!,
    });
  });

  it("disables an endpoint that keeps failing and mails the partner's contact through SMTP", async () => {
    const { partnerId, endpointId, contact } = await partnerWithEndpoint();
    receiver.answer = () => 500;
    await services.orders.webhooks.publish(ctx(), partnerId, WebhookEventType.ORDER_ASSIGNED, { orderId: "order-1" });
    db.startWorker(workerEnv({ WEBHOOK_DISABLE_AFTER_MS: "800" }));

    await waitFor(() => peer.messages.some((m) => m.to === contact), 30_000);
    const mail = peer.messages.find((m) => m.to === contact)!;
    expect(mail.headers.get("subject")).toBe("Your Honour webhook endpoint was disabled");
    expect(mail.body).toContain(receiver.url);
    const [endpoint]: { enabled: number | boolean; disabledReason: string }[] = await db.dataSource.query(
      "SELECT enabled, disabledReason FROM webhook_endpoint WHERE id = ?",
      [endpointId],
    );
    expect(Boolean(Number(endpoint!.enabled))).toBe(false);
    expect(endpoint!.disabledReason).toMatch(/every attempt failed since/);
    const [delivery]: { status: string; attempts: number }[] = await db.dataSource.query(
      "SELECT status, attempts FROM webhook_delivery WHERE endpointId = ?",
      [endpointId],
    );
    expect(delivery!.status).toBe(WebhookDeliveryStatus.CANCELLED);
    expect(Number(delivery!.attempts)).toBeGreaterThanOrEqual(2);

    // Disabled: a new event is not queued for it, and nothing more reaches the receiver.
    const before = receiver.requests.length;
    expect(
      await services.orders.webhooks.publish(ctx(), partnerId, WebhookEventType.ORDER_ASSIGNED, { orderId: "order-2" }),
    ).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.requests.length).toBe(before);
  });
});
