import { CampaignService, CampaignStatus } from "@honour/consent";
import { newId, RedisJobQueue, RequestContext, systemClock, Topic } from "@honour/platform";
import { startRedisServer, startSmtpPeer, type SmtpPeer, type TestRedisServer } from "@honour/testing";
import { waitFor, WorkerTestDatabase, type WorkerProcess } from "../worker-process";
import { FAULT_WORKER_ENV, printFigures, seedNewsletterRecipients, useMysqlUrl } from "./fault-bed";

useMysqlUrl();

const RECIPIENTS = 2000;
/** Redis is killed and started again, empty, while the peer takes in this message (1-based). */
const RESTART_AT = 700;

describe("Redis restarted empty mid-campaign (REDIS_URL set) on MariaDB through mysql://", () => {
  let db: WorkerTestDatabase;
  let peer: SmtpPeer;
  let redis: TestRedisServer;
  let queue: RedisJobQueue | undefined;

  beforeAll(async () => {
    redis = await startRedisServer();
    peer = await startSmtpPeer();
    db = await WorkerTestDatabase.create("mysql");
    await db.migrate();
  });
  afterAll(async () => {
    await queue?.close();
    await db?.close();
    await peer?.close();
    await redis?.stop();
  });

  it("delivers to every recipient once, but for at most the message in flight", async () => {
    await seedNewsletterRecipients(db.dataSource, RECIPIENTS);
    const env = { ...FAULT_WORKER_ENV, SMTP_URL: peer.url, REDIS_URL: redis.url };
    const worker: WorkerProcess = db.startWorker(env);
    let arrived = 0;
    let restarted = false;
    peer.beforeAccept = async () => {
      arrived += 1;
      // Mid-message: Redis loses every job, lock and scheduler while the worker waits for "250 OK".
      if (arrived === RESTART_AT) {
        await redis.restart();
        restarted = true;
      }
    };
    const startedAt = Date.now();
    // `send` as staff would press it, through the same Redis queue the worker claims from.
    const id = newId();
    await db.dataSource.query(
      "INSERT INTO consent_campaign (id, topic, subject, bodyText, status, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
      [
        id,
        Topic.NEWSLETTER,
        "Our December newsletter",
        "Hello,\n\nHere is what is new.",
        CampaignStatus.DRAFT,
        new Date(),
      ],
    );
    queue = new RedisJobQueue(db.dataSource, systemClock, redis.url);
    const ctx = new RequestContext(db.dataSource, { kind: "system", name: "fault-test" }, systemClock);
    await new CampaignService(queue).send(ctx, id);

    const status = async () =>
      ((await db.dataSource.query("SELECT status FROM consent_campaign WHERE id = ?", [id])) as { status: string }[])[0]
        ?.status;
    await waitFor(async () => (await status()) === CampaignStatus.SENT, 150_000, 200);
    const seconds = (Date.now() - startedAt) / 1000;

    const copies = new Map<string, number>();
    for (const mail of peer.messages) copies.set(mail.to, (copies.get(mail.to) ?? 0) + 1);
    const missing = Array.from({ length: RECIPIENTS }, (_, i) => `reader${i}@example.com`).filter(
      (to) => !copies.has(to),
    );
    const duplicates = [...copies.values()].reduce((sum, n) => sum + n - 1, 0);
    const jobs = (await db.dataSource.query(
      "SELECT status, COUNT(*) AS n FROM job WHERE name LIKE 'consent.%' GROUP BY status",
    )) as { status: string; n: string | number }[];
    const resynced = worker.logs.filter((l) => l.event === "jobs.redis.resynced").length;
    printFigures("Redis restarted empty mid-campaign", {
      recipients: RECIPIENTS,
      restartedAtMessage: RESTART_AT,
      delivered: copies.size,
      missing: missing.length,
      duplicates,
      resyncs: resynced,
      campaignJobs: jobs.map((j) => `${j.status}:${j.n}`).join(","),
      seconds: seconds.toFixed(1),
    });

    expect(restarted).toBe(true);
    expect(missing).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(1);
    expect(jobs.every((j) => j.status === "DONE")).toBe(true);
    expect(worker.running).toBe(true);
  });
});
