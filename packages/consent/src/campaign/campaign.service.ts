import {
  FieldChecks,
  newId,
  NotFoundException,
  TOPICS,
  UnauthenticatedException,
  type JobQueue,
  type RequestContext,
  type Topic,
} from "@honour/platform";
import { In } from "typeorm";
import { ConsentErrorCode, ConsentException } from "../consent.exception";
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
  constructor(private readonly jobs: JobQueue) {}

  /**
   * Creates a DRAFT. `BAD_USER_INPUT` for an unknown topic, an empty or multi-line subject, or an
   * empty body. The HTML body is kept as {@link sanitiseCampaignHtml} leaves it (`null` when
   * nothing is left of it).
   */
  async create(ctx: RequestContext, draft: CampaignDraft): Promise<CampaignEntity> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.create(tx, draft));
    if (ctx.actor.kind !== "user") throw new UnauthenticatedException();
    const checks = new FieldChecks();
    if (!TOPICS.includes(draft.topic)) checks.fail("input.topic", "is not a topic");
    const subject = (draft.subject ?? "").trim();
    if (subject === "") checks.fail("input.subject", "must not be empty");
    else if (subject.length > CAMPAIGN_LIMITS.subject) {
      checks.fail("input.subject", `must be at most ${CAMPAIGN_LIMITS.subject} characters`);
    } else if (/[\p{Cc}]/u.test(subject)) checks.fail("input.subject", "must be one line of text");
    const bodyText = draft.bodyText ?? "";
    if (bodyText.trim() === "") checks.fail("input.bodyText", "must not be empty");
    else if (Buffer.byteLength(bodyText, "utf8") > CAMPAIGN_LIMITS.bodyBytes) {
      checks.fail("input.bodyText", `must be at most ${CAMPAIGN_LIMITS.bodyBytes} bytes`);
    }
    // Sanitised here, so that what staff see back, what is stored and what is sent are the same.
    let bodyHtml: string | null = null;
    if (Buffer.byteLength(draft.bodyHtml ?? "", "utf8") > CAMPAIGN_LIMITS.bodyBytes) {
      checks.fail("input.bodyHtml", `must be at most ${CAMPAIGN_LIMITS.bodyBytes} bytes`);
    } else {
      bodyHtml = sanitiseCampaignHtml(draft.bodyHtml);
      // Escaping can lengthen what is left.
      if (bodyHtml && Buffer.byteLength(bodyHtml, "utf8") > CAMPAIGN_LIMITS.bodyBytes) {
        checks.fail("input.bodyHtml", `must be at most ${CAMPAIGN_LIMITS.bodyBytes} bytes once sanitised`);
      }
    }
    checks.throwIfAny();

    const now = ctx.clock.now();
    const campaign: CampaignEntity = Object.assign(new CampaignEntity(), {
      id: newId(now.getTime()),
      topic: draft.topic,
      subject,
      bodyText,
      bodyHtml,
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
        throw new ConsentException(ConsentErrorCode.CAMPAIGN_NOT_DRAFT, "This campaign has been sent already.");
      }
      await this.jobs.enqueue(tx, CONSENT_JOBS.prepareCampaign, { campaignId: id }, { maxAttempts: 10 });
      return Object.assign(campaign, { status: CampaignStatus.SENDING, sendRequestedAt: now });
    });
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
