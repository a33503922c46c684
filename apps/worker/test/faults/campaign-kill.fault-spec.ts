import { CampaignService, CampaignStatus, ConsentAction, ConsentActorKind, ConsentMethod } from "@honour/consent";
import { Channel, newId, RequestContext, Role, SqlJobQueue, systemClock, Topic } from "@honour/platform";
import { startSmtpPeer, type SmtpPeer } from "@honour/testing";
import { waitFor, WorkerTestDatabase, type WorkerProcess } from "../worker-process";
import { FAULT_WORKER_ENV, insertRows, printFigures, useMysqlUrl } from "./fault-bed";

useMysqlUrl();

const RECIPIENTS = 2000;
/** The worker is killed while the peer takes in these messages (1-based), after the data, before its 250. */
const KILL_AT = [500, 1300];

describe("worker killed mid-campaign (SIGKILL, twice) on MariaDB through mysql://", () => {
  let db: WorkerTestDatabase;
  let peer: SmtpPeer;

  beforeAll(async () => {
    peer = await startSmtpPeer();
    db = await WorkerTestDatabase.create("mysql");
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
    await peer?.close();
  });

  /** 2 000 accounts that granted the newsletter by email, each grant with its ledger entry. */
  async function seedRecipients(): Promise<void> {
    const now = new Date();
    const users: unknown[][] = [];
    const events: unknown[][] = [];
    const preferences: unknown[][] = [];
    for (let i = 0; i < RECIPIENTS; i++) {
      const userId = newId(now.getTime());
      const eventId = newId(now.getTime());
      users.push([userId, `reader${i}@example.com`, "not-a-password-hash", `Reader ${i}`, Role.CUSTOMER, now, now]);
      events.push([
        eventId,
        userId.replace(/-/g, "").padEnd(64, "0"),
        Topic.NEWSLETTER,
        Channel.EMAIL,
        ConsentAction.GRANTED,
        ConsentMethod.PREFERENCE_CENTRE,
        ConsentActorKind.PERSON,
        1,
        now,
      ]);
      preferences.push([userId, Topic.NEWSLETTER, Channel.EMAIL, 1, ConsentMethod.PREFERENCE_CENTRE, 1, eventId, now]);
    }
    const ds = db.dataSource;
    await insertRows(ds, "user", ["id", "email", "passwordHash", "name", "role", "createdAt", "updatedAt"], users);
    await insertRows(
      ds,
      "consent_event",
      ["id", "subjectHash", "topic", "channel", "action", "method", "actorKind", "policyVersion", "occurredAt"],
      events,
    );
    await insertRows(
      ds,
      "consent_preference",
      ["userId", "topic", "channel", "granted", "method", "policyVersion", "eventId", "updatedAt"],
      preferences,
    );
  }

  /** A DRAFT campaign, then `send` as staff would press it: SENDING, with its prepare job queued. */
  async function startCampaign(): Promise<string> {
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
    const ctx = new RequestContext(db.dataSource, { kind: "system", name: "fault-test" }, systemClock);
    await new CampaignService(new SqlJobQueue(db.dataSource, systemClock)).send(ctx, id);
    return id;
  }

  it("delivers to every recipient; each kill costs at most one duplicate, with the same Message-ID", async () => {
    await seedRecipients();
    const env = { ...FAULT_WORKER_ENV, SMTP_URL: peer.url };
    let worker: WorkerProcess = db.startWorker(env);
    const killed: Promise<unknown>[] = [];
    let arrived = 0;
    peer.beforeAccept = () => {
      arrived += 1;
      // Mid-message: the peer has the whole message and the worker has not heard "250 OK".
      if (KILL_AT.includes(arrived)) {
        worker.kill("SIGKILL");
        killed.push(worker.exited);
      }
    };
    const startedAt = Date.now();
    const campaignId = await startCampaign();

    for (let kill = 1; kill <= KILL_AT.length; kill++) {
      await waitFor(() => killed.length === kill, 120_000);
      expect(await killed[kill - 1]).toEqual({ code: null, signal: "SIGKILL" });
      worker = db.startWorker(env);
    }
    const status = async () =>
      (
        (await db.dataSource.query("SELECT status FROM consent_campaign WHERE id = ?", [campaignId])) as {
          status: string;
        }[]
      )[0]?.status;
    await waitFor(async () => (await status()) === CampaignStatus.SENT, 120_000, 200);
    const seconds = (Date.now() - startedAt) / 1000;

    const copies = new Map<string, string[]>();
    for (const mail of peer.messages) copies.set(mail.to, [...(copies.get(mail.to) ?? []), mail.messageId]);
    const missing = Array.from({ length: RECIPIENTS }, (_, i) => `reader${i}@example.com`).filter(
      (to) => !copies.has(to),
    );
    const doubled = [...copies.values()].filter((ids) => ids.length > 1);
    const duplicates = doubled.reduce((sum, ids) => sum + ids.length - 1, 0);
    const sameMessageId = doubled.every((ids) => ids.every((id) => id === ids[0] && id !== ""));
    const outbox = (await db.dataSource.query(
      "SELECT status, COUNT(*) AS n FROM consent_outbox WHERE campaignId = ? GROUP BY status",
      [campaignId],
    )) as { status: string; n: string | number }[];
    printFigures("SIGKILL mid-campaign x2", {
      recipients: RECIPIENTS,
      kills: KILL_AT.length,
      delivered: copies.size,
      missing: missing.length,
      duplicates,
      duplicateMessageIdsMatch: sameMessageId,
      outboxSent: Number(outbox.find((r) => r.status === "SENT")?.n ?? 0),
      seconds: seconds.toFixed(1),
    });

    expect(missing).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(KILL_AT.length);
    // Each kill fell mid-message, so each left exactly that message to be sent again.
    expect(duplicates).toBe(KILL_AT.length);
    expect(sameMessageId).toBe(true);
    expect(outbox).toEqual([{ status: "SENT", n: expect.anything() }]);
    expect(Number(outbox[0]!.n)).toBe(RECIPIENTS);
    expect(worker.running).toBe(true);
  });
});
