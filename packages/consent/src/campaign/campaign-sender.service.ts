import {
  Channel,
  JobEntity,
  JobStatus,
  newId,
  randomToken,
  type ClaimedJob,
  type JobQueue,
  type Logger,
  type RequestContext,
} from "@honour/platform";
import { UserEntity } from "@honour/users";
import { In, IsNull } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { identifierOf } from "../consent-keys";
import { MailDeliveryError } from "../mail/mail-transport";
import type { Mailer } from "../mail/mailer.service";
import { ConsentPreferenceEntity } from "../preference/consent-preference.entity";
import { SuppressionReason } from "../suppression/suppression.entity";
import type { SuppressionService } from "../suppression/suppression.service";
import type { UnsubscribeService } from "../unsubscribe/unsubscribe.service";
import { sanitiseCampaignHtml } from "./campaign-html";
import { CampaignEntity, CampaignStatus } from "./campaign.entity";
import { CONSENT_JOBS } from "./campaign.service";
import { OutboxMessageEntity, OutboxOutcome, OutboxStatus } from "./outbox-message.entity";

export interface CampaignSenderOptions {
  /** Messages per job; a stopping worker finishes at most one batch (default 50). */
  batchSize?: number;
  /** Delivery attempts per message on temporary SMTP errors (default 3). */
  maxDeliveryAttempts?: number;
  /** How soon to look again at messages another worker is still sending (default 30 s). */
  sendingRecheckMs?: number;
  /**
   * Messages of a batch in flight at once (default 1). More sends faster where the database's
   * commits are slow, but a message already checked when an opt-out commits may still go out.
   */
  concurrency?: number;
}

/** Rows per INSERT when writing an outbox. */
const INSERT_CHUNK = 500;

/**
 * The worker's side of campaigns. `prepare` computes the recipients at send time (granted, not
 * suppressed, account open) and writes one outbox row each, all in one transaction. `sendBatch`
 * claims rows one at a time (PENDING -> SENDING, a conditional update that only one worker wins),
 * checks consent, the suppression list and the account again just before each message, sends it,
 * and hands the rest to a new job. Every recipient gets the message: a row left SENDING by a job
 * run that is over (its worker died, or it failed after sending) goes back to PENDING and is sent
 * again. That message may have reached the server before the run ended, so a recipient can get it
 * twice, at most once more per run that died with it in hand; both copies carry the same
 * Message-ID (the row's id), by which mail clients and servers drop the second.
 */
export class CampaignSender {
  private readonly batchSize: number;
  private readonly maxDeliveryAttempts: number;
  private readonly sendingRecheckMs: number;
  private readonly concurrency: number;

  constructor(
    private readonly jobs: JobQueue,
    private readonly suppressions: SuppressionService,
    private readonly unsubscribe: UnsubscribeService,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    options: CampaignSenderOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 50;
    this.maxDeliveryAttempts = options.maxDeliveryAttempts ?? 3;
    this.sendingRecheckMs = options.sendingRecheckMs ?? 30_000;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  /** Writes the outbox of a SENDING campaign once; does nothing when it was written before. */
  async prepare(ctx: RequestContext, campaignId: string): Promise<void> {
    await ctx.transaction(async (tx) => {
      const now = tx.clock.now();
      // Claims the preparation: a second prepare job (a retry, the resume sweep) finds it done.
      const claimed = await tx.manager
        .createQueryBuilder()
        .update(CampaignEntity)
        .set({ preparedAt: now })
        .where("id = :campaignId AND status = :sending AND preparedAt IS NULL", {
          campaignId,
          sending: CampaignStatus.SENDING,
        })
        .execute();
      if ((claimed.affected ?? 0) === 0) return;
      const campaign = await tx.manager.findOneByOrFail(CampaignEntity, { id: campaignId });

      const granted = await tx.manager
        .createQueryBuilder(ConsentPreferenceEntity, "p")
        .innerJoin("p.user", "u")
        .select(["p.userId", "p.topic", "p.channel", "u.id", "u.email"])
        .where("p.topic = :topic AND p.channel = :email AND p.granted = :granted", {
          topic: campaign.topic,
          email: Channel.EMAIL,
          granted: true,
        })
        .andWhere("u.closedAt IS NULL")
        .getMany();
      const candidates = granted.map((p) => ({
        userId: p.userId,
        hash: this.suppressions.hash(Channel.EMAIL, identifierOf(Channel.EMAIL, p.user as UserEntity)!),
      }));
      const suppressed = await this.suppressions.suppressedAmong(
        tx,
        Channel.EMAIL,
        candidates.map((c) => c.hash),
      );
      const rows = candidates
        .filter((c) => !suppressed.has(c.hash))
        .map(({ userId }) => ({
          id: newId(now.getTime()),
          campaignId,
          userId,
          status: OutboxStatus.PENDING,
          attempts: 0,
          claimedBy: null,
          claimedAt: null,
          sentAt: null,
          outcome: null,
        }));
      await this.unsubscribe.ensureTokens(
        tx,
        rows.map((r) => r.userId),
        campaign.topic,
      );
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await tx.manager
          .createQueryBuilder()
          .insert()
          .into(OutboxMessageEntity)
          .values(rows.slice(i, i + INSERT_CHUNK) as QueryDeepPartialEntity<OutboxMessageEntity>[])
          .updateEntity(false)
          .execute();
      }
      if (rows.length === 0) await this.complete(tx, campaignId);
      else await this.jobs.enqueue(tx, CONSENT_JOBS.sendCampaign, { campaignId }, { maxAttempts: 10 });
      this.logger.info(
        { event: "consent.campaign.prepared", campaignId, recipients: rows.length },
        "campaign prepared",
      );
    });
  }

  /**
   * Sends up to one batch of a campaign's pending messages, then enqueues the next batch, or
   * marks the campaign SENT when no message is left to send. Temporary SMTP errors fail the job
   * (it is retried with backoff); the message goes back to PENDING until its attempts run out.
   */
  async sendBatch(ctx: RequestContext, campaignId: string, job: Pick<ClaimedJob, "id" | "attempt">): Promise<void> {
    const stored = await ctx.manager.findOneBy(CampaignEntity, { id: campaignId });
    if (!stored || stored.status !== CampaignStatus.SENDING || !stored.preparedAt) return;
    // Sanitised when written; again here, once a batch, for rows written before that or by hand.
    const campaign: CampaignEntity = { ...stored, bodyHtml: sanitiseCampaignHtml(stored.bodyHtml) };
    // The job and its attempt name the run, so a later run can tell whether this one is over.
    const runId = `${job.id}:${job.attempt}:${randomToken(6)}`;
    await this.releaseOrphans(ctx, campaignId);
    const pending = await ctx.manager.find(OutboxMessageEntity, {
      select: { id: true, userId: true, attempts: true },
      where: { campaignId, status: OutboxStatus.PENDING },
      order: { id: "ASC" },
      take: this.batchSize,
    });
    await this.sendAll(ctx, campaign, pending, runId);
    if (pending.length === this.batchSize || (await this.countWith(ctx, campaignId, OutboxStatus.PENDING)) > 0) {
      await this.jobs.enqueue(ctx, CONSENT_JOBS.sendCampaign, { campaignId }, { maxAttempts: 10 });
      return;
    }
    // Nothing pending. A message still SENDING is in the hands of a run that is still going: look
    // again later, when it has finished, or has ended and left the message to be sent again.
    if ((await this.countWith(ctx, campaignId, OutboxStatus.SENDING)) > 0) {
      const runAt = new Date(ctx.clock.now().getTime() + this.sendingRecheckMs);
      await this.jobs.enqueue(ctx, CONSENT_JOBS.sendCampaign, { campaignId }, { maxAttempts: 10, runAt });
      return;
    }
    await this.complete(ctx, campaignId);
  }

  /**
   * Re-enqueues the work of SENDING campaigns that have no live job (it died, or was lost), so
   * that a campaign always finishes. Each job is idempotent, so a spare one does no harm.
   */
  async resume(ctx: RequestContext): Promise<number> {
    const sending = await ctx.manager.findBy(CampaignEntity, { status: CampaignStatus.SENDING });
    let resumed = 0;
    for (const campaign of sending) {
      const live = await ctx.manager
        .createQueryBuilder(JobEntity, "j")
        .where("j.name IN (:...names)", { names: [CONSENT_JOBS.prepareCampaign, CONSENT_JOBS.sendCampaign] })
        .andWhere("j.status IN (:...live)", { live: [JobStatus.PENDING, JobStatus.RUNNING] })
        .andWhere("j.payload LIKE :payload", { payload: `%${campaign.id}%` })
        .getCount();
      if (live > 0) continue;
      const name = campaign.preparedAt ? CONSENT_JOBS.sendCampaign : CONSENT_JOBS.prepareCampaign;
      await this.jobs.enqueue(ctx, name, { campaignId: campaign.id }, { maxAttempts: 10 });
      resumed += 1;
    }
    if (resumed > 0)
      this.logger.warn({ event: "consent.campaign.resumed", resumed }, "resumed campaigns without a job");
    return resumed;
  }

  /**
   * Puts back to PENDING the messages claimed by job runs that are over: the claiming job is
   * gone, no longer RUNNING, or running a later attempt (it was freed after its worker died and
   * taken again). A run that is still going keeps its messages, so a slow send is not doubled.
   */
  private async releaseOrphans(ctx: RequestContext, campaignId: string): Promise<void> {
    const claimed = await ctx.manager.find(OutboxMessageEntity, {
      select: { id: true, claimedBy: true },
      where: { campaignId, status: OutboxStatus.SENDING },
    });
    if (claimed.length === 0) return;
    const runOf = (claimedBy: string | null) => {
      const [jobId = "", attempt = ""] = (claimedBy ?? "").split(":");
      return { jobId, attempt: Number(attempt) };
    };
    const jobIds = [...new Set(claimed.map((m) => runOf(m.claimedBy).jobId))];
    const running = await ctx.manager.find(JobEntity, {
      select: { id: true, attempts: true },
      where: { id: In(jobIds), status: JobStatus.RUNNING },
    });
    const liveAttempt = new Map(running.map((j) => [j.id, j.attempts]));
    for (const message of claimed) {
      const run = runOf(message.claimedBy);
      if (liveAttempt.get(run.jobId) === run.attempt) continue;
      const released = await ctx.manager.update(
        OutboxMessageEntity,
        { id: message.id, status: OutboxStatus.SENDING, claimedBy: message.claimedBy ?? IsNull() },
        { status: OutboxStatus.PENDING, claimedBy: null, claimedAt: null },
      );
      if ((released.affected ?? 0) > 0) {
        this.logger.warn(
          { event: "consent.campaign.resending", campaignId, messageId: message.id },
          "a message whose run ended mid-send goes out again, with the same Message-ID",
        );
      }
    }
  }

  private async sendOne(
    ctx: RequestContext,
    campaign: CampaignEntity,
    { id, userId, attempts }: Pick<OutboxMessageEntity, "id" | "userId" | "attempts">,
    runId: string,
  ): Promise<void> {
    const claimed = await ctx.manager
      .createQueryBuilder()
      .update(OutboxMessageEntity)
      .set({
        status: OutboxStatus.SENDING,
        claimedBy: runId,
        claimedAt: ctx.clock.now(),
        attempts: () => "attempts + 1",
      })
      // Unchanged since the batch was read, so the attempt counted here is the one that runs.
      .where("id = :id AND status = :pending AND attempts = :attempts", { id, pending: OutboxStatus.PENDING, attempts })
      .execute();
    if ((claimed.affected ?? 0) === 0) return; // another worker has it
    const attempt = attempts + 1;
    const finish = (status: OutboxStatus, outcome: OutboxOutcome | null, sentAt: Date | null = null) =>
      ctx.manager.update(OutboxMessageEntity, { id, claimedBy: runId }, { status, outcome, sentAt });

    // Consent, again, just before sending: an opt-out committed since the outbox was written wins.
    const recipient = await this.recipient(ctx, userId, campaign);
    const user = recipient?.user;
    const email = user ? identifierOf(Channel.EMAIL, user)! : "";
    const skip =
      !user || user.closedAt
        ? OutboxOutcome.ACCOUNT_CLOSED
        : !recipient!.granted
          ? OutboxOutcome.WITHDRAWN
          : (await this.suppressions.isSuppressed(ctx, Channel.EMAIL, email))
            ? OutboxOutcome.SUPPRESSED
            : null;
    if (skip) {
      await finish(OutboxStatus.SKIPPED, skip);
      return;
    }

    const token = await this.unsubscribe.tokenFor(ctx, user!.id, campaign.topic);
    const mail = this.mailer.composeMarketing(id, { name: user!.name, address: user!.email }, campaign, token);
    try {
      await this.mailer.transport.send(mail);
    } catch (error) {
      const permanent = error instanceof MailDeliveryError && error.permanent;
      this.logger.warn(
        { event: "consent.campaign.deliveryFailed", campaignId: campaign.id, messageId: id, permanent, err: error },
        "a campaign message was not accepted",
      );
      if (permanent) {
        await finish(OutboxStatus.FAILED, OutboxOutcome.REJECTED);
        await this.suppressions.suppress(ctx, {
          channel: Channel.EMAIL,
          identifier: email,
          reason: SuppressionReason.BOUNCED,
          userId: user!.id,
        });
        return;
      }
      if (attempt >= this.maxDeliveryAttempts) await finish(OutboxStatus.FAILED, OutboxOutcome.SMTP_ERROR);
      else {
        await ctx.manager.update(
          OutboxMessageEntity,
          { id, claimedBy: runId },
          { status: OutboxStatus.PENDING, claimedBy: null, claimedAt: null },
        );
      }
      throw error;
    }
    await finish(OutboxStatus.SENT, null, ctx.clock.now());
  }

  /** Sends a batch, {@link concurrency} at a time; the first failure stops the rest and is rethrown. */
  private async sendAll(
    ctx: RequestContext,
    campaign: CampaignEntity,
    messages: Pick<OutboxMessageEntity, "id" | "userId" | "attempts">[],
    runId: string,
  ): Promise<void> {
    const queue = [...messages];
    let failure: { error: unknown } | undefined;
    const lane = async () => {
      for (let next = queue.shift(); next && !failure; next = queue.shift()) {
        try {
          await this.sendOne(ctx, campaign, next, runId);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, lane));
    if (failure) throw failure.error;
  }

  /** The account and whether it still grants the campaign's topic by email, read in one query. */
  private async recipient(
    ctx: RequestContext,
    userId: string,
    campaign: CampaignEntity,
  ): Promise<{ user: UserEntity; granted: boolean } | null> {
    const { entities, raw } = await ctx.manager
      .createQueryBuilder(UserEntity, "u")
      .leftJoin(ConsentPreferenceEntity, "p", "p.userId = u.id AND p.topic = :topic AND p.channel = :email", {
        topic: campaign.topic,
        email: Channel.EMAIL,
      })
      .addSelect("p.granted", "granted")
      .where("u.id = :userId", { userId })
      .getRawAndEntities<{ granted: boolean | number | string | null }>();
    const user = entities[0];
    if (!user) return null;
    const granted = raw[0]?.granted;
    // MySQL returns tinyint(1) as a number, SQLite as 0/1; neither as a boolean through a raw select.
    return { user, granted: granted === true || Number(granted) === 1 };
  }

  private countWith(ctx: RequestContext, campaignId: string, status: OutboxStatus): Promise<number> {
    return ctx.manager.countBy(OutboxMessageEntity, { campaignId, status });
  }

  private async complete(ctx: RequestContext, campaignId: string): Promise<void> {
    const done = await ctx.manager.update(
      CampaignEntity,
      { id: campaignId, status: CampaignStatus.SENDING },
      { status: CampaignStatus.SENT, completedAt: ctx.clock.now() },
    );
    if ((done.affected ?? 0) > 0) {
      const counts = await ctx.manager
        .createQueryBuilder(OutboxMessageEntity, "o")
        .select("o.status", "status")
        .addSelect("COUNT(*)", "count")
        .where({ campaignId, status: In([OutboxStatus.SENT, OutboxStatus.SKIPPED, OutboxStatus.FAILED]) })
        .groupBy("o.status")
        .getRawMany<{ status: string; count: string | number }>();
      this.logger.info(
        {
          event: "consent.campaign.sent",
          campaignId,
          ...Object.fromEntries(counts.map((c) => [c.status.toLowerCase(), Number(c.count)])),
        },
        "campaign sent",
      );
    }
  }
}
