import { randomBytes } from "node:crypto";
import {
  AuditAction,
  newId,
  NotFoundException,
  paginate,
  randomToken,
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
import { PartnerApiKeyEntity } from "./partner-api-key.entity";
import { PARTNER_LIMITS, PartnerEntity } from "./partner.entity";

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
}

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
  partnerActive: boolean;
}

/** Resellers, their API keys, and turning a key into who is calling. */
export class PartnerService {
  /** The key lookup's SQL per data source, built once (see `lookup`). */
  private readonly lookupSql = new WeakMap<DataSource, string>();

  constructor(
    private readonly securityLog: SecurityLog,
    private readonly audit: AuditLog,
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
   * Issues a new key for a partner. The returned `secret` is never shown again. Audited as
   * `PARTNER_KEY_ISSUED` (subject: the partner; detail: the key's id and public prefix).
   */
  async issueApiKey(outer: RequestContext, partnerId: string): Promise<IssuedApiKey> {
    return outer.transaction(async (ctx) => {
      if (!(await ctx.manager.existsBy(PartnerEntity, { id: partnerId }))) throw new NotFoundException("Partner");
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
      });
      await ctx.manager.insert(PartnerApiKeyEntity, key);
      await this.staffAction(ctx, partnerId, `issued API key ${prefix}`);
      await this.audit.record(ctx, {
        action: AuditAction.PARTNER_KEY_ISSUED,
        subjectId: partnerId,
        detail: `API key ${key.id} ${prefix}`,
      });
      return { id: key.id, partnerId, prefix, secret, createdAt: now };
    });
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
   */
  async resolveApiKey(ctx: RequestContext, key: string): Promise<Actor> {
    const match = API_KEY_PATTERN.exec(key);
    if (!match) throw invalidKey();
    const row = await this.lookup(ctx, match[1]!);
    const presented = sha256(key);
    if (!row || !safeEqual(presented, row.secretHash) || row.revokedAt || !row.partnerActive) throw invalidKey();

    const now = ctx.clock.now();
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
        .select(["k.id", "k.partnerId", "k.secretHash", "k.lastUsedAt", "k.revokedAt", "p.active"])
        .where("k.prefix = :prefix", { prefix })
        .getQueryAndParameters();
      this.lookupSql.set(ctx.dataSource, sql);
    }
    const rows: Record<string, unknown>[] = await ctx.manager.query(sql, [prefix]);
    const raw = rows[0];
    if (!raw) return null;
    const column = (name: keyof PartnerApiKeyEntity) => keys.findColumnWithPropertyName(name)!;
    return {
      id: raw.k_id as string,
      partnerId: raw.k_partnerId as string,
      secretHash: raw.k_secretHash as string,
      lastUsedAt: driver.prepareHydratedValue(raw.k_lastUsedAt, column("lastUsedAt")) as Date | null,
      revokedAt: driver.prepareHydratedValue(raw.k_revokedAt, column("revokedAt")) as Date | null,
      partnerActive: driver.prepareHydratedValue(
        raw.p_active,
        partners.findColumnWithPropertyName("active")!,
      ) as boolean,
    };
  }
}
