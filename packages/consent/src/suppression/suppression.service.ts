import {
  Channel,
  CHANNELS,
  FieldChecks,
  HotReads,
  isDuplicateKeyError,
  newId,
  Topic,
  UnauthenticatedException,
  type RequestContext,
} from "@honour/platform";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import type { QueryResult } from "typeorm/query-runner/QueryResult";
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

/** Largest IN (…) list per query. */
const CHUNK = 500;

/**
 * The suppression list: keyed hashes of identifiers that receive nothing on their channel,
 * whatever consent says. Precedence: a suppression wins over any grant; a system reason (BOUNCED,
 * ACCOUNT_CLOSED) never replaces the person's own (UNSUBSCRIBED, REMOVAL_REQUEST, COMPLAINT); and
 * only the person's own explicit action lifts an entry (see `ConsentService.setPreferences`).
 */
export class SuppressionService {
  private readonly statements = new HotReads();

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
    // Plain SQL built once (issue 18: every grant in the preference centre runs it).
    const { dataSource } = ctx;
    const metadata = dataSource.getMetadata(SuppressionEntity);
    const liftedAt = metadata.findColumnWithPropertyName("liftedAt")!;
    const sql = this.statements.statement(dataSource, "suppression:lift", () => {
      const name = (property: string) =>
        dataSource.driver.escape(metadata.findColumnWithPropertyName(property)!.databaseName);
      return (
        `UPDATE ${dataSource.driver.escape(metadata.tableName)} SET ${name("liftedAt")} = ? ` +
        `WHERE ${name("channel")} = ? AND ${name("identifierHash")} = ? AND ${name("liftedAt")} IS NULL`
      );
    });
    const parameters = [dataSource.driver.preparePersistentValue(ctx.clock.now(), liftedAt), channel, identifierHash];
    // The structured result says how many rows changed on either driver.
    const result = await this.statements.run<QueryResult>(ctx, sql, parameters, true);
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
   * For partners' `checkPartnerSuppressions`: of these normalised email addresses, those a partner
   * must not contact, each with the channels it must not use: EMAIL for an address on the
   * suppression list (whatever the reason, so an answer does not tell an account holder from anyone
   * else who asked to be left alone), and each channel on which the account holding the address
   * withdrew PARTNER_OFFERS. Addresses not in the answer may be contacted as far as Honour knows.
   */
  async partnerDoNotContact(ctx: RequestContext, emails: readonly string[]): Promise<Map<string, Channel[]>> {
    const found = new Map<string, Set<Channel>>();
    const add = (email: string, channel: Channel) => {
      const channels = found.get(email) ?? new Set<Channel>();
      found.set(email, channels.add(channel));
    };
    const unique = [...new Set(emails)];
    const byHash = new Map(unique.map((email) => [this.hash(Channel.EMAIL, email), email]));
    for (const hash of await this.suppressedAmong(ctx, Channel.EMAIL, [...byHash.keys()]))
      add(byHash.get(hash)!, Channel.EMAIL);
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await ctx.manager
        .createQueryBuilder(ConsentPreferenceEntity, "p")
        .innerJoin("p.user", "u")
        .select(["p.channel AS channel", "u.email AS email"])
        .where("p.topic = :topic", { topic: Topic.PARTNER_OFFERS })
        .andWhere("p.granted = :granted", { granted: false })
        .andWhere("u.email IN (:...emails)", { emails: unique.slice(i, i + CHUNK) })
        .getRawMany<{ channel: Channel; email: string }>();
      for (const row of rows) add(row.email, row.channel);
    }
    return new Map([...found].map(([email, channels]) => [email, CHANNELS.filter((c) => channels.has(c))]));
  }
}

const VALUE_FORMATS: Record<Channel, string> = {
  [Channel.EMAIL]: "must be an email address",
  [Channel.TELEPHONE]: "must be a telephone number in international form, like +44 20 7946 0000",
  [Channel.FAX]: "must be a fax number in international form, like +44 20 7946 0001",
  [Channel.MAIL]:
    "must be an address on one line, ending with the postcode and country: 1 High Street, London, SW1A 1AA, GB",
};
