import { CampaignService, CampaignStatus } from "@honour/consent";
import { newId, RequestContext, SqlJobQueue, systemClock, Topic } from "@honour/platform";
import { startSmtpPeer, type SmtpPeer } from "@honour/testing";
import { waitFor, WorkerTestDatabase, type WorkerProcess } from "../worker-process";
import { FAULT_WORKER_ENV, printFigures, seedNewsletterRecipients, useMysqlUrl } from "./fault-bed";

useMysqlUrl();

const RECIPIENTS = 2000;
/** The worker is killed while the peer takes in these messages (1-based), after the data, before its 250. */
const KILL_AT = [500, 1300];
/**
 * The worker's window, `CAMPAIGN_MAX_IN_FLIGHT` (set below, smaller than the default 64 so that a
 * worker ignoring the setting would show): the messages the server accepted but the worker had not
 * yet marked SENT when it died go again, so a kill costs at least the message it fell in and at
 * most this many duplicates.
 */
const IN_FLIGHT = 16;

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

  it("delivers to every recipient; each kill costs at most the messages in flight as duplicates, with the same Message-ID", async () => {
    await seedNewsletterRecipients(db.dataSource, RECIPIENTS);
    const env = { ...FAULT_WORKER_ENV, SMTP_URL: peer.url, CAMPAIGN_MAX_IN_FLIGHT: String(IN_FLIGHT) };
    let worker: WorkerProcess = db.startWorker(env);
    const killed: Promise<unknown>[] = [];
    const killedAtMessage: number[] = [];
    let arrived = 0;
    peer.beforeAccept = () => {
      arrived += 1;
      // Mid-message: the peer has the whole message and the worker has not heard "250 OK".
      if (KILL_AT.includes(arrived)) {
        // Where this kill's duplicates start: the next worker sends them before any later kill.
        killedAtMessage.push(peer.messages.length);
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
    // Duplicates per kill: copies of a recipient already served that arrived after that kill and
    // before the next (the restarted worker re-sends the dead run's messages first).
    const duplicatesPerKill = killedAtMessage.map((from, k) => {
      const to = killedAtMessage[k + 1] ?? peer.messages.length;
      const seen = new Set(peer.messages.slice(0, from).map((m) => m.to));
      let count = 0;
      for (const mail of peer.messages.slice(from, to)) {
        if (seen.has(mail.to)) count += 1;
        seen.add(mail.to);
      }
      return count;
    });
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
      window: IN_FLIGHT,
      duplicates,
      duplicatesPerKill: duplicatesPerKill.join("+"),
      duplicateMessageIdsMatch: sameMessageId,
      outboxSent: Number(outbox.find((r) => r.status === "SENT")?.n ?? 0),
      seconds: seconds.toFixed(1),
    });

    expect(missing).toEqual([]);
    // Each kill fell mid-message, so each left at least that message to be sent again, and at most
    // the messages in flight with it.
    expect(duplicates).toBeGreaterThanOrEqual(KILL_AT.length);
    expect(duplicatesPerKill.reduce((a, b) => a + b, 0)).toBe(duplicates);
    for (const perKill of duplicatesPerKill) {
      expect(perKill).toBeGreaterThanOrEqual(1);
      expect(perKill).toBeLessThanOrEqual(IN_FLIGHT);
    }
    expect(Math.max(...[...copies.values()].map((ids) => ids.length))).toBeLessThanOrEqual(1 + KILL_AT.length);
    expect(sameMessageId).toBe(true);
    expect(outbox).toEqual([{ status: "SENT", n: expect.anything() }]);
    expect(Number(outbox[0]!.n)).toBe(RECIPIENTS);
    expect(worker.running).toBe(true);
  });
});
