import { randomBytes } from "node:crypto";
import {
  AuditAction,
  DAY_MS,
  newId,
  NotFoundException,
  paginate,
  randomToken,
  runPrepared,
  safeEqual,
  sha256,
  SecurityEventKind,
  UnauthenticatedException,
  type Actor,
  type AuditLog,
  type Connection,
  type PageArgs,
  type RequestContext,
  type SecurityLog,
} from "@honour/platform";
import { In, type DataSource } from "typeorm";
import { FieldChecks } from "../field-checks";
import { ApiKeyExpiredException } from "../orders.exception";
import { WebhookEventType } from "../webhook/webhook-endpoint.entity";
import type { WebhookService } from "../webhook/webhook.service";
import { PartnerApiKeyEntity } from "./partner-api-key.entity";
import { PartnerRateLimitEntity } from "./partner-rate-limit.entity";
import { PARTNER_LIMITS, PartnerEntity } from "./partner.entity";

/** A partner's own rate limits; null keeps the gateway's configured limit. */
export interface PartnerRateLimit {
  operations: number | null;
  cost: number | null;
}

/** The highest per-window limit ADMIN may set. */
export const PARTNER_RATE_LIMIT_MAX = 100_000_000;

/** A new partner. */
export interface PartnerDraft {
  name: string;
  contactEmail: string;
}

/** A key just issued. `secret` is the whole key; this is the only time anyone sees it. */
export interface IssuedApiKey {
  id: string;
  partnerId: string;
  prefix: string;
  secret: string;
  createdAt: Date;
  expiresAt: Date | null;
}

/** How long before its expiry a key's partner is sent `key.expiring` (once): 14 days. */
export const API_KEY_EXPIRY_NOTICE_MS = 14 * DAY_MS;

/** The longest life ADMIN may give a key: 2 years. */
export const API_KEY_MAX_LIFETIME_MS = 2 * 366 * DAY_MS;

/** After a rotation the old key keeps working this long (or until its own expiry, if sooner): 24 h. */
export const API_KEY_ROTATION_OVERLAP_MS = DAY_MS;

/** `hpk_`, 12 hex digits (the public prefix), `_`, 43 base64url characters (256 random bits). */
const API_KEY_PATTERN = /^(hpk_[0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

/** A key's `lastUsedAt` is written at most this often: every request reads it, few need write it. */
export const API_KEY_TOUCH_INTERVAL_MS = 60 * 1000;

/** One answer for an unknown, malformed or revoked key and an inactive partner. */
function invalidKey(): UnauthenticatedException {
  return new UnauthenticatedException("The API key is not valid.");
}

interface KeyRow {
  id: string;
  partnerId: string;
  secretHash: string;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date | null;
  partnerActive: boolean;
}

/** Resellers, their API keys, and turning a key into who is calling. */
export class PartnerService {
  /** The key lookup's SQL per data source, built once (see `lookup`). */
  private readonly lookupSql = new WeakMap<DataSource, string>();

  constructor(
    private readonly securityLog: SecurityLog,
    private readonly audit: AuditLog,
    private readonly webhooks?: WebhookService,
  ) {}

  /** Staff changes to partners and keys go to the security log. */
  private staffAction(ctx: RequestContext, partnerId: string, detail: string): Promise<void> {
    return this.securityLog.record(ctx, {
      kind: SecurityEventKind.STAFF_ACTION,
      userId: ctx.userId,
      partnerId,
      detail,
    });
  }

  /** Adds a partner, active. `BAD_USER_INPUT` for an empty name or an invalid email. */
  async create(outer: RequestContext, draft: PartnerDraft): Promise<PartnerEntity> {
    return outer.transaction(async (ctx) => {
      const checks = new FieldChecks();
      const name = checks.required("input.name", draft.name, PARTNER_LIMITS.name);
      const contactEmail = checks.email("input.contactEmail", draft.contactEmail, PARTNER_LIMITS.contactEmail);
      checks.throwIfAny();
      const now = ctx.clock.now();
      const partner: PartnerEntity = Object.assign(new PartnerEntity(), {
        id: newId(now.getTime()),
        name,
        contactEmail,
        active: true,
        createdAt: now,
        updatedAt: now,
      });
      await ctx.manager.createQueryBuilder().insert().into(PartnerEntity).values(partner).updateEntity(false).execute();
      await this.staffAction(ctx, partner.id, "created partner");
      return partner;
    });
  }

  /** A page of partners, newest first. */
  async list(ctx: RequestContext, args: PageArgs): Promise<Connection<PartnerEntity>> {
    return paginate(ctx.manager.createQueryBuilder(PartnerEntity, "p"), args);
  }

  async findById(ctx: RequestContext, id: string): Promise<PartnerEntity | null> {
    return ctx.manager.findOneBy(PartnerEntity, { id });
  }

  async findByIds(ctx: RequestContext, ids: readonly string[]): Promise<PartnerEntity[]> {
    return ids.length === 0 ? [] : ctx.manager.findBy(PartnerEntity, { id: In([...ids]) });
  }

  /**
   * Turns a partner on or off. An inactive partner's keys stop working at once and no order can
   * be assigned to it; orders already assigned stay assigned (reassign them).
   */
  async setActive(outer: RequestContext, partnerId: string, active: boolean): Promise<PartnerEntity> {
    return outer.transaction(async (ctx) => {
      const partner = await this.findById(ctx, partnerId);
      if (!partner) throw new NotFoundException("Partner");
      if (partner.active === active) return partner;
      const updatedAt = ctx.clock.now();
      await ctx.manager.update(PartnerEntity, { id: partnerId }, { active, updatedAt });
      await this.staffAction(ctx, partnerId, active ? "activated partner" : "deactivated partner");
      return Object.assign(partner, { active, updatedAt });
    });
  }

  /**
   * Issues a new key for a partner, valid until `expiresAt` (null: no expiry). The returned `secret`
   * is never shown again. Audited as `PARTNER_KEY_ISSUED` (subject: the partner; detail: the key's
   * id and public prefix). `BAD_USER_INPUT` for an expiry not in the next 2 years.
   */
  async issueApiKey(
    outer: RequestContext,
    partnerId: string,
    options: { expiresAt?: Date | null } = {},
  ): Promise<IssuedApiKey> {
    this.checkExpiry(outer, options.expiresAt ?? null);
    return outer.transaction(async (ctx) => {
      if (!(await ctx.manager.existsBy(PartnerEntity, { id: partnerId }))) throw new NotFoundException("Partner");
      return this.insertKey(ctx, partnerId, options.expiresAt ?? null, "issued");
    });
  }

  /**
   * Rotates a key: issues a new one for the same partner (valid until `expiresAt`, null: no
   * expiry), and lets the old one work for {@link API_KEY_ROTATION_OVERLAP_MS} more (or until its
   * own earlier expiry), so the partner can switch without an outage. The old key gets no
   * `key.expiring` webhook: the rotation is the notice. `NOT_FOUND` for an unknown key,
   * `BAD_USER_INPUT` for a revoked or expired one or an expiry not in the next 2 years.
   */
  async rotateApiKey(outer: RequestContext, keyId: string, expiresAt: Date | null): Promise<IssuedApiKey> {
    this.checkExpiry(outer, expiresAt);
    return outer.transaction(async (ctx) => {
      const old = await ctx.manager.findOneBy(PartnerApiKeyEntity, { id: keyId });
      if (!old) throw new NotFoundException("API key");
      const now = ctx.clock.now();
      const checks = new FieldChecks();
      if (old.revokedAt) checks.fail("id", "is a revoked key");
      else if (old.expiresAt && old.expiresAt <= now) checks.fail("id", "is an expired key");
      checks.throwIfAny();
      const overlapEnd = new Date(now.getTime() + API_KEY_ROTATION_OVERLAP_MS);
      const oldUntil = old.expiresAt && old.expiresAt < overlapEnd ? old.expiresAt : overlapEnd;
      await ctx.manager.update(PartnerApiKeyEntity, { id: old.id }, { expiresAt: oldUntil, expiryNoticeAt: now });
      return this.insertKey(
        ctx,
        old.partnerId,
        expiresAt,
        `rotated API key ${old.prefix} (works until ${oldUntil.toISOString()}) into`,
      );
    });
  }

  private checkExpiry(ctx: RequestContext, expiresAt: Date | null): void {
    if (expiresAt === null) return;
    const now = ctx.clock.now().getTime();
    const checks = new FieldChecks();
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now)
      checks.fail("expiresAt", "must be in the future");
    else if (expiresAt.getTime() - now > API_KEY_MAX_LIFETIME_MS) checks.fail("expiresAt", "must be within 2 years");
    checks.throwIfAny();
  }

  private async insertKey(
    ctx: RequestContext,
    partnerId: string,
    expiresAt: Date | null,
    action: string,
  ): Promise<IssuedApiKey> {
    const now = ctx.clock.now();
    const prefix = `hpk_${randomBytes(6).toString("hex")}`;
    const secret = `${prefix}_${randomToken(32)}`;
    const key: PartnerApiKeyEntity = Object.assign(new PartnerApiKeyEntity(), {
      id: newId(now.getTime()),
      partnerId,
      prefix,
      secretHash: sha256(secret),
      createdAt: now,
      lastUsedAt: null,
      revokedAt: null,
      expiresAt,
      expiryNoticeAt: null,
    });
    await ctx.manager.insert(PartnerApiKeyEntity, key);
    const until = expiresAt ? ` (expires ${expiresAt.toISOString()})` : "";
    await this.staffAction(ctx, partnerId, `${action} API key ${prefix}${until}`);
    await this.audit.record(ctx, {
      action: AuditAction.PARTNER_KEY_ISSUED,
      subjectId: partnerId,
      detail: `API key ${key.id} ${prefix}${until}`,
    });
    return { id: key.id, partnerId, prefix, secret, createdAt: now, expiresAt };
  }

  /**
   * Queues `key.expiring` once per key that expires within {@link API_KEY_EXPIRY_NOTICE_MS} (live,
   * not revoked, partner active): the worker's hourly job. Each key is marked in the same
   * transaction as its webhook, and only if not marked yet, so two workers send one notice.
   * Returns how many keys were noticed.
   */
  async noticeExpiringKeys(outer: RequestContext): Promise<number> {
    const now = outer.clock.now();
    const due = await outer.manager
      .createQueryBuilder(PartnerApiKeyEntity, "k")
      .innerJoin("k.partner", "p")
      .where("k.expiryNoticeAt IS NULL AND k.revokedAt IS NULL AND p.active = :active", { active: true })
      .andWhere("k.expiresAt > :now AND k.expiresAt <= :horizon", {
        now,
        horizon: new Date(now.getTime() + API_KEY_EXPIRY_NOTICE_MS),
      })
      .orderBy("k.expiresAt", "ASC")
      .take(500)
      .getMany();
    let noticed = 0;
    for (const key of due) {
      await outer.transaction(async (ctx) => {
        const marked = await ctx.manager
          .createQueryBuilder()
          .update(PartnerApiKeyEntity)
          .set({ expiryNoticeAt: now })
          .where("id = :id AND expiryNoticeAt IS NULL", { id: key.id })
          .execute();
        if ((marked.affected ?? 0) === 0) return;
        noticed += 1;
        await this.webhooks?.publish(ctx, key.partnerId, WebhookEventType.KEY_EXPIRING, {
          apiKeyId: key.id,
          prefix: key.prefix,
          expiresAt: key.expiresAt!.toISOString(),
        });
      });
    }
    return noticed;
  }

  /**
   * Revokes a key; it stops working at once. Revoking it again changes nothing (and records
   * nothing). Audited as `PARTNER_KEY_REVOKED`. `NOT_FOUND` if unknown.
   */
  async revokeApiKey(outer: RequestContext, keyId: string): Promise<PartnerApiKeyEntity> {
    return outer.transaction(async (ctx) => {
      const key = await ctx.manager.findOneBy(PartnerApiKeyEntity, { id: keyId });
      if (!key) throw new NotFoundException("API key");
      if (!key.revokedAt) {
        key.revokedAt = ctx.clock.now();
        await ctx.manager.update(PartnerApiKeyEntity, { id: keyId }, { revokedAt: key.revokedAt });
        await this.staffAction(ctx, key.partnerId, `revoked API key ${key.prefix}`);
        await this.audit.record(ctx, {
          action: AuditAction.PARTNER_KEY_REVOKED,
          subjectId: key.partnerId,
          detail: `API key ${key.id} ${key.prefix}`,
        });
      }
      return key;
    });
  }

  /** A partner's own rate limits (null: the configured ones), as the gateway reads them. */
  async rateLimitOf(ctx: RequestContext, partnerId: string): Promise<PartnerRateLimit | null> {
    const row = await ctx.manager.findOneBy(PartnerRateLimitEntity, { partnerId });
    return row ? { operations: row.operations, cost: row.cost } : null;
  }

  /** The rate limits of these partners that have their own. */
  async rateLimitsOf(ctx: RequestContext, partnerIds: readonly string[]): Promise<PartnerRateLimitEntity[]> {
    if (partnerIds.length === 0) return [];
    return ctx.manager.findBy(PartnerRateLimitEntity, { partnerId: In([...partnerIds]) });
  }

  /**
   * Sets a partner's own rate limits: tokens per window for operations and for query cost, per
   * API key; null keeps the configured limit, 0 turns it off. Both null removes the override.
   * `BAD_USER_INPUT` for a negative or huge number, `NOT_FOUND` for an unknown partner. Recorded
   * in the security log as a staff action. Gateways apply it within 10 seconds.
   */
  async setRateLimit(outer: RequestContext, partnerId: string, limit: PartnerRateLimit): Promise<PartnerEntity> {
    const checks = new FieldChecks();
    for (const field of ["operations", "cost"] as const) {
      const value = limit[field];
      if (value !== null && (!Number.isInteger(value) || value < 0 || value > PARTNER_RATE_LIMIT_MAX)) {
        checks.fail(field, `must be a whole number from 0 to ${PARTNER_RATE_LIMIT_MAX}, or null`);
      }
    }
    checks.throwIfAny();
    return outer.transaction(async (ctx) => {
      const partner = await this.findById(ctx, partnerId);
      if (!partner) throw new NotFoundException("Partner");
      await ctx.manager.delete(PartnerRateLimitEntity, { partnerId });
      if (limit.operations !== null || limit.cost !== null) {
        await ctx.manager.insert(PartnerRateLimitEntity, {
          partnerId,
          operations: limit.operations,
          cost: limit.cost,
          updatedAt: ctx.clock.now(),
        });
      }
      await this.staffAction(
        ctx,
        partnerId,
        `set rate limits: operations ${limit.operations ?? "default"}, cost ${limit.cost ?? "default"}`,
      );
      return partner;
    });
  }

  /** The keys of these partners (never their secrets, which are not stored), oldest first. */
  async apiKeysOf(ctx: RequestContext, partnerIds: readonly string[]): Promise<PartnerApiKeyEntity[]> {
    if (partnerIds.length === 0) return [];
    return ctx.manager.find(PartnerApiKeyEntity, {
      where: { partnerId: In([...partnerIds]) },
      order: { id: "ASC" },
    });
  }

  /**
   * The actor for an API key (`Authorization: Bearer hpk_…`): a partner for a live key of an
   * active partner. Throws `UNAUTHENTICATED`, with one message, for a malformed, unknown or revoked
   * key and for an inactive partner. Runs on every partner request: one indexed query by the key's
   * prefix, a constant-time comparison of the key's SHA-256, and a second statement at most once
   * a minute per key to record its use.
   *
   * `recordRejection` says whether a refusal goes to the security log (default yes); a function is
   * asked only when a key is refused, so a caller's throttle of refusals costs a working key nothing.
   */
  async resolveApiKey(
    ctx: RequestContext,
    key: string,
    options: { recordRejection?: boolean | (() => Promise<boolean>) } = {},
  ): Promise<Actor> {
    const record = options.recordRejection ?? true;
    const match = API_KEY_PATTERN.exec(key);
    if (!match) throw await this.rejected(ctx, record, "a malformed API key", null);
    const row = await this.lookup(ctx, match[1]!);
    const rightSecret = row !== null && safeEqual(sha256(key), row.secretHash);
    if (!row || !rightSecret || row.revokedAt || !row.partnerActive) {
      const why = !row ? "unknown" : !rightSecret ? "wrong secret" : row.revokedAt ? "revoked" : "inactive partner";
      throw await this.rejected(ctx, record, `API key ${match[1]} (${why})`, rightSecret ? row.partnerId : null);
    }
    const now = ctx.clock.now();
    if (row.expiresAt && row.expiresAt <= now) {
      await this.rejected(ctx, record, `API key ${match[1]} (expired)`, row.partnerId);
      throw new ApiKeyExpiredException(row.expiresAt);
    }

    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= API_KEY_TOUCH_INTERVAL_MS) {
      // The condition repeats the check, so that concurrent requests with one key write once.
      const touched = await ctx.manager
        .createQueryBuilder()
        .update(PartnerApiKeyEntity)
        .set({ lastUsedAt: now })
        .where("id = :id AND (lastUsedAt IS NULL OR lastUsedAt <= :threshold)", {
          id: row.id,
          threshold: new Date(now.getTime() - API_KEY_TOUCH_INTERVAL_MS),
        })
        .execute();
      // The security log hears of a key's use as often as lastUsedAt moves: at most once a minute.
      if ((touched.affected ?? 0) > 0) {
        await this.securityLog.record(ctx, {
          kind: SecurityEventKind.PARTNER_KEY_USED,
          partnerId: row.partnerId,
          detail: `API key ${match[1]}`,
        });
      }
    }
    return { kind: "partner", partnerId: row.partnerId, apiKeyId: row.id };
  }

  /**
   * Records a refused key as `PARTNER_KEY_REJECTED` with the caller's IP (unless the gateway, which
   * throttles refusals per IP, says the IP is past its allowance, so the log cannot be flooded) and
   * returns the one answer for every refusal.
   * The detail names the public prefix and why, never the secret; the partner only when the whole
   * key was right (revoked or inactive), so a guessed prefix names nobody.
   */
  private async rejected(
    ctx: RequestContext,
    record: boolean | (() => Promise<boolean>),
    detail: string,
    partnerId: string | null,
  ): Promise<UnauthenticatedException> {
    if (typeof record === "function" ? await record() : record)
      await this.securityLog.record(ctx, { kind: SecurityEventKind.PARTNER_KEY_REJECTED, partnerId, detail });
    return invalidKey();
  }

  /**
   * The key with this prefix and its partner's state, in one query on the unique prefix. As for
   * sessions, TypeORM builds the statement once per data source; each request only runs it.
   */
  private async lookup(ctx: RequestContext, prefix: string): Promise<KeyRow | null> {
    const { driver } = ctx.dataSource;
    const keys = ctx.dataSource.getMetadata(PartnerApiKeyEntity);
    const partners = ctx.dataSource.getMetadata(PartnerEntity);
    let sql = this.lookupSql.get(ctx.dataSource);
    if (!sql) {
      [sql] = ctx.dataSource
        .createQueryBuilder(PartnerApiKeyEntity, "k")
        .innerJoin("k.partner", "p")
        .select(["k.id", "k.partnerId", "k.secretHash", "k.lastUsedAt", "k.revokedAt", "k.expiresAt", "p.active"])
        .where("k.prefix = :prefix", { prefix })
        .getQueryAndParameters();
      this.lookupSql.set(ctx.dataSource, sql);
    }
    const rows = await runPrepared<Record<string, unknown>[]>(ctx, sql, [prefix]);
    const raw = rows[0];
    if (!raw) return null;
    const column = (name: keyof PartnerApiKeyEntity) => keys.findColumnWithPropertyName(name)!;
    return {
      id: raw.k_id as string,
      partnerId: raw.k_partnerId as string,
      secretHash: raw.k_secretHash as string,
      lastUsedAt: driver.prepareHydratedValue(raw.k_lastUsedAt, column("lastUsedAt")) as Date | null,
      revokedAt: driver.prepareHydratedValue(raw.k_revokedAt, column("revokedAt")) as Date | null,
      expiresAt: driver.prepareHydratedValue(raw.k_expiresAt, column("expiresAt")) as Date | null,
      partnerActive: driver.prepareHydratedValue(
        raw.p_active,
        partners.findColumnWithPropertyName("active")!,
      ) as boolean,
    };
  }
}
