import type { RequestContext } from "../context/request-context";
import { newId } from "../crypto/crypto";
import { paginate, type Connection, type PageArgs } from "../pagination/pagination";
import { AuditEntryEntity } from "./audit-entry.entity";

/** What the audit log records (issue 6): staff reads of a person, exports, role and key changes. */
export enum AuditAction {
  /** Staff read a person's account record. */
  PERSON_VIEWED = "PERSON_VIEWED",
  /** Staff read a person's orders. */
  ORDERS_VIEWED = "ORDERS_VIEWED",
  /** Staff read a person's consent history or preferences. */
  CONSENT_VIEWED = "CONSENT_VIEWED",
  /** A copy of a person's data was built, or downloaded. */
  DATA_EXPORTED = "DATA_EXPORTED",
  DATA_EXPORT_DOWNLOADED = "DATA_EXPORT_DOWNLOADED",
  /** A contact list (marketing audience) was exported. */
  LIST_EXPORTED = "LIST_EXPORTED",
  ROLE_CHANGED = "ROLE_CHANGED",
  /** Staff corrected a person's account on request. */
  PERSON_CORRECTED = "PERSON_CORRECTED",
  PARTNER_KEY_ISSUED = "PARTNER_KEY_ISSUED",
  PARTNER_KEY_REVOKED = "PARTNER_KEY_REVOKED",
  ACCOUNT_CLOSED = "ACCOUNT_CLOSED",
  PRIVACY_REQUEST_RECORDED = "PRIVACY_REQUEST_RECORDED",
  PRIVACY_REQUEST_UPDATED = "PRIVACY_REQUEST_UPDATED",
}

export interface AuditRecord {
  action: AuditAction;
  /** The person (user id) or partner whose data was touched. */
  subjectId?: string | null;
  /** A short, non-personal note: never a name, email, password or token. */
  detail?: string | null;
}

/** An entry under an id its writer chose ({@link newId}), so that the same request can extend it. */
export interface IdentifiedAuditRecord extends AuditRecord {
  id: string;
}

/**
 * Other subjects under which a domain records entries about the person `subjectId` names (a
 * pseudonym it keeps for them, say), so that `list` finds those entries by the person's id.
 */
export type AuditSubjectAliases = (subjectId: string) => readonly string[];

export interface AuditQuery extends PageArgs {
  subjectId?: string | null;
  actorId?: string | null;
  /** Entries at or after this instant. */
  from?: Date | null;
  /** Entries before this instant. */
  to?: Date | null;
}

/**
 * The audit log, declared in platform so that every domain writes it in its own transaction: the
 * entry commits with the read or change it records, or not at all.
 */
export interface AuditLog {
  record(ctx: RequestContext, entry: AuditRecord): Promise<void>;
  /** Records every entry with one statement (a page of people read at once); none for an empty list. */
  recordMany(ctx: RequestContext, entries: readonly AuditRecord[]): Promise<void>;
  /**
   * Records each entry under its id, or, where that id is recorded already, replaces its subject
   * and detail (its actor, action and time stay): one statement. For an entry that grows while one
   * request goes on (every order it reads); an id is never reused across requests, so no finished
   * entry changes.
   */
  recordOrReplace(ctx: RequestContext, entries: readonly IdentifiedAuditRecord[]): Promise<void>;
  /** Lets `list` find entries recorded under these aliases of a subject; they show the subject asked for. */
  addSubjectAliases(aliases: AuditSubjectAliases): void;
  /** Newest first. Authorisation (ADMIN only) is the caller's. */
  list(ctx: RequestContext, query: AuditQuery): Promise<Connection<AuditEntryEntity>>;
}

/** Who `ctx` is, as the audit log names them. */
export function auditActor(ctx: RequestContext): { actorId: string; actorKind: string } {
  const actor = ctx.actor;
  switch (actor.kind) {
    case "user":
      return { actorId: actor.userId, actorKind: "user" };
    case "partner":
      return { actorId: actor.partnerId, actorKind: "partner" };
    case "system":
      return { actorId: `system:${actor.name}`.slice(0, 64), actorKind: "system" };
    default:
      return { actorId: "anonymous", actorKind: "anonymous" };
  }
}

/** The audit log in the `audit_entry` table of the app's database. */
export class SqlAuditLog implements AuditLog {
  private readonly aliases: AuditSubjectAliases[] = [];

  async record(ctx: RequestContext, entry: AuditRecord): Promise<void> {
    await this.recordMany(ctx, [entry]);
  }

  async recordMany(ctx: RequestContext, entries: readonly AuditRecord[]): Promise<void> {
    await this.insert(ctx, entries, false);
  }

  async recordOrReplace(ctx: RequestContext, entries: readonly IdentifiedAuditRecord[]): Promise<void> {
    await this.insert(ctx, entries, true);
  }

  addSubjectAliases(aliases: AuditSubjectAliases): void {
    this.aliases.push(aliases);
  }

  private async insert(
    ctx: RequestContext,
    entries: readonly (AuditRecord & { id?: string })[],
    replace: boolean,
  ): Promise<void> {
    if (entries.length === 0) return;
    const at = ctx.clock.now();
    const actor = auditActor(ctx);
    const rows = entries.map((entry) => ({
      id: entry.id ?? newId(at.getTime()),
      ...actor,
      action: entry.action,
      subjectId: entry.subjectId ?? null,
      detail: entry.detail ? entry.detail.slice(0, 200) : null,
      at,
    }));
    // updateEntity(false): nothing to read back, and no per-row re-select after a multi-row insert.
    const insert = ctx.manager.createQueryBuilder().insert().into(AuditEntryEntity).values(rows).updateEntity(false);
    if (replace) insert.orUpdate(["subjectId", "detail"], ["id"]);
    await insert.execute();
  }

  async list(ctx: RequestContext, query: AuditQuery): Promise<Connection<AuditEntryEntity>> {
    const qb = ctx.manager.getRepository(AuditEntryEntity).createQueryBuilder("entry");
    const subjectId = query.subjectId;
    const subjects = subjectId ? [...new Set([subjectId, ...this.aliases.flatMap((a) => a(subjectId))])] : [];
    if (subjects.length > 0) qb.andWhere("entry.subjectId IN (:...subjects)", { subjects });
    if (query.actorId) qb.andWhere("entry.actorId = :actorId", { actorId: query.actorId });
    if (query.from) qb.andWhere("entry.at >= :from", { from: query.from });
    if (query.to) qb.andWhere("entry.at < :to", { to: query.to });
    const page = await paginate(qb, query, "DESC");
    if (subjectId) for (const entry of page.nodes) entry.subjectId = subjectId;
    return page;
  }

  /** Deletes entries older than `before`, in batches; the retention job's only way in. */
  async purgeOlderThan(ctx: RequestContext, before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await ctx.manager
        .getRepository(AuditEntryEntity)
        .createQueryBuilder("entry")
        .select("entry.id", "id")
        .where("entry.at < :before", { before })
        .orderBy("entry.id", "ASC")
        .limit(1000)
        .getRawMany<{ id: string }>();
      if (ids.length === 0) return total;
      await ctx.manager.delete(
        AuditEntryEntity,
        ids.map((r) => r.id),
      );
      total += ids.length;
    }
  }
}
