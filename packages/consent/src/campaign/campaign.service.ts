import {
  FieldChecks,
  newId,
  NotFoundException,
  paginate,
  requireUser,
  type Connection,
  type PageArgs,
  TOPICS,
  UnauthenticatedException,
  type JobQueue,
  type RequestContext,
  type Topic,
} from "@honour/platform";
import { UserEntity } from "@honour/users";
import { In } from "typeorm";
import { ConsentErrorCode, ConsentException } from "../consent.exception";
import type { OutgoingMail } from "../mail/mail-transport";
import type { Mailer } from "../mail/mailer.service";
import type { UnsubscribeService } from "../unsubscribe/unsubscribe.service";
import type { CampaignSender } from "./campaign-sender.service";
import { sanitiseCampaignHtml } from "./campaign-html";
import { CAMPAIGN_LIMITS, CampaignEntity, CampaignStatus } from "./campaign.entity";
import { OutboxMessageEntity, OutboxStatus } from "./outbox-message.entity";

/** What staff give to create a campaign. */
export interface CampaignDraft {
  topic: Topic;
  subject: string;
  bodyText: string;
  bodyHtml?: string | null;
}

/** What staff change in a DRAFT: only the fields given; `bodyHtml: null` removes the HTML body. */
export type CampaignChanges = Partial<CampaignDraft>;

/** A campaign's message as a recipient gets it (or, for a test, as the staff member got it). */
export interface CampaignMessageView {
  to: string;
  subject: string;
  text: string;
  /** Null when the campaign has no HTML body: the message goes as plain text only. */
  html: string | null;
  /** The List-Unsubscribe header. */
  listUnsubscribe: string;
}

/** What previews and test sends need besides the job queue. */
export interface CampaignMailing {
  mailer: Mailer;
  unsubscribe: UnsubscribeService;
  sender: CampaignSender;
}

/** The token shape of real links, in previews, where there is no recipient to make one for. */
const PREVIEW_TOKEN = "PREVIEW-PREVIEW-PREVIEW.00000000000000000000000000000000";

/** How a campaign's messages ended up so far. */
export interface CampaignCounts {
  recipientCount: number;
  sentCount: number;
  skippedCount: number;
  failedCount: number;
}

export const NO_COUNTS: CampaignCounts = Object.freeze({
  recipientCount: 0,
  sentCount: 0,
  skippedCount: 0,
  failedCount: 0,
});

/** The job names of the consent domain. */
export const CONSENT_JOBS = Object.freeze({
  /** Computes a campaign's recipients and writes its outbox. */
  prepareCampaign: "consent.prepareCampaign",
  /** Sends a batch of a campaign's outbox, then hands over to the next batch. */
  sendCampaign: "consent.sendCampaign",
  /** Restarts campaigns whose jobs died. */
  resumeCampaigns: "consent.resumeCampaigns",
});

/** Campaigns as staff see them: DRAFT, then SENDING (the worker's jobs), then SENT. */
export class CampaignService {
  constructor(
    private readonly jobs: JobQueue,
    private readonly mailing?: CampaignMailing,
  ) {}

  /**
   * Creates a DRAFT. `BAD_USER_INPUT` for an unknown topic, an empty or multi-line subject, or an
   * empty body. The HTML body is kept as {@link sanitiseCampaignHtml} leaves it (`null` when
   * nothing is left of it).
   */
  async create(ctx: RequestContext, draft: CampaignDraft): Promise<CampaignEntity> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.create(tx, draft));
    if (ctx.actor.kind !== "user") throw new UnauthenticatedException();
    const { subject, bodyText, bodyHtml } = checkDraft(draft, "all");
    const now = ctx.clock.now();
    const campaign: CampaignEntity = Object.assign(new CampaignEntity(), {
      id: newId(now.getTime()),
      topic: draft.topic,
      subject: subject!,
      bodyText: bodyText!,
      bodyHtml: bodyHtml ?? null,
      status: CampaignStatus.DRAFT,
      createdBy: ctx.actor.userId,
      createdAt: now,
      sendRequestedAt: null,
      preparedAt: null,
      completedAt: null,
    });
    await ctx.manager.insert(CampaignEntity, campaign);
    return campaign;
  }

  /**
   * Starts sending a DRAFT: it becomes SENDING and the worker's job is enqueued in the same
   * transaction. The recipients are computed by that job, at send time. `NOT_FOUND` for an unknown
   * id, `CONFLICT` when the campaign is not a DRAFT (any more).
   */
  async send(ctx: RequestContext, id: string): Promise<CampaignEntity> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.send(tx, id));
    return ctx.transaction(async (tx) => {
      const campaign = await this.find(tx, id);
      if (!campaign) throw new NotFoundException("Campaign");
      const now = tx.clock.now();
      // Conditional, so that two staff pressing send at once start it once.
      const started = await tx.manager
        .createQueryBuilder()
        .update(CampaignEntity)
        .set({ status: CampaignStatus.SENDING, sendRequestedAt: now })
        .where("id = :id AND status = :draft", { id, draft: CampaignStatus.DRAFT })
        .execute();
      if ((started.affected ?? 0) === 0) {
        throw notDraft();
      }
      await this.jobs.enqueue(tx, CONSENT_JOBS.prepareCampaign, { campaignId: id }, { maxAttempts: 10 });
      return Object.assign(campaign, { status: CampaignStatus.SENDING, sendRequestedAt: now });
    });
  }

  /** Campaigns, newest first, optionally only those with `status`; Relay cursors. */
  async list(ctx: RequestContext, args: PageArgs, status?: CampaignStatus | null): Promise<Connection<CampaignEntity>> {
    const query = ctx.manager.createQueryBuilder(CampaignEntity, "c");
    if (status) {
      if (!Object.values(CampaignStatus).includes(status)) {
        const checks = new FieldChecks();
        checks.fail("status", "is not a campaign status");
        checks.throwIfAny();
      }
      query.where("c.status = :status", { status });
    }
    return paginate(query, args, "DESC");
  }

  /**
   * Changes a DRAFT: only the fields given, checked as `create` checks them. `NOT_FOUND` for an
   * unknown id; `CAMPAIGN_NOT_DRAFT` (CONFLICT) once sending has started, since what was sent
   * cannot change: the update is conditional on the status, so it never races a send.
   */
  async update(ctx: RequestContext, id: string, changes: CampaignChanges): Promise<CampaignEntity> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.update(tx, id, changes));
    if (ctx.actor.kind !== "user") throw new UnauthenticatedException();
    const campaign = await this.find(ctx, id);
    if (!campaign) throw new NotFoundException("Campaign");
    const checked = checkDraft(changes, "given");
    const set: Partial<CampaignEntity> = {};
    if (changes.topic !== undefined) set.topic = changes.topic;
    if (checked.subject !== undefined) set.subject = checked.subject;
    if (checked.bodyText !== undefined) set.bodyText = checked.bodyText;
    if (checked.bodyHtml !== undefined) set.bodyHtml = checked.bodyHtml;
    if (campaign.status !== CampaignStatus.DRAFT) throw notDraft();
    if (Object.keys(set).length === 0) return campaign;
    const updated = await ctx.manager
      .createQueryBuilder()
      .update(CampaignEntity)
      .set(set)
      .where("id = :id AND status = :draft", { id, draft: CampaignStatus.DRAFT })
      .execute();
    if ((updated.affected ?? 0) === 0) throw notDraft();
    return Object.assign(campaign, set);
  }

  /**
   * The message as a recipient gets it, footer, unsubscribe link and preference link included,
   * for a recipient who ticked the topic or (`softOptIn`) one who has the policy's soft opt-in.
   * The links carry a placeholder token (no recipient's token is made or shown). Changes nothing.
   */
  async preview(ctx: RequestContext, id: string, softOptIn = false): Promise<CampaignMessageView> {
    const campaign = await this.find(ctx, id);
    if (!campaign) throw new NotFoundException("Campaign");
    const mail = this.requireMailing().mailer.composeMarketing(
      campaign.id,
      { name: "Recipient", address: "recipient@example.com" },
      { ...campaign, bodyHtml: sanitiseCampaignHtml(campaign.bodyHtml) },
      PREVIEW_TOKEN,
      { preferencesToken: PREVIEW_TOKEN, softOptIn },
    );
    return viewOf(mail);
  }

  /**
   * Sends the campaign once to the signed-in staff member's own address, now, as a recipient
   * gets it (their own unsubscribe and preference links), the subject marked `[Test]`. Nobody
   * else can be named. Counts nothing in the campaign's outbox; works in any status.
   */
  async sendTest(ctx: RequestContext, id: string): Promise<CampaignMessageView> {
    const { userId } = requireUser(ctx);
    const { mailer, unsubscribe } = this.requireMailing();
    const campaign = await this.find(ctx, id);
    if (!campaign) throw new NotFoundException("Campaign");
    const staff = await ctx.manager.findOneBy(UserEntity, { id: userId });
    if (!staff || staff.closedAt) throw new UnauthenticatedException();
    const links = await ctx.transaction((tx) => unsubscribe.linksFor(tx, userId, campaign.topic));
    const mail = mailer.composeMarketing(
      newId(ctx.clock.now().getTime()),
      { name: staff.name, address: staff.email },
      { ...campaign, subject: `[Test] ${campaign.subject}`, bodyHtml: sanitiseCampaignHtml(campaign.bodyHtml) },
      links.unsubscribe,
      { preferencesToken: links.preferences },
    );
    await mailer.transport.send(mail);
    return viewOf(mail);
  }

  /** How many would get a campaign on `topic` if it were sent now (granted, open, not suppressed). */
  async eligibleCount(ctx: RequestContext, topic: Topic): Promise<number> {
    return (await this.requireMailing().sender.eligibleRecipients(ctx, topic)).length;
  }

  private requireMailing(): CampaignMailing {
    if (!this.mailing) throw new Error("CampaignService was built without its mailer");
    return this.mailing;
  }

  async find(ctx: RequestContext, id: string): Promise<CampaignEntity | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    return ctx.manager.findOneBy(CampaignEntity, { id });
  }

  /** The counts of each campaign among `ids`, from its outbox. */
  async counts(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, CampaignCounts>> {
    const result = new Map<string, CampaignCounts>();
    if (ids.length === 0) return result;
    const rows = await ctx.manager
      .createQueryBuilder(OutboxMessageEntity, "o")
      .select("o.campaignId", "campaignId")
      .addSelect("o.status", "status")
      .addSelect("COUNT(*)", "count")
      .where({ campaignId: In([...ids]) })
      .groupBy("o.campaignId")
      .addGroupBy("o.status")
      .getRawMany<{ campaignId: string; status: OutboxStatus; count: number | string }>();
    for (const { campaignId, status, count } of rows) {
      const counts = result.get(campaignId) ?? { ...NO_COUNTS };
      const n = Number(count);
      counts.recipientCount += n;
      if (status === OutboxStatus.SENT) counts.sentCount += n;
      else if (status === OutboxStatus.SKIPPED) counts.skippedCount += n;
      else if (status === OutboxStatus.FAILED) counts.failedCount += n;
      result.set(campaignId, counts);
    }
    return result;
  }
}

function notDraft(): ConsentException {
  return new ConsentException(
    ConsentErrorCode.CAMPAIGN_NOT_DRAFT,
    "This campaign has been sent (or is being sent): it can no longer change.",
  );
}

function viewOf(mail: OutgoingMail): CampaignMessageView {
  return {
    to: mail.to.address,
    subject: mail.subject,
    text: mail.text,
    html: mail.html ?? null,
    listUnsubscribe: mail.headers?.["List-Unsubscribe"] ?? "",
  };
}

/**
 * Checks a draft's fields (`all`: every one is required, as when creating; `given`: only those
 * present, as when updating) and returns them cleaned: the subject trimmed, the HTML sanitised
 * (`null` when nothing is left). `BAD_USER_INPUT` naming each bad field.
 */
function checkDraft(
  draft: CampaignChanges,
  which: "all" | "given",
): { subject?: string; bodyText?: string; bodyHtml?: string | null } {
  const checks = new FieldChecks();
  const out: { subject?: string; bodyText?: string; bodyHtml?: string | null } = {};
  const wants = (value: unknown) => which === "all" || value !== undefined;
  if (wants(draft.topic) && !TOPICS.includes(draft.topic as Topic)) checks.fail("input.topic", "is not a topic");
  if (wants(draft.subject)) {
    const subject = (draft.subject ?? "").trim();
    if (subject === "") checks.fail("input.subject", "must not be empty");
    else if (subject.length > CAMPAIGN_LIMITS.subject) {
      checks.fail("input.subject", `must be at most ${CAMPAIGN_LIMITS.subject} characters`);
    } else if (/[\p{Cc}]/u.test(subject)) checks.fail("input.subject", "must be one line of text");
    out.subject = subject;
  }
  if (wants(draft.bodyText)) {
    const bodyText = draft.bodyText ?? "";
    if (bodyText.trim() === "") checks.fail("input.bodyText", "must not be empty");
    else if (Buffer.byteLength(bodyText, "utf8") > CAMPAIGN_LIMITS.bodyBytes) {
      checks.fail("input.bodyText", `must be at most ${CAMPAIGN_LIMITS.bodyBytes} bytes`);
    }
    out.bodyText = bodyText;
  }
  if (wants(draft.bodyHtml)) {
    // Sanitised here, so that what staff see back, what is stored and what is sent are the same.
    if (Buffer.byteLength(draft.bodyHtml ?? "", "utf8") > CAMPAIGN_LIMITS.bodyBytes) {
      checks.fail("input.bodyHtml", `must be at most ${CAMPAIGN_LIMITS.bodyBytes} bytes`);
    } else {
      const bodyHtml = sanitiseCampaignHtml(draft.bodyHtml);
      // Escaping can lengthen what is left.
      if (bodyHtml && Buffer.byteLength(bodyHtml, "utf8") > CAMPAIGN_LIMITS.bodyBytes) {
        checks.fail("input.bodyHtml", `must be at most ${CAMPAIGN_LIMITS.bodyBytes} bytes once sanitised`);
      }
      out.bodyHtml = bodyHtml;
    }
  }
  checks.throwIfAny();
  return out;
}
