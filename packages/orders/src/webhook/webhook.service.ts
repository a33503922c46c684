import {
  enqueueTransactionalMail,
  newId,
  NotFoundException,
  paginate,
  SecurityEventKind,
  type Connection,
  type JobQueue,
  type Logger,
  type PageArgs,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import { In } from "typeorm";
import { FieldChecks } from "../field-checks";
import { ID_PATTERN } from "../order/order-access";
import { PartnerEntity } from "../partner/partner.entity";
import { WebhookDeliveryEntity, WebhookDeliveryStatus, webhookMessageId } from "./webhook-delivery.entity";
import {
  decodeEventTypes,
  encodeEventTypes,
  WEBHOOK_EVENT_TYPES,
  WebhookEndpointEntity,
  type WebhookEventType,
} from "./webhook-endpoint.entity";
import { newWebhookSecret, signWebhook, type WebhookSecretBox } from "./webhook-secret";
import { sendWebhook, type WebhookAttemptOutcome } from "./webhook-sender";
import type { WebhookSettings } from "./webhook-settings";
import { WEBHOOK_URL_MAX, webhookUrlProblem } from "./webhook-url";

/** The job that makes one attempt at one delivery (payload: `{ deliveryId }`). */
export const DELIVER_WEBHOOK_JOB = "orders.deliverWebhook";

/** How long a rotated-out webhook secret keeps signing beside the new one: 24 hours. */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** A new endpoint, as an administrator asks for it. */
export interface WebhookEndpointDraft {
  partnerId: string;
  url: string;
  eventTypes: readonly WebhookEventType[];
  /** Default true. */
  enabled?: boolean | null;
}

/** A change to an endpoint; what is left out stays. */
export interface WebhookEndpointPatch {
  url?: string | null;
  eventTypes?: readonly WebhookEventType[] | null;
  enabled?: boolean | null;
}

/** An endpoint with its secret: the answer to creation and rotation, the only ones that show it. */
export interface WebhookEndpointWithSecret {
  endpoint: WebhookEndpointEntity;
  secret: string;
}

/** The body of every webhook: Standard Webhooks' recommended envelope. */
export interface WebhookBody {
  type: WebhookEventType;
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * Partners' webhook endpoints, the events they receive, and delivering them. Events are written
 * (a delivery row and its job) in the transaction of the change that causes them, so none is lost
 * and none is sent for a change that rolled back; the worker then delivers each at least once,
 * with the same `webhook-id`, retrying with exponential back-off for `WEBHOOK_RETRY_FOR_MS`.
 */
export class WebhookService {
  constructor(
    private readonly box: WebhookSecretBox,
    private readonly settings: WebhookSettings,
    private readonly jobs: JobQueue,
    private readonly securityLog: SecurityLog,
    private readonly logger: Logger,
  ) {}

  // ---- administration -------------------------------------------------------------------------

  /**
   * Adds an endpoint to a partner; the answer holds its secret, never shown again. `NOT_FOUND`
   * for an unknown partner, `BAD_USER_INPUT` for a URL that is not http(s), points at a private or
   * local address, or for no event types.
   */
  async createEndpoint(outer: RequestContext, draft: WebhookEndpointDraft): Promise<WebhookEndpointWithSecret> {
    const checks = new FieldChecks();
    const url = this.checkUrl(checks, "input.url", draft.url);
    const eventTypes = this.checkEventTypes(checks, "input.eventTypes", draft.eventTypes);
    if (!ID_PATTERN.test(draft.partnerId)) throw new NotFoundException("Partner");
    checks.throwIfAny();
    return outer.transaction(async (ctx) => {
      if (!(await ctx.manager.existsBy(PartnerEntity, { id: draft.partnerId }))) throw new NotFoundException("Partner");
      const now = ctx.clock.now();
      const id = newId(now.getTime());
      const secret = newWebhookSecret();
      const enabled = draft.enabled ?? true;
      const endpoint: WebhookEndpointEntity = Object.assign(new WebhookEndpointEntity(), {
        id,
        partnerId: draft.partnerId,
        url,
        eventTypes,
        secretSealed: this.box.seal(id, secret),
        previousSecretSealed: null,
        previousSecretUntil: null,
        enabled,
        disabledReason: enabled ? null : "disabled by an administrator",
        failingSince: null,
        lastSuccessAt: null,
        createdAt: now,
        updatedAt: now,
      });
      await ctx.manager.insert(WebhookEndpointEntity, endpoint);
      await this.staffAction(ctx, draft.partnerId, `created webhook endpoint ${id}`);
      return { endpoint, secret };
    });
  }

  /**
   * Changes an endpoint's URL, events or state. Enabling it clears its failure record; disabling
   * it cancels its deliveries still waiting. `NOT_FOUND` for an unknown endpoint.
   */
  async updateEndpoint(outer: RequestContext, id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpointEntity> {
    const checks = new FieldChecks();
    const url = patch.url == null ? undefined : this.checkUrl(checks, "input.url", patch.url);
    const eventTypes =
      patch.eventTypes == null ? undefined : this.checkEventTypes(checks, "input.eventTypes", patch.eventTypes);
    checks.throwIfAny();
    return outer.transaction(async (ctx) => {
      const endpoint = await this.findOrFail(ctx, id);
      const now = ctx.clock.now();
      const set: Partial<WebhookEndpointEntity> = { updatedAt: now };
      if (url !== undefined) set.url = url;
      if (eventTypes !== undefined) set.eventTypes = eventTypes;
      if (patch.enabled != null && patch.enabled !== endpoint.enabled) {
        set.enabled = patch.enabled;
        set.disabledReason = patch.enabled ? null : "disabled by an administrator";
        set.failingSince = null;
        if (!patch.enabled) await this.cancelWaiting(ctx, id, now);
      }
      await ctx.manager.update(WebhookEndpointEntity, { id }, set);
      await this.staffAction(ctx, endpoint.partnerId, `updated webhook endpoint ${id}`);
      return Object.assign(endpoint, set);
    });
  }

  /**
   * A new secret for an endpoint, in the answer only. The one it replaces keeps signing beside it
   * (two signatures in `webhook-signature`) for {@link WEBHOOK_SECRET_OVERLAP_MS}, so a partner can
   * deploy the new secret without failing a verification; a second rotation within that time drops
   * the oldest. `NOT_FOUND` if unknown.
   */
  async rotateSecret(outer: RequestContext, id: string): Promise<WebhookEndpointWithSecret> {
    return outer.transaction(async (ctx) => {
      const endpoint = await this.findOrFail(ctx, id);
      const secret = newWebhookSecret();
      const now = ctx.clock.now();
      const set = {
        secretSealed: this.box.seal(id, secret),
        previousSecretSealed: endpoint.secretSealed,
        previousSecretUntil: new Date(now.getTime() + WEBHOOK_SECRET_OVERLAP_MS),
        updatedAt: now,
      };
      await ctx.manager.update(WebhookEndpointEntity, { id }, set);
      await this.staffAction(ctx, endpoint.partnerId, `rotated the secret of webhook endpoint ${id}`);
      return { endpoint: Object.assign(endpoint, set), secret };
    });
  }

  /** Deletes an endpoint and its delivery log; nothing more is sent to it. `NOT_FOUND` if unknown. */
  async deleteEndpoint(outer: RequestContext, id: string): Promise<void> {
    await outer.transaction(async (ctx) => {
      const endpoint = await this.findOrFail(ctx, id);
      await ctx.manager.delete(WebhookDeliveryEntity, { endpointId: id });
      await ctx.manager.delete(WebhookEndpointEntity, { id });
      await this.staffAction(ctx, endpoint.partnerId, `deleted webhook endpoint ${id}`);
    });
  }

  /** The endpoints of these partners, oldest first. */
  async endpointsOf(ctx: RequestContext, partnerIds: readonly string[]): Promise<WebhookEndpointEntity[]> {
    if (partnerIds.length === 0) return [];
    return ctx.manager.find(WebhookEndpointEntity, { where: { partnerId: In([...partnerIds]) }, order: { id: "ASC" } });
  }

  /** A page of an endpoint's deliveries, newest first. `NOT_FOUND` for an unknown endpoint. */
  async deliveries(
    ctx: RequestContext,
    endpointId: string,
    args: PageArgs,
  ): Promise<Connection<WebhookDeliveryEntity>> {
    await this.findOrFail(ctx, endpointId);
    const query = ctx.manager
      .createQueryBuilder(WebhookDeliveryEntity, "d")
      .where("d.endpointId = :endpointId", { endpointId });
    return paginate(query, args);
  }

  // ---- events ---------------------------------------------------------------------------------

  /**
   * Queues `type` for every enabled endpoint of the partner subscribed to it, in `ctx`'s
   * transaction (opened if there is none): one delivery row and one job each. `data` must hold
   * only what the partner may already see through its API key (ids, order numbers, statuses),
   * never a contact: no delivery is then a disclosure. Returns the deliveries' ids.
   */
  async publish(
    outer: RequestContext,
    partnerId: string,
    type: WebhookEventType,
    data: Record<string, unknown>,
  ): Promise<string[]> {
    return outer.transaction(async (ctx) => {
      const endpoints = await ctx.manager.findBy(WebhookEndpointEntity, { partnerId, enabled: true });
      const subscribed = endpoints.filter((e) => decodeEventTypes(e.eventTypes).includes(type));
      if (subscribed.length === 0) return [];
      const now = ctx.clock.now();
      const body: WebhookBody = { type, timestamp: now.toISOString(), data };
      const payload = JSON.stringify(body);
      const rows = subscribed.map((endpoint) =>
        Object.assign(new WebhookDeliveryEntity(), {
          id: newId(now.getTime()),
          endpointId: endpoint.id,
          eventType: type,
          payload,
          status: WebhookDeliveryStatus.PENDING,
          attempts: 0,
          httpStatus: null,
          latencyMs: null,
          error: null,
          createdAt: now,
          lastAttemptAt: null,
          nextAttemptAt: now,
          finishedAt: null,
        }),
      );
      await ctx.manager
        .createQueryBuilder()
        .insert()
        .into(WebhookDeliveryEntity)
        .values(rows)
        .updateEntity(false)
        .execute();
      for (const row of rows) await this.schedule(ctx, row.id, 1, now);
      return rows.map((r) => r.id);
    });
  }

  // ---- delivery -------------------------------------------------------------------------------

  /**
   * Makes attempt number `attempts + 1` of a delivery (the worker's job): signs the body with the
   * endpoint's secret and the time now, POSTs it, and records the outcome in one transaction with
   * the next attempt's job (exponential back-off) or the delivery's end. An endpoint failing with
   * no success for `WEBHOOK_DISABLE_AFTER_MS` is disabled and its partner's contact is told by
   * mail. A worker that dies mid-attempt records nothing: the job is run again and the attempt
   * repeated with the same `webhook-id`. Returns the outcome, or null when nothing was sent.
   */
  async attempt(ctx: RequestContext, deliveryId: string): Promise<WebhookAttemptOutcome | null> {
    const delivery = await ctx.manager.findOneBy(WebhookDeliveryEntity, { id: deliveryId });
    if (!delivery || !isWaiting(delivery.status)) return null;
    const endpoint = await ctx.manager.findOneBy(WebhookEndpointEntity, { id: delivery.endpointId });
    if (!endpoint) return null;
    if (!endpoint.enabled) {
      await ctx.transaction((tx) => this.cancelWaiting(tx, endpoint.id, tx.clock.now(), [deliveryId]));
      return null;
    }
    const sentAt = ctx.clock.now();
    const secrets = [this.box.open(endpoint.id, endpoint.secretSealed)];
    if (endpoint.previousSecretSealed && endpoint.previousSecretUntil && endpoint.previousSecretUntil > sentAt) {
      secrets.push(this.box.open(endpoint.id, endpoint.previousSecretSealed));
    }
    const headers = signWebhook(secrets, webhookMessageId(delivery.id), sentAt, delivery.payload);
    const outcome = await sendWebhook(endpoint.url, { ...headers }, delivery.payload, {
      timeoutMs: this.settings.timeoutMs,
      allowPrivate: this.settings.allowPrivate,
    });
    await ctx.transaction((tx) => this.record(tx, delivery, endpoint, outcome));
    return outcome;
  }

  /** The wait before attempt `next` (2, 3, …): base, 2×base, 4×base … at most 6 h, ±10 %. */
  backoffMs(next: number): number {
    const delay = Math.min(this.settings.backoffBaseMs * 2 ** Math.max(0, next - 2), this.settings.backoffMaxMs);
    return Math.round(delay * (0.9 + Math.random() * 0.2));
  }

  private async record(
    ctx: RequestContext,
    delivery: WebhookDeliveryEntity,
    endpoint: WebhookEndpointEntity,
    outcome: WebhookAttemptOutcome,
  ): Promise<void> {
    const now = ctx.clock.now();
    const attempts = delivery.attempts + 1;
    const nextAt = new Date(now.getTime() + this.backoffMs(attempts + 1));
    const givesUp = nextAt.getTime() - delivery.createdAt.getTime() > this.settings.retryForMs;
    const status = outcome.ok
      ? WebhookDeliveryStatus.SUCCEEDED
      : givesUp
        ? WebhookDeliveryStatus.FAILED
        : WebhookDeliveryStatus.RETRYING;
    const finished = status !== WebhookDeliveryStatus.RETRYING;
    // Conditional on the attempt count read before sending: a second run of the same attempt (a
    // reaped job whose first worker was only slow) records nothing and schedules nothing.
    const result = await ctx.manager
      .createQueryBuilder()
      .update(WebhookDeliveryEntity)
      .set({
        status,
        attempts,
        httpStatus: outcome.httpStatus,
        latencyMs: outcome.latencyMs,
        error: outcome.error?.slice(0, 500) ?? null,
        lastAttemptAt: now,
        nextAttemptAt: finished ? null : nextAt,
        finishedAt: finished ? now : null,
      })
      .where("id = :id AND attempts = :before AND status IN (:...waiting)", {
        id: delivery.id,
        before: delivery.attempts,
        waiting: [WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.RETRYING],
      })
      .execute();
    if ((result.affected ?? 0) === 0) return;
    if (status === WebhookDeliveryStatus.RETRYING) await this.schedule(ctx, delivery.id, attempts + 1, nextAt);

    if (outcome.ok) {
      await ctx.manager.update(WebhookEndpointEntity, { id: endpoint.id }, { failingSince: null, lastSuccessAt: now });
      return;
    }
    await ctx.manager
      .createQueryBuilder()
      .update(WebhookEndpointEntity)
      .set({ failingSince: now })
      .where("id = :id AND failingSince IS NULL", { id: endpoint.id })
      .execute();
    const current = await ctx.manager.findOneBy(WebhookEndpointEntity, { id: endpoint.id });
    if (!current?.enabled || !current.failingSince) return;
    // A delivery that gives up has failed its whole retry window with no success since it was
    // made; with the back-off's jitter its last attempt can fall just short of the disable period,
    // and no later attempt would ever reach it. When the window is at least that period, that is
    // the period failed.
    const failedItsWindow =
      status === WebhookDeliveryStatus.FAILED &&
      this.settings.retryForMs >= this.settings.disableAfterMs &&
      (!current.lastSuccessAt || current.lastSuccessAt < delivery.createdAt);
    if (!failedItsWindow && now.getTime() - current.failingSince.getTime() < this.settings.disableAfterMs) return;
    await this.disableFailing(ctx, current, now);
  }

  /** Disables an endpoint that has failed for too long, cancels its waiting deliveries, and mails its partner. */
  private async disableFailing(ctx: RequestContext, endpoint: WebhookEndpointEntity, now: Date): Promise<void> {
    const since = endpoint.failingSince!.toISOString();
    const reason = `every attempt failed since ${since}`;
    const result = await ctx.manager.update(
      WebhookEndpointEntity,
      { id: endpoint.id, enabled: true },
      { enabled: false, disabledReason: reason, updatedAt: now },
    );
    if ((result.affected ?? 0) === 0) return;
    await this.cancelWaiting(ctx, endpoint.id, now);
    this.logger.warn(
      { event: "webhook.endpointDisabled", endpointId: endpoint.id },
      "disabled a failing webhook endpoint",
    );
    const partner = await ctx.manager.findOneBy(PartnerEntity, { id: endpoint.partnerId });
    if (!partner) return;
    await enqueueTransactionalMail(
      ctx,
      this.jobs,
      {
        kind: "WEBHOOK_DISABLED",
        to: { name: partner.name, address: partner.contactEmail },
        subject: "Your Honour webhook endpoint was disabled",
        text: [
          `Hello ${partner.name},`,
          "",
          "We have disabled this webhook endpoint because every delivery to it failed since",
          `${since}:`,
          "",
          `  ${endpoint.url}`,
          "",
          "Events are not sent to it while it is disabled. Once it answers again, ask us to enable it;",
          "meanwhile partnerOrders and partnerErasureNotices hold everything the webhooks would have told you.",
          "",
        ].join("\n"),
      },
      `webhook-disabled:${endpoint.id}:${now.getTime()}`,
    );
  }

  private async schedule(ctx: RequestContext, deliveryId: string, attempt: number, runAt: Date): Promise<void> {
    await this.jobs.enqueue(
      ctx,
      DELIVER_WEBHOOK_JOB,
      { deliveryId },
      { runAt, uniqueKey: `webhook:${deliveryId}:${attempt}`, maxAttempts: 5 },
    );
  }

  /** Cancels an endpoint's deliveries that wait for an attempt (all, or only these). */
  private async cancelWaiting(
    ctx: RequestContext,
    endpointId: string,
    now: Date,
    only?: readonly string[],
  ): Promise<void> {
    const query = ctx.manager
      .createQueryBuilder()
      .update(WebhookDeliveryEntity)
      .set({ status: WebhookDeliveryStatus.CANCELLED, nextAttemptAt: null, finishedAt: now })
      .where("endpointId = :endpointId AND status IN (:...waiting)", {
        endpointId,
        waiting: [WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.RETRYING],
      });
    if (only) query.andWhere("id IN (:...only)", { only });
    await query.execute();
  }

  private async findOrFail(ctx: RequestContext, id: string): Promise<WebhookEndpointEntity> {
    const endpoint = ID_PATTERN.test(id) ? await ctx.manager.findOneBy(WebhookEndpointEntity, { id }) : null;
    if (!endpoint) throw new NotFoundException("Webhook endpoint");
    return endpoint;
  }

  private checkUrl(checks: FieldChecks, field: string, raw: string): string {
    const url = checks.required(field, raw, WEBHOOK_URL_MAX);
    if (checks.hasFailed(field)) return url;
    const problem = webhookUrlProblem(url, this.settings);
    if (problem) checks.fail(field, problem);
    return url;
  }

  private checkEventTypes(checks: FieldChecks, field: string, types: readonly WebhookEventType[]): string {
    const unknown = types.filter((t) => !WEBHOOK_EVENT_TYPES.includes(t));
    if (unknown.length > 0) checks.fail(field, `has unknown event types: ${unknown.join(", ")}`);
    else if (types.length === 0) checks.fail(field, "must name at least one event type");
    return encodeEventTypes(types);
  }

  private staffAction(ctx: RequestContext, partnerId: string, detail: string): Promise<void> {
    return this.securityLog.record(ctx, {
      kind: SecurityEventKind.STAFF_ACTION,
      userId: ctx.userId,
      partnerId,
      detail,
    });
  }
}

function isWaiting(status: WebhookDeliveryStatus): boolean {
  return status === WebhookDeliveryStatus.PENDING || status === WebhookDeliveryStatus.RETRYING;
}
