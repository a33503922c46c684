import {
  Channel,
  enqueueTransactionalMail,
  ErrorCode,
  JobEntity,
  JobStatus,
  PersonalDataRegistry,
  RequestContext,
  Role,
  silentLogger,
  Topic,
  TRANSACTIONAL_MAIL_JOB,
  type Actor,
} from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CampaignStatus, CONSENT_JOBS, createConsentServices, MailDeliveryError, type CampaignDraft } from "../src";
import { CampaignSender, type CampaignSenderOptions } from "../src/campaign/campaign-sender.service";
import { CampaignEntity } from "../src/campaign/campaign.entity";
import { OutboxMessageEntity, OutboxOutcome, OutboxStatus } from "../src/campaign/outbox-message.entity";
import { SuppressionReason } from "../src/suppression/suppression.entity";
import { consentSnapshot, failure, openConsentTestBed, waitFor, type ConsentTestBed } from "./consent-test-bed";

describe.each(testDatabaseKinds())("campaigns on %s", (kind) => {
  let bed: ConsentTestBed;
  let marketing: Actor;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind, { sender: { batchSize: 3 } });
  });
  afterAll(() => bed?.close());
  beforeEach(async () => {
    await bed.reset();
    marketing = await bed.staff(Role.MARKETING);
  });

  const draft: CampaignDraft = { topic: Topic.SPECIAL_OFFERS, subject: "Winter sale", bodyText: "20% off." };
  const create = (input: CampaignDraft = draft) =>
    bed.ctx(marketing).transaction((tx) => bed.services.campaigns.create(tx, input));
  const send = (id: string) => bed.ctx(marketing).transaction((tx) => bed.services.campaigns.send(tx, id));
  const find = (id: string) => bed.services.campaigns.find(bed.ctx(), id);
  const counts = async (id: string) => (await bed.services.campaigns.counts(bed.ctx(), [id])).get(id);
  const subscribe = (email: string, topic = Topic.SPECIAL_OFFERS) =>
    bed.signUp({ email, communications: [{ topic, channel: Channel.EMAIL }] });
  /** A RUNNING job row, as the job runner leaves one while its handler runs. */
  async function runningJob(id: string, attempt = 1): Promise<{ id: string; attempt: number }> {
    const now = bed.clock.now();
    await bed.dataSource.manager.insert(JobEntity, {
      id,
      name: CONSENT_JOBS.sendCampaign,
      payload: {},
      status: JobStatus.RUNNING,
      attempts: attempt,
      maxAttempts: 10,
      runAt: now,
      lockedBy: "test",
      heartbeatAt: now,
      lastError: null,
      uniqueKey: null,
      createdAt: now,
      finishedAt: null,
    });
    return { id, attempt };
  }
  /** A sender of the bed's services with options of its own, as a second worker would be. */
  const senderWith = (options: CampaignSenderOptions) =>
    new CampaignSender(
      bed.platform.jobs,
      bed.services.suppressions,
      bed.services.unsubscribe,
      bed.services.mailer,
      silentLogger,
      options,
    );
  /** Runs the queued consent jobs to the end, in this process. */
  async function drain(): Promise<void> {
    const runner = bed.runner();
    while (await runner.runOnce());
  }

  it("sends queued transactional mail without the marketing unsubscribe headers or footer", async () => {
    const ctx = new RequestContext(bed.platform.dataSource, { kind: "system", name: "test" }, bed.platform.clock);
    await ctx.transaction((tx) =>
      enqueueTransactionalMail(
        tx,
        bed.platform.jobs,
        {
          kind: "PASSWORD_CHANGED",
          to: { name: "Ada", address: "ada@example.com" },
          subject: "Your password was changed",
          text: "Hello Ada",
        },
        "password-changed:test",
      ),
    );
    const runner = bed.runner();
    runner.start();
    await waitFor(() => bed.transport.sent.length === 1);
    await bed.stopRunners();

    const mail = bed.transport.sent[0]!;
    expect(mail).toMatchObject({
      to: { address: "ada@example.com" },
      subject: "Your password was changed",
      text: "Hello Ada",
    });
    expect(mail.headers ?? {}).not.toHaveProperty("List-Unsubscribe");
    expect(mail.text).not.toMatch(/unsubscribe/i);
    expect(
      await bed.platform.dataSource.manager.countBy(JobEntity, {
        name: TRANSACTIONAL_MAIL_JOB,
        status: JobStatus.DONE,
      }),
    ).toBe(1);
  });

  it("creates a DRAFT and refuses bad input with BAD_USER_INPUT, writing nothing", async () => {
    const campaign = await create({ ...draft, subject: "  Winter sale  ", bodyHtml: " " });
    expect(campaign).toMatchObject({ status: CampaignStatus.DRAFT, subject: "Winter sale", bodyHtml: null });
    const before = await consentSnapshot(bed.dataSource);

    for (const [input, fields] of [
      [{ ...draft, subject: "" }, ["input.subject"]],
      [{ ...draft, subject: "Line one\r\nBcc: everyone@example.com" }, ["input.subject"]],
      [{ ...draft, subject: "x".repeat(201) }, ["input.subject"]],
      [{ ...draft, bodyText: "   " }, ["input.bodyText"]],
      [{ ...draft, topic: "SPAM" as Topic, subject: "" }, ["input.topic", "input.subject"]],
      [{ ...draft, bodyHtml: "€".repeat(30_000) }, ["input.bodyHtml"]],
      // 20 000 bytes as written, 100 000 once each "&" is escaped as "&amp;".
      [{ ...draft, bodyHtml: `<p>${"&".repeat(20_000)}</p>` }, ["input.bodyHtml"]],
    ] as [CampaignDraft, string[]][]) {
      const error = await failure(create(input));
      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field)).toEqual(fields);
    }
    expect(await consentSnapshot(bed.dataSource)).toEqual(before);
  });

  it("goes DRAFT -> SENDING -> SENT, sending once to each person who granted the topic at send time", async () => {
    const campaign = await create();
    await subscribe("early@example.com");
    await subscribe("other-topic@example.com", Topic.NEWSLETTER);
    const closed = await subscribe("closed@example.com");
    const suppressed = await subscribe("suppressed@example.com");
    await bed.users.users.close(bed.ctx(marketing), closed.user.id);
    await bed.services.suppressions.suppress(bed.ctx(), {
      channel: Channel.EMAIL,
      identifier: suppressed.user.email,
      reason: SuppressionReason.COMPLAINT,
    });
    // Granted after the campaign was written, before it was sent: included.
    const late = await bed.signUp({ email: "late@example.com", communications: [] });
    await bed.services.consent.setPreferences(late.ctx, [
      { topic: Topic.SPECIAL_OFFERS, channel: Channel.EMAIL, granted: true },
    ]);

    const sending = await send(campaign.id);
    expect(sending.status).toBe(CampaignStatus.SENDING);
    expect(await counts(campaign.id)).toBeUndefined(); // nothing computed until the worker runs
    await drain();

    // Marketing only: the closed account's confirmation mail goes out in the same run.
    expect(bed.transport.marketingRecipients().sort()).toEqual(["early@example.com", "late@example.com"]);
    expect(await find(campaign.id)).toMatchObject({ status: CampaignStatus.SENT, completedAt: bed.clock.now() });
    expect(await counts(campaign.id)).toEqual({ recipientCount: 2, sentCount: 2, skippedCount: 0, failedCount: 0 });
    const mail = bed.transport.sent.find((m) => m.headers?.["List-Unsubscribe"])!;
    expect(mail.headers).toEqual({
      "List-Unsubscribe": expect.stringMatching(
        /^<https:\/\/www\.honour\.example\/unsubscribe\/[\w.-]+>, <mailto:unsubscribe@www\.honour\.example\?subject=unsubscribe%20[\w.-]+>$/,
      ),
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    });
    expect(mail.text).toMatch(/^20% off\.\n\n--\n/);
    expect(mail.text).toContain("https://www.honour.example/preferences");
  });

  it("stores the HTML body sanitised: no script, handler or javascript: link is kept, the content is", async () => {
    const campaign = await create({
      ...draft,
      bodyHtml:
        '<h1 onclick="alert(1)">Winter sale</h1><script>alert(document.cookie)</script>' +
        '<p>20% off <a href="javascript:alert(1)">everything</a>, <a href="https://shop.example/sale">see the sale</a>.</p>' +
        '<img src="https://cdn.example/sale.png" alt="Sale" onerror="alert(1)"><iframe src="https://evil.example/"></iframe>',
    });

    const expected =
      '<h1>Winter sale</h1><p>20% off <a>everything</a>, <a href="https://shop.example/sale">see the sale</a>.</p>' +
      '<img src="https://cdn.example/sale.png" alt="Sale" />';
    expect(campaign.bodyHtml).toBe(expected);
    expect((await find(campaign.id))?.bodyHtml).toBe(expected);
    // Nothing left but a script: the campaign goes as plain text.
    expect((await create({ ...draft, bodyHtml: "<script>alert(1)</script>" })).bodyHtml).toBeNull();
  });

  it("sanitises at send time too, for a campaign stored before its HTML was sanitised", async () => {
    await subscribe("reader@example.com");
    const campaign = await create();
    // As a row written by an older version holds it.
    await bed.dataSource.manager.update(
      CampaignEntity,
      { id: campaign.id },
      { bodyHtml: '<html><body><p onmouseover="alert(1)">Sale</p><script>alert(1)</script></body></html>' },
    );
    await send(campaign.id);
    await drain();

    expect(bed.transport.recipients()).toEqual(["reader@example.com"]);
    const html = bed.transport.sent[0]!.html!;
    expect(html).toMatch(/^<html><body><p>Sale<\/p><hr><p [^>]*>You receive special offers .*<\/p><\/body><\/html>$/);
    expect(html).not.toMatch(/script|onmouseover|alert/i);
  });

  it("sends a campaign only once: a second send is CONFLICT, an unknown id NOT_FOUND", async () => {
    const campaign = await create();
    await send(campaign.id);

    expect((await failure(send(campaign.id))).code).toBe(ErrorCode.CONFLICT);
    expect((await failure(send("00000000-0000-7000-8000-000000000000"))).code).toBe(ErrorCode.NOT_FOUND);
    expect(await bed.dataSource.manager.countBy(JobEntity, { name: CONSENT_JOBS.prepareCampaign })).toBe(1);
  });

  it("writes one outbox row per recipient however often preparation runs", async () => {
    await subscribe("a@example.com");
    await subscribe("b@example.com");
    const campaign = await create();
    await send(campaign.id);

    await bed.services.sender.prepare(bed.ctx(), campaign.id);
    await bed.services.sender.prepare(bed.ctx(), campaign.id);
    await drain();

    expect(await bed.dataSource.manager.countBy(OutboxMessageEntity, { campaignId: campaign.id })).toBe(2);
    expect(bed.transport.sent).toHaveLength(2);
    const duplicate = await failure(
      bed.dataSource.manager.insert(OutboxMessageEntity, {
        id: "00000000-0000-7000-8000-000000000001",
        campaignId: campaign.id,
        userId: (await bed.dataSource.manager.findOneByOrFail(OutboxMessageEntity, { campaignId: campaign.id })).userId,
        status: OutboxStatus.PENDING,
        attempts: 0,
      }),
    );
    expect(duplicate.message).toMatch(/duplicate|unique/i);
  });

  it("completes at once when nobody is eligible", async () => {
    const campaign = await create();
    await send(campaign.id);
    await drain();

    expect((await find(campaign.id))?.status).toBe(CampaignStatus.SENT);
    expect(await counts(campaign.id)).toBeUndefined();
    expect(bed.transport.sent).toEqual([]);
  });

  it("retries a temporary SMTP failure, and gives up on a message after its attempts", async () => {
    await subscribe("flaky@example.com");
    await subscribe("down@example.com");
    const campaign = await create();
    await send(campaign.id);
    await bed.services.sender.prepare(bed.ctx(), campaign.id);
    let flakyFailures = 1;
    bed.transport.before = (mail) => {
      if (mail.to.address === "down@example.com") throw new MailDeliveryError("SMTP ECONNECTION", false);
      if (mail.to.address === "flaky@example.com" && flakyFailures-- > 0) {
        throw new MailDeliveryError("SMTP 451", false);
      }
    };

    for (let i = 0; i < 6; i++)
      await bed.services.sender.sendBatch(bed.ctx(), campaign.id, { id: `job-${i}`, attempt: 1 }).catch(() => {});
    await drain();

    expect(bed.transport.recipients()).toEqual(["flaky@example.com"]);
    const down = await bed.dataSource.manager.findOneByOrFail(OutboxMessageEntity, { status: OutboxStatus.FAILED });
    expect(down).toMatchObject({ outcome: OutboxOutcome.SMTP_ERROR, attempts: 3 });
    expect(await find(campaign.id)).toMatchObject({ status: CampaignStatus.SENT });
  });

  it("sends again, under the same Message-ID, a message whose run ended mid-send, and leaves a live run's alone", async () => {
    await subscribe("gone@example.com");
    await subscribe("live@example.com");
    const campaign = await create();
    await send(campaign.id);
    await bed.services.sender.prepare(bed.ctx(), campaign.id);
    const rows = await bed.dataSource.manager.findBy(OutboxMessageEntity, { campaignId: campaign.id });
    const live = await runningJob("0190aaaa-0000-7000-8000-000000000001", 2);
    const claim = (row: OutboxMessageEntity, claimedBy: string) =>
      bed.dataSource.manager.update(
        OutboxMessageEntity,
        { id: row.id },
        { status: OutboxStatus.SENDING, claimedBy, claimedAt: bed.clock.now(), attempts: 1 },
      );
    const [first, second] = rows;
    // The first was claimed by a run whose job is no longer there; the second by a run still going.
    await claim(first!, "0190aaaa-0000-7000-8000-00000000dead:1:xyz");
    await claim(second!, `${live.id}:${live.attempt}:abc`);

    await bed.services.sender.sendBatch(bed.ctx(), campaign.id, await runningJob("job-1"));

    expect(bed.transport.sent.map((m) => m.messageId)).toEqual([expect.stringMatching(new RegExp(`^<${first!.id}@`))]);
    expect(await counts(campaign.id)).toMatchObject({ recipientCount: 2, sentCount: 1, failedCount: 0 });
    expect((await find(campaign.id))?.status).toBe(CampaignStatus.SENDING);

    // The live run's worker died and its job was taken again: that is a later attempt.
    await bed.dataSource.manager.update(JobEntity, { id: live.id }, { attempts: 3 });
    await bed.services.sender.sendBatch(bed.ctx(), campaign.id, await runningJob("job-2"));

    expect(bed.transport.sent.map((m) => m.messageId)).toEqual([
      expect.stringMatching(new RegExp(`^<${first!.id}@`)),
      expect.stringMatching(new RegExp(`^<${second!.id}@`)),
    ]);
    expect(await counts(campaign.id)).toEqual({ recipientCount: 2, sentCount: 2, skippedCount: 0, failedCount: 0 });
    expect((await find(campaign.id))?.status).toBe(CampaignStatus.SENT);
  });

  it("resumes a campaign whose job died", async () => {
    await subscribe("a@example.com");
    const campaign = await create();
    await send(campaign.id);
    await bed.dataSource.manager.update(JobEntity, { name: CONSENT_JOBS.prepareCampaign }, { status: JobStatus.DEAD });

    expect(await bed.services.sender.resume(bed.ctx())).toBe(1);
    expect(await bed.services.sender.resume(bed.ctx())).toBe(0); // a live job exists now
    await drain();

    expect(bed.transport.recipients()).toEqual(["a@example.com"]);
    expect((await find(campaign.id))?.status).toBe(CampaignStatus.SENT);
  });

  it("writes messages as .eml files under <dataDir>/outbox when no SMTP_URL is set", async () => {
    // A platform of its own: the bed's already has the "consent" personal data contributor.
    const platform = { ...bed.platform, personalData: new PersonalDataRegistry() };
    const services = createConsentServices(platform, bed.users, {});
    try {
      expect(services.mailer.transport.kind).toBe("file");
      await services.mailer.sendTransactional("00000000-0000-7000-8000-00000000000a", {
        to: { name: "Ada", address: "ada@example.com" },
        subject: "Your order",
        text: "Thanks.",
      });
      expect(readdirSync(join(bed.dataDir, "outbox"))).toEqual([
        "00000000-0000-7000-8000-00000000000a@www.honour.example.eml",
      ]);
    } finally {
      services.close();
    }
  });

  it("sends several messages at once when asked to, still exactly once each", async () => {
    for (let i = 0; i < 12; i++) await subscribe(`p${i}@example.com`);
    const campaign = await create();
    await send(campaign.id);
    const sender = senderWith({ batchSize: 5, concurrency: 4 });
    let inFlight = 0;
    let most = 0;
    bed.transport.before = async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
    };

    await sender.prepare(bed.ctx(), campaign.id);
    // Two senders on the same campaign, as two workers would be.
    for (let i = 0; i < 4; i++) {
      await Promise.all([
        sender.sendBatch(bed.ctx(), campaign.id, await runningJob(`a${i}`)),
        sender.sendBatch(bed.ctx(), campaign.id, await runningJob(`b${i}`)),
      ]);
    }

    expect(most).toBeGreaterThan(1);
    expect(bed.transport.recipients().sort()).toEqual(Array.from({ length: 12 }, (_, i) => `p${i}@example.com`).sort());
    expect((await find(campaign.id))?.status).toBe(CampaignStatus.SENT);
  });

  it("honours an opt-out committed while a wave is in flight for every later wave: at most `concurrency` messages go after it", async () => {
    const people: Awaited<ReturnType<typeof subscribe>>[] = [];
    for (let i = 0; i < 12; i++) people.push(await subscribe(`p${i}@example.com`));
    const campaign = await create();
    await send(campaign.id);
    const sender = senderWith({ batchSize: 12, concurrency: 4 });
    let first: string | undefined;
    let withdrawn: Promise<void> | undefined;
    bed.transport.before = async (mail) => {
      if (!first) {
        first = mail.to.address;
        // While the first message is in flight, everyone else withdraws; the messages in flight
        // with it wait until they have (as a slow server would keep them).
        withdrawn = (async () => {
          for (const person of people.filter((p) => p.user.email !== first)) {
            await bed.services.consent.setPreferences(person.ctx, [
              { topic: Topic.SPECIAL_OFFERS, channel: Channel.EMAIL, granted: false },
            ]);
          }
        })();
      }
      await withdrawn;
    };

    await sender.prepare(bed.ctx(), campaign.id);
    await sender.sendBatch(bed.ctx(), campaign.id, await runningJob("a"));
    await sender.sendBatch(bed.ctx(), campaign.id, await runningJob("b")); // finds nothing left, completes

    const sent = bed.transport.recipients();
    expect(sent).toContain(first);
    // The first message's wave (2) and the wave the other lane had checked before the opt-outs (2).
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeLessThanOrEqual(4);
    const rows = await bed.dataSource.manager.findBy(OutboxMessageEntity, { campaignId: campaign.id });
    expect(rows.filter((r) => r.status === OutboxStatus.SENT)).toHaveLength(sent.length);
    const skipped = rows.filter((r) => r.status === OutboxStatus.SKIPPED);
    expect(skipped).toHaveLength(12 - sent.length);
    expect(new Set(skipped.map((r) => r.outcome))).toEqual(new Set([OutboxOutcome.WITHDRAWN]));
    expect((await find(campaign.id))?.status).toBe(CampaignStatus.SENT);
  });

  it("sends batch after batch through the job queue", async () => {
    for (let i = 0; i < 8; i++) await subscribe(`p${i}@example.com`);
    const campaign = await create();
    await send(campaign.id);

    bed.runner().start();
    await waitFor(async () => (await find(campaign.id))?.status === CampaignStatus.SENT);

    expect(bed.transport.sent).toHaveLength(8);
    // 8 messages, 3 a batch: 3 send jobs, plus the one that prepared.
    expect(await bed.dataSource.manager.countBy(JobEntity, { name: CONSENT_JOBS.sendCampaign })).toBe(3);
    expect((await bed.dataSource.manager.find(CampaignEntity))[0]?.status).toBe(CampaignStatus.SENT);
  });
});
