import {
  Channel,
  HotReads,
  JobEntity,
  JobStatus,
  newId,
  randomToken,
  type ClaimedJob,
  type JobQueue,
  type Logger,
  type RequestContext,
  type Topic,
} from "@honour/platform";
import { UserEntity } from "@honour/users";
import { In, IsNull, type DataSource, type EntityTarget, type ObjectLiteral } from "typeorm";
import { identifierOf } from "../consent-keys";
import { MailDeliveryError } from "../mail/mail-transport";
import type { Mailer, MarketingTemplate } from "../mail/mailer.service";
import { ConsentMethod } from "../preference/consent-event.entity";
import { ConsentPreferenceEntity } from "../preference/consent-preference.entity";
import { SuppressionReason } from "../suppression/suppression.entity";
import type { SuppressionService } from "../suppression/suppression.service";
import type { UnsubscribeService } from "../unsubscribe/unsubscribe.service";
import { sanitiseCampaignHtml } from "./campaign-html";
import { CampaignEntity, CampaignStatus } from "./campaign.entity";
import { CONSENT_JOBS } from "./campaign.service";
import { OutboxMessageEntity, OutboxOutcome, OutboxStatus } from "./outbox-message.entity";
import { UnsubscribeTokenEntity } from "../unsubscribe/unsubscribe-token.entity";

export interface CampaignSenderOptions {
  /** Messages per job; a stopping worker finishes at most one batch (default 500). */
  batchSize?: number;
  /** Delivery attempts per message on temporary SMTP errors (default 3). */
  maxDeliveryAttempts?: number;
  /** How soon to look again at messages another worker is still sending (default 30 s). */
  sendingRecheckMs?: number;
  /**
   * The in-flight window, `CAMPAIGN_MAX_IN_FLIGHT` (default {@link DEFAULT_CAMPAIGN_CONCURRENCY}):
   * messages handed to the SMTP server and not yet marked SENT. They are claimed, checked
   * (consent, suppression, account) and sent in waves of half this many, two waves overlapping,
   * so the database's round trips hide behind the SMTP server's. An opt-out that commits while a
   * wave is in flight stops every message of the later waves; a worker that dies leaves at most
   * this many messages that may have been delivered to be sent again.
   */
  concurrency?: number;
}

/** Messages in flight at once by default: enough to keep a few SMTP connections busy. */
export const DEFAULT_CAMPAIGN_CONCURRENCY = 64;
/** Waves in flight at once: one is being checked or marked in the database while the other is sent. */
const LANES = 2;

/** A claimed message and what its check before sending needs. */
interface ClaimedMessage {
  id: string;
  userId: string;
  /** Attempts counted, this one included. */
  attempts: number;
  /** Null when the account is gone. */
  email: string | null;
  name: string;
  closed: boolean;
  granted: boolean;
  softOptIn: boolean;
  /** The account's unsubscribe token row for the campaign's topic, when it exists. */
  tokenId: string | null;
}

/** A claimed row as the wave's read returns it (MySQL and SQLite differ in types). */
interface ClaimedRow {
  id: string;
  userId: string;
  attempts: number | string;
  email: string | null;
  name: string | null;
  closedAt: Date | string | null;
  granted: boolean | number | string | null;
  method: string | null;
  tokenId: string | null;
}

/** Rows per INSERT when writing an outbox. */
const INSERT_CHUNK = 500;

/**
 * The worker's side of campaigns. `prepare` computes the recipients at send time (granted, not
 * suppressed, account open) and writes one outbox row each, all in one transaction. `sendBatch`
 * claims rows a wave at a time (PENDING -> SENDING, a conditional update that only one worker
 * wins), checks consent, the suppression list and the account again just before the wave goes,
 * sends its messages at once over the pooled SMTP connections, marks those the server accepted
 * SENT in one statement, and hands the rest of the campaign to a new job. Every recipient gets the message: a row left SENDING by a job
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
  /** The wave's statements, as plain SQL built once per data source and wave size. */
  private readonly sql = new HotReads();

  constructor(
    private readonly jobs: JobQueue,
    private readonly suppressions: SuppressionService,
    private readonly unsubscribe: UnsubscribeService,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    options: CampaignSenderOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.maxDeliveryAttempts = options.maxDeliveryAttempts ?? 3;
    this.sendingRecheckMs = options.sendingRecheckMs ?? 30_000;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CAMPAIGN_CONCURRENCY);
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

      const candidates = await this.eligibleRecipients(tx, campaign.topic);
      await this.unsubscribe.ensureTokens(tx, candidates, campaign.topic);
      // Plain multi-row INSERTs: TypeORM's insert builder spent more per row than the send itself.
      const { dataSource } = tx;
      for (let i = 0; i < candidates.length; i += INSERT_CHUNK) {
        const chunk = candidates.slice(i, i + INSERT_CHUNK);
        const sql = this.sql.statement(dataSource, `outbox:${chunk.length}`, () => {
          const o = this.names(dataSource).outbox;
          return (
            `INSERT INTO ${o.table} (${o.id}, ${o.campaignId}, ${o.userId}, ${o.status}, ${o.attempts}) VALUES ` +
            chunk.map(() => "(?, ?, ?, ?, 0)").join(", ")
          );
        });
        await tx.manager.query(
          sql,
          chunk.flatMap((userId) => [newId(now.getTime()), campaignId, userId, OutboxStatus.PENDING]),
        );
      }
      if (candidates.length === 0) await this.complete(tx, campaignId);
      else await this.jobs.enqueue(tx, CONSENT_JOBS.sendCampaign, { campaignId }, { maxAttempts: 10 });
      this.logger.info(
        { event: "consent.campaign.prepared", campaignId, recipients: candidates.length },
        "campaign prepared",
      );
    });
  }

  /**
   * The accounts a campaign on `topic` would go to now: granted by email, account open, address not
   * suppressed. `prepare` writes their outbox; staff see their number before sending.
   */
  async eligibleRecipients(ctx: RequestContext, topic: Topic): Promise<string[]> {
    const { dataSource } = ctx;
    const sql = this.sql.statement(dataSource, "eligible", () => {
      const { preference: p, user: u } = this.names(dataSource);
      return (
        `SELECT p.${p.userId} AS userId, u.${u.email} AS email FROM ${p.table} p ` +
        `INNER JOIN ${u.table} u ON u.${u.id} = p.${p.userId} ` +
        `WHERE p.${p.topic} = ? AND p.${p.channel} = ? AND p.${p.granted} = 1 AND u.${u.closedAt} IS NULL`
      );
    });
    const granted: { userId: string; email: string }[] = await ctx.manager.query(sql, [topic, Channel.EMAIL]);
    const candidates = granted.map((p) => ({ userId: p.userId, hash: this.emailHash(p.email) }));
    const suppressed = await this.suppressions.suppressedAmong(
      ctx,
      Channel.EMAIL,
      candidates.map((c) => c.hash),
    );
    return candidates.filter((c) => !suppressed.has(c.hash)).map((c) => c.userId);
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
      select: { id: true },
      where: { campaignId, status: OutboxStatus.PENDING },
      order: { id: "ASC" },
      take: this.batchSize,
    });
    await this.sendAll(
      ctx,
      campaign,
      pending.map((m) => m.id),
      runId,
    );
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

  /**
   * Sends a batch in waves of up to {@link concurrency} / {@link LANES} messages, {@link LANES}
   * waves at a time. A temporary failure stops the waves not yet begun (their messages stay
   * PENDING) and is rethrown once the waves in flight have finished, so the job is retried.
   */
  private async sendAll(ctx: RequestContext, campaign: CampaignEntity, ids: string[], runId: string): Promise<void> {
    const template = this.mailer.marketingTemplate(campaign);
    const lanes = Math.min(LANES, this.concurrency);
    const waveSize = Math.max(1, Math.floor(this.concurrency / lanes));
    let next = 0;
    let failure: { error: unknown } | undefined;
    const lane = async () => {
      while (next < ids.length && !failure) {
        const wave = ids.slice(next, next + waveSize);
        next += wave.length;
        try {
          await this.sendWave(ctx, campaign, template, wave, runId);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    if (failure) throw failure.error;
  }

  /** Claims, checks, sends and marks one wave. */
  private async sendWave(
    ctx: RequestContext,
    campaign: CampaignEntity,
    template: MarketingTemplate,
    ids: string[],
    runId: string,
  ): Promise<void> {
    const claimed = await this.claim(ctx, campaign, ids, runId);
    if (claimed.length === 0) return; // other workers have them

    // Consent, again, just before sending: an opt-out committed since the outbox was written wins.
    const hashes = claimed.map((m) => (m.email === null ? null : this.emailHash(m.email)));
    const suppressed = await this.suppressions.suppressedAmong(
      ctx,
      Channel.EMAIL,
      hashes.filter((h): h is string => h !== null),
    );
    const skipped = new Map<OutboxOutcome, string[]>();
    const toSend: ClaimedMessage[] = [];
    for (const [i, message] of claimed.entries()) {
      const skip =
        message.email === null || message.closed
          ? OutboxOutcome.ACCOUNT_CLOSED
          : !message.granted
            ? OutboxOutcome.WITHDRAWN
            : suppressed.has(hashes[i]!)
              ? OutboxOutcome.SUPPRESSED
              : null;
      if (skip) skipped.set(skip, [...(skipped.get(skip) ?? []), message.id]);
      else toSend.push(message);
    }
    for (const [outcome, skippedIds] of skipped)
      await this.finish(ctx, skippedIds, runId, OutboxStatus.SKIPPED, outcome);
    if (toSend.length === 0) return;

    // Tokens were made when the outbox was written; one made since (or lost) is made now.
    const links = new Map(
      toSend
        .filter((m) => m.tokenId !== null)
        .map((m) => [m.userId, this.unsubscribe.linksOf({ id: m.tokenId!, userId: m.userId, topic: campaign.topic })]),
    );
    const missing = toSend.filter((m) => !links.has(m.userId)).map((m) => m.userId);
    if (missing.length > 0) {
      for (const [userId, link] of await this.unsubscribe.linksForMany(ctx, missing, campaign.topic))
        links.set(userId, link);
    }

    const results = await Promise.allSettled(
      toSend.map((message) => {
        const link = links.get(message.userId)!;
        return this.mailer.transport.send(
          template.compose(message.id, { name: message.name, address: message.email! }, link.unsubscribe, {
            preferencesToken: link.preferences,
            softOptIn: message.softOptIn,
          }),
        );
      }),
    );
    // Marked SENT only now, after the server accepted them: a worker dying before this line
    // leaves them SENDING, and they go again under the same Message-ID.
    const sent = toSend.filter((_, i) => results[i]!.status === "fulfilled").map((m) => m.id);
    await this.finish(ctx, sent, runId, OutboxStatus.SENT, null, ctx.clock.now());

    let temporary: { error: unknown } | undefined;
    for (const [i, result] of results.entries()) {
      if (result.status === "fulfilled") continue;
      const message = toSend[i]!;
      const error: unknown = result.reason;
      const permanent = error instanceof MailDeliveryError && error.permanent;
      this.logger.warn(
        {
          event: "consent.campaign.deliveryFailed",
          campaignId: campaign.id,
          messageId: message.id,
          permanent,
          err: error,
        },
        "a campaign message was not accepted",
      );
      if (permanent) {
        await this.finish(ctx, [message.id], runId, OutboxStatus.FAILED, OutboxOutcome.REJECTED);
        await this.suppressions.suppress(ctx, {
          channel: Channel.EMAIL,
          identifier: identifierOf(Channel.EMAIL, { email: message.email! } as UserEntity)!,
          reason: SuppressionReason.BOUNCED,
          userId: message.userId,
        });
        continue;
      }
      temporary ??= { error };
      if (message.attempts >= this.maxDeliveryAttempts) {
        await this.finish(ctx, [message.id], runId, OutboxStatus.FAILED, OutboxOutcome.SMTP_ERROR);
      } else {
        await this.putBack(ctx, [message.id], runId);
      }
    }
    if (temporary) throw temporary.error;
  }

  /**
   * PENDING -> SENDING for the wave's messages that no other worker took, counting the attempt,
   * then the won messages with what their check needs: the account (gone, closed), whether it
   * still grants the campaign's topic by email, and its unsubscribe token, read in one query.
   * Plain SQL built once per wave size: TypeORM's query building was a fifth of the sender's CPU.
   */
  private async claim(
    ctx: RequestContext,
    campaign: CampaignEntity,
    ids: string[],
    runId: string,
  ): Promise<ClaimedMessage[]> {
    const { dataSource } = ctx;
    const marks = ids.map(() => "?").join(", ");
    const update = this.sql.statement(dataSource, `claim:${ids.length}`, () => {
      const o = this.names(dataSource).outbox;
      return (
        `UPDATE ${o.table} SET ${o.status} = ?, ${o.claimedBy} = ?, ${o.claimedAt} = ?, ` +
        `${o.attempts} = ${o.attempts} + 1 WHERE ${o.status} = ? AND ${o.id} IN (${marks})`
      );
    });
    await ctx.manager.query(update, [
      OutboxStatus.SENDING,
      runId,
      this.dateParameter(dataSource, ctx.clock.now()),
      OutboxStatus.PENDING,
      ...ids,
    ]);
    const select = this.sql.statement(dataSource, `claimed:${ids.length}`, () => {
      const { outbox: o, user: u, preference: p, token: t } = this.names(dataSource);
      return (
        `SELECT o.${o.id} AS id, o.${o.userId} AS userId, o.${o.attempts} AS attempts, u.${u.email} AS email, ` +
        `u.${u.name} AS name, u.${u.closedAt} AS closedAt, p.${p.granted} AS granted, p.${p.method} AS method, ` +
        `t.${t.id} AS tokenId FROM ${o.table} o ` +
        `LEFT JOIN ${u.table} u ON u.${u.id} = o.${o.userId} ` +
        `LEFT JOIN ${p.table} p ON p.${p.userId} = o.${o.userId} AND p.${p.topic} = ? AND p.${p.channel} = ? ` +
        `LEFT JOIN ${t.table} t ON t.${t.userId} = o.${o.userId} AND t.${t.topic} = ? ` +
        `WHERE o.${o.claimedBy} = ? AND o.${o.status} = ? AND o.${o.id} IN (${marks}) ORDER BY o.${o.id}`
      );
    });
    const rows: ClaimedRow[] = await ctx.manager.query(select, [
      campaign.topic,
      Channel.EMAIL,
      campaign.topic,
      runId,
      OutboxStatus.SENDING,
      ...ids,
    ]);
    return rows.map((r) => ({
      id: r.id,
      userId: r.userId,
      attempts: Number(r.attempts),
      email: r.email,
      name: r.name ?? "",
      closed: r.closedAt !== null,
      // MySQL returns tinyint(1) as a number, SQLite as 0/1; neither as a boolean through a raw select.
      granted: r.granted === true || Number(r.granted) === 1,
      softOptIn: r.method === ConsentMethod.SOFT_OPT_IN,
      tokenId: r.tokenId,
    }));
  }

  /** Ends messages this run holds: SENT, SKIPPED or FAILED, in one statement. */
  private async finish(
    ctx: RequestContext,
    ids: string[],
    runId: string,
    status: OutboxStatus,
    outcome: OutboxOutcome | null,
    sentAt: Date | null = null,
  ): Promise<void> {
    if (ids.length === 0) return;
    const { dataSource } = ctx;
    const sql = this.sql.statement(dataSource, `finish:${ids.length}`, () => {
      const o = this.names(dataSource).outbox;
      return (
        `UPDATE ${o.table} SET ${o.status} = ?, ${o.outcome} = ?, ${o.sentAt} = ? ` +
        `WHERE ${o.claimedBy} = ? AND ${o.id} IN (${ids.map(() => "?").join(", ")})`
      );
    });
    await ctx.manager.query(sql, [status, outcome, sentAt && this.dateParameter(dataSource, sentAt), runId, ...ids]);
  }

  /** Back to PENDING: messages this run claimed and did not send, for a later run. */
  private async putBack(ctx: RequestContext, ids: string[], runId: string): Promise<void> {
    if (ids.length === 0) return;
    await ctx.manager.update(
      OutboxMessageEntity,
      { id: In(ids), claimedBy: runId },
      { status: OutboxStatus.PENDING, claimedBy: null, claimedAt: null },
    );
  }

  /** A Date as the driver binds it (better-sqlite3 binds no Date objects; TypeORM writes them as text). */
  private dateParameter(dataSource: DataSource, date: Date): unknown {
    const column = dataSource.getMetadata(OutboxMessageEntity).findColumnWithPropertyName("claimedAt")!;
    return dataSource.driver.preparePersistentValue(date, column);
  }

  /** Escaped table and column names of the wave's statements. */
  private names(dataSource: DataSource) {
    const { driver } = dataSource;
    const of = <T extends string>(entity: EntityTarget<ObjectLiteral>, properties: readonly T[]) => {
      const metadata = dataSource.getMetadata(entity);
      const names = { table: driver.escape(metadata.tableName) } as { table: string } & Record<T, string>;
      for (const property of properties) {
        (names as Record<string, string>)[property] = driver.escape(
          metadata.findColumnWithPropertyName(property)!.databaseName,
        );
      }
      return names;
    };
    return {
      outbox: of(OutboxMessageEntity, [
        "id",
        "campaignId",
        "userId",
        "status",
        "attempts",
        "claimedBy",
        "claimedAt",
        "sentAt",
        "outcome",
      ] as const),
      user: of(UserEntity, ["id", "email", "name", "closedAt"] as const),
      preference: of(ConsentPreferenceEntity, ["userId", "topic", "channel", "granted", "method"] as const),
      token: of(UnsubscribeTokenEntity, ["id", "userId", "topic"] as const),
    };
  }

  private emailHash(email: string): string {
    return this.suppressions.hash(Channel.EMAIL, identifierOf(Channel.EMAIL, { email } as UserEntity)!);
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
