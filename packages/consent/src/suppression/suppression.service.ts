import {
  Channel,
  CHANNELS,
  FieldChecks,
  isDuplicateKeyError,
  newId,
  sha256,
  Topic,
  UnauthenticatedException,
  type RequestContext,
} from "@honour/platform";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { normaliseIdentifier, type ConsentKeys } from "../consent-keys";
import { ConsentPreferenceEntity } from "../preference/consent-preference.entity";
import { REMOVAL_REQUEST_LIMITS, RemovalRequestEntity } from "./removal-request.entity";
import { PERSONAL_SUPPRESSION_REASONS, SuppressionEntity, SuppressionReason } from "./suppression.entity";

/** A removal request as staff record it. */
export interface RemovalRequest {
  channel: Channel;
  /** The number, email address, or for MAIL the address on one line (see `normaliseIdentifier`). */
  value: string;
  note?: string | null;
}

/** Why a hash is in the partners' feed. */
export enum SuppressedHashReason {
  /** The person withdrew PARTNER_OFFERS (on `channel`). */
  PARTNER_OFFERS_WITHDRAWN = "PARTNER_OFFERS_WITHDRAWN",
  /** The person's email address is on the suppression list. */
  SUPPRESSED = "SUPPRESSED",
}

/** One entry of the partners' feed: no personal data beyond the hash of an address they may hold. */
export interface SuppressedHash {
  /** SHA-256 of the normalised (trimmed, lower-case) email address, hex. */
  hash: string;
  reason: SuppressedHashReason;
  channel: Channel;
  occurredAt: Date;
}

/** Most entries one call of the partners' feed returns; call again with the last `occurredAt`. */
export const PARTNER_FEED_LIMIT = 1000;

/** Largest IN (…) list per query. */
const CHUNK = 500;

/**
 * The suppression list: keyed hashes of identifiers that receive nothing on their channel,
 * whatever consent says. Precedence: a suppression wins over any grant; a system reason (BOUNCED,
 * ACCOUNT_CLOSED) never replaces the person's own (UNSUBSCRIBED, REMOVAL_REQUEST, COMPLAINT); and
 * only the person's own explicit action lifts an entry (see `ConsentService.setPreferences`).
 */
export class SuppressionService {
  constructor(private readonly keys: ConsentKeys) {}

  /** The stored form of a normalised identifier. */
  hash(channel: Channel, identifier: string): string {
    return this.keys.identifier(channel, identifier);
  }

  /**
   * Puts a normalised identifier on the list, or keeps it there: an entry in force keeps its
   * reason unless the new one is the person's own and the old one a system's; a lifted entry
   * applies again from now.
   */
  async suppress(
    ctx: RequestContext,
    entry: { channel: Channel; identifier: string; reason: SuppressionReason; userId?: string | null },
  ): Promise<SuppressionEntity> {
    const identifierHash = this.hash(entry.channel, entry.identifier);
    const now = ctx.clock.now();
    const existing = await ctx.manager.findOneBy(SuppressionEntity, { channel: entry.channel, identifierHash });
    if (!existing) {
      const created: SuppressionEntity = Object.assign(new SuppressionEntity(), {
        id: newId(now.getTime()),
        channel: entry.channel,
        identifierHash,
        reason: entry.reason,
        suppressedAt: now,
        liftedAt: null,
        userId: entry.userId ?? null,
      });
      try {
        await ctx.manager
          .createQueryBuilder()
          .insert()
          .into(SuppressionEntity)
          .values(created as QueryDeepPartialEntity<SuppressionEntity>)
          .updateEntity(false)
          .execute();
        return created;
      } catch (error) {
        // Someone suppressed the same identifier a moment ago: theirs stands, with our reason's precedence.
        if (!isDuplicateKeyError(error)) throw error;
        return this.suppress(ctx, entry);
      }
    }
    let change: Partial<SuppressionEntity> = {};
    if (existing.liftedAt) {
      change = { reason: entry.reason, suppressedAt: now, liftedAt: null, userId: entry.userId ?? existing.userId };
    } else if (!PERSONAL_SUPPRESSION_REASONS.has(existing.reason) && PERSONAL_SUPPRESSION_REASONS.has(entry.reason)) {
      change = { reason: entry.reason, userId: existing.userId ?? entry.userId ?? null };
    } else if (!existing.userId && entry.userId) {
      change = { userId: entry.userId };
    }
    if (Object.keys(change).length > 0) await ctx.manager.update(SuppressionEntity, { id: existing.id }, change);
    return Object.assign(existing, change);
  }

  /**
   * Lifts the entry for a normalised identifier, whatever its reason. Call it only for the
   * person's own explicit action. Returns whether an entry in force was lifted.
   */
  async lift(ctx: RequestContext, channel: Channel, identifier: string): Promise<boolean> {
    const identifierHash = this.hash(channel, identifier);
    const result = await ctx.manager
      .createQueryBuilder()
      .update(SuppressionEntity)
      .set({ liftedAt: ctx.clock.now() })
      .where("channel = :channel AND identifierHash = :identifierHash AND liftedAt IS NULL", {
        channel,
        identifierHash,
      })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async isSuppressed(ctx: RequestContext, channel: Channel, identifier: string): Promise<boolean> {
    return (await this.suppressedAmong(ctx, channel, [this.hash(channel, identifier)])).size > 0;
  }

  /** The hashes among `hashes` with an entry in force on the channel. */
  async suppressedAmong(ctx: RequestContext, channel: Channel, hashes: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < hashes.length; i += CHUNK) {
      const rows = await ctx.manager
        .createQueryBuilder(SuppressionEntity, "s")
        .select("s.identifierHash")
        .where("s.channel = :channel", { channel })
        .andWhere("s.identifierHash IN (:...hashes)", { hashes: hashes.slice(i, i + CHUNK) })
        .andWhere("s.liftedAt IS NULL")
        .getMany();
      for (const row of rows) found.add(row.identifierHash);
    }
    return found;
  }

  /**
   * Records a request to be removed from a list, made by telephone, fax or letter; it takes
   * effect at once (the next list export and campaign leave the identifier out), even where the
   * person still has a grant. Staff only. `BAD_USER_INPUT` for a malformed value or a long note.
   */
  async recordRemovalRequest(ctx: RequestContext, request: RemovalRequest): Promise<SuppressionEntity> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.recordRemovalRequest(tx, request));
    if (ctx.actor.kind !== "user") throw new UnauthenticatedException();
    const recordedBy = ctx.actor.userId;
    const checks = new FieldChecks();
    let identifier: string | null = null;
    if (!CHANNELS.includes(request.channel)) checks.fail("input.channel", "is not a channel");
    else if (typeof request.value !== "string" || request.value.length > REMOVAL_REQUEST_LIMITS.value) {
      checks.fail("input.value", `must be at most ${REMOVAL_REQUEST_LIMITS.value} characters`);
    } else {
      identifier = normaliseIdentifier(request.channel, request.value);
      if (!identifier) checks.fail("input.value", VALUE_FORMATS[request.channel]);
    }
    const note = request.note?.trim() || null;
    if (note && note.length > REMOVAL_REQUEST_LIMITS.note) {
      checks.fail("input.note", `must be at most ${REMOVAL_REQUEST_LIMITS.note} characters`);
    }
    checks.throwIfAny();

    const now = ctx.clock.now();
    return ctx.transaction(async (tx) => {
      const suppression = await this.suppress(tx, {
        channel: request.channel,
        identifier: identifier!,
        reason: SuppressionReason.REMOVAL_REQUEST,
      });
      await tx.manager.insert(RemovalRequestEntity, {
        id: newId(now.getTime()),
        channel: request.channel,
        identifierHash: suppression.identifierHash,
        note,
        recordedBy,
        recordedAt: now,
      });
      return suppression;
    });
  }

  /**
   * For partners: hashes of the email addresses of people who withdrew PARTNER_OFFERS or whose
   * address is suppressed, at or after `since`, oldest first, at most {@link PARTNER_FEED_LIMIT}.
   * Only accounts that still exist can be named; nothing else about them is returned.
   */
  async partnerFeed(ctx: RequestContext, since: Date | null): Promise<SuppressedHash[]> {
    const from = since ?? new Date(0);
    const withdrawn = await ctx.manager
      .createQueryBuilder(ConsentPreferenceEntity, "p")
      .innerJoinAndSelect("p.user", "u")
      .where("p.topic = :topic", { topic: Topic.PARTNER_OFFERS })
      .andWhere("p.granted = :granted", { granted: false })
      .andWhere("p.updatedAt >= :from", { from })
      .orderBy("p.updatedAt", "ASC")
      .take(PARTNER_FEED_LIMIT)
      .getMany();
    const suppressed = await ctx.manager
      .createQueryBuilder(SuppressionEntity, "s")
      .innerJoinAndSelect("s.user", "u")
      .where("s.channel = :channel", { channel: Channel.EMAIL })
      .andWhere("s.liftedAt IS NULL")
      .andWhere("s.suppressedAt >= :from", { from })
      .orderBy("s.suppressedAt", "ASC")
      .take(PARTNER_FEED_LIMIT)
      .getMany();
    const feed: SuppressedHash[] = [
      ...withdrawn.map((p) => ({
        hash: sha256(p.user!.email),
        reason: SuppressedHashReason.PARTNER_OFFERS_WITHDRAWN,
        channel: p.channel,
        occurredAt: p.updatedAt,
      })),
      // An entry made for an address the account no longer has is about that old address, which
      // we no longer know; leave it out rather than name the new one.
      ...suppressed
        .filter((s) => this.hash(Channel.EMAIL, s.user!.email) === s.identifierHash)
        .map((s) => ({
          hash: sha256(s.user!.email),
          reason: SuppressedHashReason.SUPPRESSED,
          channel: Channel.EMAIL,
          occurredAt: s.suppressedAt,
        })),
    ];
    return feed.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime()).slice(0, PARTNER_FEED_LIMIT);
  }
}

const VALUE_FORMATS: Record<Channel, string> = {
  [Channel.EMAIL]: "must be an email address",
  [Channel.TELEPHONE]: "must be a telephone number in international form, like +44 20 7946 0000",
  [Channel.FAX]: "must be a fax number in international form, like +44 20 7946 0001",
  [Channel.MAIL]:
    "must be an address on one line, ending with the postcode and country: 1 High Street, London, SW1A 1AA, GB",
};
