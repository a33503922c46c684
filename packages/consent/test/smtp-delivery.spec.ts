import { Channel, Role, systemClock, Topic, type Actor } from "@honour/platform";
import { startSmtpPeer, testDatabaseKinds, type ReceivedMail, type SmtpPeer } from "@honour/testing";
import { CampaignStatus } from "../src";
import { OutboxMessageEntity, OutboxOutcome, OutboxStatus } from "../src/campaign/outbox-message.entity";
import { SuppressionReason, SuppressionEntity } from "../src/suppression/suppression.entity";
import { openConsentTestBed, PUBLIC_URL, RecordingLogger, waitFor, type ConsentTestBed } from "./consent-test-bed";

/** A promise the test settles by hand, to hold the sender mid-message. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe.each(testDatabaseKinds())("campaigns through a real SMTP peer on %s", (kind) => {
  let bed: ConsentTestBed;
  let peer: SmtpPeer;
  let marketing: Actor;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    peer = await startSmtpPeer();
    bed = await openConsentTestBed(kind, {
      clock: systemClock,
      logger,
      smtpUrl: peer.url,
      // One message in flight at a time, so each is checked just before it goes (see the opt-out test).
      sender: { batchSize: 2, sendingRecheckMs: 50, concurrency: 1 },
    });
  });
  afterAll(async () => {
    await bed?.close();
    await peer?.close();
  });
  beforeEach(async () => {
    await bed.reset();
    peer.messages.length = 0;
    peer.rejected.clear();
    peer.beforeAccept = undefined;
    marketing = await bed.staff(Role.MARKETING);
  });

  /** `n` people who ticked `topic` by email, and one who did not. */
  async function subscribers(n: number, topic = Topic.NEWSLETTER) {
    const people = [];
    for (let i = 0; i < n; i++) {
      people.push(
        await bed.signUp({ email: `reader${i}@example.com`, communications: [{ topic, channel: Channel.EMAIL }] }),
      );
    }
    await bed.signUp({ email: "uninterested@example.com", communications: [] });
    return people;
  }

  async function sendCampaign(topic = Topic.NEWSLETTER, subject = "Our November newsletter"): Promise<string> {
    const campaign = await bed.ctx(marketing).transaction((tx) =>
      bed.services.campaigns.create(tx, {
        topic,
        subject,
        bodyText: "Hello,\n\nHere is what is new.",
        bodyHtml: "<html><body><p>Hello,</p><p>Here is what is new.</p></body></html>",
      }),
    );
    await bed.ctx(marketing).transaction((tx) => bed.services.campaigns.send(tx, campaign.id));
    return campaign.id;
  }

  const status = async (id: string) => (await bed.services.campaigns.find(bed.ctx(), id))?.status;
  const counts = async (id: string) => (await bed.services.campaigns.counts(bed.ctx(), [id])).get(id);
  const sentTo = () => peer.messages.map((m) => m.to).sort();

  it("delivers each message with List-Unsubscribe headers and a footer; one click makes the next campaign skip the person", async () => {
    const people = await subscribers(3);
    bed.runner().start();

    const first = await sendCampaign();
    await waitFor(async () => (await status(first)) === CampaignStatus.SENT);

    expect(sentTo()).toEqual(["reader0@example.com", "reader1@example.com", "reader2@example.com"]);
    for (const message of peer.messages) {
      expect(message.headers.get("subject")).toBe("Our November newsletter");
      expect(message.headers.get("list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
      const listUnsubscribe = message.headers.get("list-unsubscribe")!;
      const [, url, token] =
        /^<(https:\/\/www\.honour\.example\/unsubscribe\/([A-Za-z0-9_.-]+))>, <mailto:unsubscribe@www\.honour\.example\?subject=unsubscribe%20\2>$/.exec(
          listUnsubscribe,
        )!;
      expect(token).toBeDefined();
      expect(message.body).toContain(`Unsubscribe from newsletters: ${url}`);
      expect(message.body).toContain(`Manage your communication preferences: ${PUBLIC_URL}/preferences`);
      expect(message.body).toContain(`<a href="${url}">Unsubscribe from newsletters</a>`);
      expect(message.headers.get("message-id")).toMatch(/^<[0-9a-f-]{36}@www\.honour\.example>$/);
    }
    expect(await counts(first)).toEqual({ recipientCount: 3, sentCount: 3, skippedCount: 0, failedCount: 0 });

    // The person's mail client posts to the header's URL (RFC 8058).
    const toFirst = peer.messages.find((m) => m.to === people[0]!.user.email)!;
    const url = /<(https:[^>]+)>/.exec(toFirst.headers.get("list-unsubscribe")!)![1]!;
    const token = decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
    expect(await bed.services.unsubscribe.oneClick(bed.ctx(), token)).toMatchObject({ done: true });

    peer.messages.length = 0;
    const second = await sendCampaign(Topic.NEWSLETTER, "Our December newsletter");
    await waitFor(async () => (await status(second)) === CampaignStatus.SENT);
    expect(sentTo()).toEqual(["reader1@example.com", "reader2@example.com"]);
    expect((await counts(second))?.recipientCount).toBe(2);
    // The worker logged what it did, and never a token or an address.
    expect(logger.entries.some((e) => JSON.stringify(e.obj).includes("consent.campaign.sent"))).toBe(true);
    expect(logger.text()).not.toContain(token);
    expect(logger.text()).not.toContain(token.split(".")[0]);
    expect(logger.text()).not.toContain("@example.com");
  });

  it("delivers campaign HTML without the script, handlers and javascript: links staff typed into it", async () => {
    await subscribers(2);
    bed.runner().start();
    const campaign = await bed.ctx(marketing).transaction((tx) =>
      bed.services.campaigns.create(tx, {
        topic: Topic.NEWSLETTER,
        subject: "Our November newsletter",
        bodyText: "Hello,\n\nHere is what is new.",
        bodyHtml:
          '<html><head><title>News</title><script src="https://evil.example/x.js"></script></head><body>' +
          '<p onclick="alert(1)">Hello,</p><script>alert(document.cookie)</script>' +
          '<p><a href="javascript:alert(1)">Win</a> <a href="https://www.honour.example/news">Read more</a></p>' +
          '<img src="data:image/png;base64,iVBORw0KGgo="><form action="https://evil.example/"><input name="password"></form>' +
          "</body></html>",
      }),
    );
    await bed.ctx(marketing).transaction((tx) => bed.services.campaigns.send(tx, campaign.id));
    await waitFor(async () => (await status(campaign.id)) === CampaignStatus.SENT);

    expect(sentTo()).toEqual(["reader0@example.com", "reader1@example.com"]);
    for (const message of peer.messages) {
      expect(message.body).toContain(
        '<html><body><p>Hello,</p><p><a>Win</a> <a href="https://www.honour.example/news">Read more</a></p><hr>',
      );
      expect(message.body).not.toMatch(/<script|evil\.example|javascript:|onclick|alert\(|<form|<input|data:image/i);
    }
  });

  it("sends every recipient exactly one message when the worker is stopped mid-campaign and started again", async () => {
    await subscribers(7);
    const a = bed.runner();
    let stopping: Promise<void> | undefined;
    peer.beforeAccept = () => {
      // The third message: stop the worker while it is in the middle of a batch.
      if (peer.messages.length === 2) stopping = a.stop();
    };
    a.start();

    const id = await sendCampaign();
    await waitFor(() => stopping !== undefined);
    await stopping;
    const sentBeforeRestart = peer.messages.length;
    expect(sentBeforeRestart).toBeGreaterThanOrEqual(3);
    expect(sentBeforeRestart).toBeLessThan(7);
    expect(await status(id)).toBe(CampaignStatus.SENDING);

    peer.beforeAccept = undefined;
    bed.runner().start();
    await waitFor(async () => (await status(id)) === CampaignStatus.SENT);

    expect(sentTo()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `reader${i}@example.com`));
    expect(await counts(id)).toEqual({ recipientCount: 7, sentCount: 7, skippedCount: 0, failedCount: 0 });
  });

  it("sends a message a stopping worker abandoned mid-send again, under the same Message-ID, once its run is over", async () => {
    await subscribers(5);
    const held = gate();
    const reached = gate();
    const a = bed.runner({ shutdownGraceMs: 50 });
    let heldCopy: ReceivedMail | undefined;
    peer.beforeAccept = async (message) => {
      if (peer.messages.length === 1 && !heldCopy) {
        heldCopy = message;
        reached.open();
        await held.promise; // the second message hangs in the first worker's hands
      }
    };
    a.start();
    const id = await sendCampaign();
    await reached.promise;
    await a.stop(); // gives the job back after 50 ms; its handler is still sending

    const b = bed.runner();
    b.start();
    try {
      // The job b took again finishes the others and leaves the held message alone; the next
      // batch finds that run over and sends the message again.
      await waitFor(async () => (await status(id)) === CampaignStatus.SENT);
      expect(peer.messages).toHaveLength(5);
    } finally {
      held.open();
    }
    await waitFor(() => peer.messages.length === 6);

    expect(sentTo()).toEqual([...[0, 1, 2, 3, 4].map((i) => `reader${i}@example.com`), heldCopy!.to].sort());
    const copies = peer.messages.filter((m) => m.to === heldCopy!.to);
    expect(copies.map((m) => m.headers.get("message-id"))).toEqual([
      heldCopy!.headers.get("message-id"),
      heldCopy!.headers.get("message-id"),
    ]);
    expect(await counts(id)).toEqual({ recipientCount: 5, sentCount: 5, skippedCount: 0, failedCount: 0 });
  });

  it("honours an opt-out committed while the campaign is being sent, for every message not yet sent", async () => {
    const people = await subscribers(5);
    peer.beforeAccept = async (message) => {
      if (peer.messages.length > 0) return;
      // While the first message is in flight, everyone else withdraws.
      for (const person of people.filter((p) => p.user.email !== message.to)) {
        await bed.services.consent.setPreferences(person.ctx, [
          { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: false },
        ]);
      }
    };
    bed.runner().start();

    const id = await sendCampaign();
    await waitFor(async () => (await status(id)) === CampaignStatus.SENT);

    expect(peer.messages).toHaveLength(1);
    expect(await counts(id)).toEqual({ recipientCount: 5, sentCount: 1, skippedCount: 4, failedCount: 0 });
    const skipped = await bed.dataSource.manager.findBy(OutboxMessageEntity, { status: OutboxStatus.SKIPPED });
    expect(skipped.map((m) => m.outcome)).toEqual(Array(4).fill(OutboxOutcome.WITHDRAWN));
  });

  it("suppresses an address the server refuses for good, and keeps sending to the others", async () => {
    const people = await subscribers(3);
    peer.rejected.add("reader1@example.com");
    bed.runner().start();

    const id = await sendCampaign();
    await waitFor(async () => (await status(id)) === CampaignStatus.SENT);

    expect(sentTo()).toEqual(["reader0@example.com", "reader2@example.com"]);
    expect(await counts(id)).toEqual({ recipientCount: 3, sentCount: 2, skippedCount: 0, failedCount: 1 });
    const entry = await bed.dataSource.manager.findOneByOrFail(SuppressionEntity, { channel: Channel.EMAIL });
    expect(entry).toMatchObject({ reason: SuppressionReason.BOUNCED, userId: people[1]!.user.id });
    expect(logger.entries.some((e) => e.level === "warn")).toBe(true);
    expect(logger.text()).not.toContain("@example.com");
  });
});
