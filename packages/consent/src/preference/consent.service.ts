import {
  Channel,
  CHANNELS,
  FieldChecks,
  isMysql,
  lockRows,
  newId,
  normaliseEmail,
  NotFoundException,
  requireUser,
  Topic,
  TOPICS,
  type CommunicationChoice,
  type Connection,
  type DomainEventMap,
  type PageArgs,
  type RequestContext,
} from "@honour/platform";
import { UserEntity, type UserService } from "@honour/users";
import { In } from "typeorm";
import type { QueryDeepPartialEntity } from "typeorm/query-builder/QueryPartialEntity";
import { identifierOf, type ConsentKeys } from "../consent-keys";
import type { PolicyService } from "../policy/policy.service";
import { SuppressionReason } from "../suppression/suppression.entity";
import type { SuppressionService } from "../suppression/suppression.service";
import { ConsentAction, ConsentActorKind, ConsentEventEntity, ConsentMethod } from "./consent-event.entity";
import type { ConsentLedger } from "./consent-ledger";
import { ConsentPreferenceEntity } from "./consent-preference.entity";

/** One topic on one channel, granted or not. */
export interface PreferenceChange extends CommunicationChoice {
  granted: boolean;
}

/** The state of one topic on one channel for an account; `updatedAt` is null when never set. */
export interface PreferenceView extends CommunicationChoice {
  granted: boolean;
  updatedAt: Date | null;
}

/** Who a ledger entry names as having made the change. */
export interface LedgerActor {
  kind: ConsentActorKind;
  /** STAFF: the staff account id (stored keyed); SYSTEM: the process's name. */
  ref?: string;
}

/** Every topic on every channel: the most one call can change. */
export const MAX_PREFERENCE_CHANGES = TOPICS.length * CHANNELS.length;

/**
 * The policy's soft opt-in: someone who registers on a form that offered no choice may be sent
 * information about the company, product updates, special offers and newsletters by email. Never
 * partner offers, and never any other channel.
 */
export const SOFT_OPT_IN: readonly CommunicationChoice[] = [
  Topic.COMPANY_INFO,
  Topic.PRODUCT_UPDATES,
  Topic.SPECIAL_OFFERS,
  Topic.NEWSLETTER,
].map((topic) => ({ topic, channel: Channel.EMAIL }));

const keyOf = (c: CommunicationChoice) => `${c.topic}:${c.channel}`;

/** The ledger actor for a change to `subjectUserId`'s consent made by whoever `ctx` acts for. */
export function actorFor(ctx: RequestContext, subjectUserId: string): LedgerActor {
  switch (ctx.actor.kind) {
    case "user":
      return ctx.actor.userId === subjectUserId
        ? { kind: ConsentActorKind.PERSON }
        : { kind: ConsentActorKind.STAFF, ref: ctx.actor.userId };
    case "system":
      return { kind: ConsentActorKind.SYSTEM, ref: ctx.actor.name };
    case "partner":
      return { kind: ConsentActorKind.SYSTEM, ref: `partner:${ctx.actor.partnerId}` };
    case "anonymous":
      return { kind: ConsentActorKind.SYSTEM, ref: "anonymous" };
    default: {
      const unknown: never = ctx.actor;
      throw new Error(`unknown actor ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Consent: the ledger of grants and withdrawals and the current state derived from it, the
 * preference centre, and the consent a registration implies; `withdrawAll` for objections and
 * closures (the rest of a closure is `ConsentPersonalData.erase`).
 */
export class ConsentService {
  constructor(
    private readonly keys: ConsentKeys,
    private readonly ledger: ConsentLedger,
    private readonly policy: PolicyService,
    private readonly suppressions: SuppressionService,
    private readonly users: UserService,
  ) {}

  /** Every topic on every channel for the account, in a fixed order (topics, then channels). */
  async preferences(ctx: RequestContext, userId: string): Promise<PreferenceView[]> {
    const rows = await ctx.manager.findBy(ConsentPreferenceEntity, { userId });
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    return TOPICS.flatMap((topic) =>
      CHANNELS.map((channel) => {
        const row = byKey.get(keyOf({ topic, channel }));
        return { topic, channel, granted: row?.granted ?? false, updatedAt: row?.updatedAt ?? null };
      }),
    );
  }

  /** The signed-in user's preferences; `UNAUTHENTICATED` for anyone else. */
  async myPreferences(ctx: RequestContext): Promise<PreferenceView[]> {
    return this.preferences(ctx, requireUser(ctx).userId);
  }

  /**
   * Grants and withdraws for the signed-in user (method PREFERENCE_CENTRE) and returns every
   * preference. Granting on a channel is the person's own explicit action, so it also lifts a
   * suppression of their identifier on that channel. `BAD_USER_INPUT` (nothing written) for an
   * unknown topic or channel, a pair listed twice, or more than {@link MAX_PREFERENCE_CHANGES}.
   */
  async setPreferences(ctx: RequestContext, changes: readonly PreferenceChange[]): Promise<PreferenceView[]> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.setPreferences(tx, changes));
    const userId = requireUser(ctx).userId;
    const valid = validateChanges(changes);
    return ctx.transaction(async (tx) => {
      const user = await this.account(tx, userId);
      await this.record(tx, userId, valid, ConsentMethod.PREFERENCE_CENTRE, { kind: ConsentActorKind.PERSON });
      for (const channel of new Set(valid.filter((c) => c.granted).map((c) => c.channel))) {
        const identifier = identifierOf(channel, user);
        if (identifier) await this.suppressions.lift(tx, channel, identifier);
      }
      return this.preferences(tx, userId);
    });
  }

  /**
   * Withdraws every topic on a channel for the signed-in user, and puts their identifier on that
   * channel (when the profile has one) on the suppression list as UNSUBSCRIBED, so that nothing
   * reaches it until they grant something on the channel again.
   */
  async optOutOfAll(ctx: RequestContext, channel: Channel): Promise<PreferenceView[]> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.optOutOfAll(tx, channel));
    const userId = requireUser(ctx).userId;
    if (!CHANNELS.includes(channel)) {
      const checks = new FieldChecks();
      checks.fail("channel", "is not a channel");
      checks.throwIfAny();
    }
    return ctx.transaction(async (tx) => {
      const user = await this.account(tx, userId);
      const changes = TOPICS.map((topic) => ({ topic, channel, granted: false }));
      await this.record(tx, userId, changes, ConsentMethod.PREFERENCE_CENTRE, { kind: ConsentActorKind.PERSON });
      const identifier = identifierOf(channel, user);
      if (identifier) {
        await this.suppressions.suppress(tx, { channel, identifier, reason: SuppressionReason.UNSUBSCRIBED, userId });
      }
      return this.preferences(tx, userId);
    });
  }

  /** The signed-in user's ledger entries, newest first. */
  async myHistory(ctx: RequestContext, args: PageArgs): Promise<Connection<ConsentEventEntity>> {
    return this.ledger.page(ctx, this.keys.subject(requireUser(ctx).userId), args);
  }

  /** Whether the account has granted the topic on the channel (suppression is checked apart). */
  async isGranted(ctx: RequestContext, userId: string, topic: Topic, channel: Channel): Promise<boolean> {
    const row = await ctx.manager.findOneBy(ConsentPreferenceEntity, { userId, topic, channel });
    return row?.granted ?? false;
  }

  /**
   * Records what the registration form showed (reacting to `users.registered`, inside the
   * registration transaction): the ticked pairs, or without a choice on the form the soft opt-in.
   * Ticking email topics is an explicit action, which lifts a suppression of the address. The soft
   * opt-in is not: when the address is on the suppression list (whatever the reason, e.g. an
   * earlier account closed with it, or an unsubscribe), it grants nothing, so a person who comes
   * back is sent only what they tick again.
   */
  async recordRegistration(ctx: RequestContext, event: DomainEventMap["users.registered"]): Promise<void> {
    if (!event.communications) {
      if (await this.suppressions.isSuppressed(ctx, Channel.EMAIL, normaliseEmail(event.email))) return;
    }
    const choices = event.communications ?? SOFT_OPT_IN;
    const changes = choices.map((choice) => ({ topic: choice.topic, channel: choice.channel, granted: true }));
    await this.record(ctx, event.userId, changes, ConsentMethod.REGISTRATION_FORM, { kind: ConsentActorKind.PERSON });
    if (event.communications?.some((c) => c.channel === Channel.EMAIL)) {
      await this.suppressions.lift(ctx, Channel.EMAIL, normaliseEmail(event.email));
    }
  }

  /**
   * Withdraws every topic the account has granted, on every channel, in one ledger entry per pair
   * (method `method`, recorded as the person when they act themselves, else as the staff member or
   * system `ctx` acts for), and returns how many were withdrawn (0 when nothing was granted).
   * `@honour/privacy` calls it with {@link ConsentMethod.PRIVACY_REQUEST} to act on an OBJECTION;
   * closure uses it with ACCOUNT_CLOSED. Joins the caller's transaction. Throws `NOT_FOUND` for an
   * unknown account and `BAD_USER_INPUT` for an unknown method.
   */
  async withdrawAll(
    ctx: RequestContext,
    userId: string,
    method: ConsentMethod = ConsentMethod.PRIVACY_REQUEST,
  ): Promise<number> {
    if (!Object.values(ConsentMethod).includes(method)) {
      const checks = new FieldChecks();
      checks.fail("method", "is not a consent method");
      checks.throwIfAny();
    }
    return ctx.transaction(async (tx) => {
      await this.lockAccount(tx, userId);
      await this.account(tx, userId);
      // A locking read: the latest state even when the caller's snapshot is older, so that a
      // grant committed a moment ago is withdrawn too.
      const granted = (await this.currentPreferences(tx, userId)).filter((row) => row.granted);
      const changes = granted.map(({ topic, channel }) => ({ topic, channel, granted: false }));
      return this.record(tx, userId, changes, method, actorFor(tx, userId));
    });
  }

  /**
   * The one way into the ledger: appends an entry for each change that changes something (or
   * grants again under a newer policy version) and updates the current state to match, in one
   * transaction (joined when the caller has one open). Returns how many entries were appended.
   */
  async record(
    ctx: RequestContext,
    userId: string,
    changes: readonly PreferenceChange[],
    method: ConsentMethod,
    actor: LedgerActor,
  ): Promise<number> {
    if (changes.length === 0) return 0;
    return ctx.transaction(async (tx) => {
      // One writer per account at a time, so the current state is the ledger's last word.
      await this.lockAccount(tx, userId);
      const rows = await this.currentPreferences(tx, userId);
      const current = new Map(rows.map((row) => [keyOf(row), row]));
      const policyVersion = await this.policy.currentVersion(tx);
      const now = tx.clock.now();
      const subjectHash = this.keys.subject(userId);
      const actorRef =
        actor.kind === ConsentActorKind.STAFF && actor.ref
          ? this.keys.staff(actor.ref)
          : actor.kind === ConsentActorKind.SYSTEM
            ? (actor.ref ?? null)
            : null;

      const entries: ConsentEventEntity[] = [];
      const inserts: ConsentPreferenceEntity[] = [];
      const updates: ConsentPreferenceEntity[] = [];
      for (const change of changes) {
        const row = current.get(keyOf(change));
        const reaffirmed = change.granted && row?.granted === true && row.policyVersion < policyVersion;
        if (change.granted === (row?.granted ?? false) && !reaffirmed) continue;
        const entry: ConsentEventEntity = Object.assign(new ConsentEventEntity(), {
          id: newId(now.getTime()),
          subjectHash,
          topic: change.topic,
          channel: change.channel,
          action: change.granted ? ConsentAction.GRANTED : ConsentAction.WITHDRAWN,
          method,
          actorKind: actor.kind,
          actorRef,
          policyVersion,
          occurredAt: now,
        });
        entries.push(entry);
        const state: ConsentPreferenceEntity = Object.assign(new ConsentPreferenceEntity(), {
          userId,
          topic: change.topic,
          channel: change.channel,
          granted: change.granted,
          method,
          policyVersion,
          eventId: entry.id,
          updatedAt: now,
        });
        (row ? updates : inserts).push(state);
        current.set(keyOf(change), state);
      }
      await this.ledger.append(tx, entries);
      if (inserts.length > 0) {
        await tx.manager
          .createQueryBuilder()
          .insert()
          .into(ConsentPreferenceEntity)
          .values(inserts as QueryDeepPartialEntity<ConsentPreferenceEntity>[])
          .updateEntity(false)
          .execute();
      }
      for (const { topic, channel, granted, eventId, updatedAt } of updates) {
        await tx.manager.update(
          ConsentPreferenceEntity,
          { userId, topic, channel },
          { granted, method, policyVersion, eventId, updatedAt },
        );
      }
      return entries.length;
    });
  }

  private async account(ctx: RequestContext, userId: string): Promise<UserEntity> {
    const user = await this.users.findById(ctx, userId);
    if (!user) throw new NotFoundException("User");
    return user;
  }

  /**
   * The account's current preferences. On MySQL/MariaDB a locking read (under the account's lock,
   * so it waits for nobody new): it sees the latest committed state, not the snapshot an earlier
   * plain read in the caller's transaction took, which may predate a change it waited for.
   */
  private currentPreferences(ctx: RequestContext, userId: string): Promise<ConsentPreferenceEntity[]> {
    const query = ctx.manager.createQueryBuilder(ConsentPreferenceEntity, "p").where("p.userId = :userId", { userId });
    return lockRows(query, "update").getMany();
  }

  private async lockAccount(ctx: RequestContext, userId: string): Promise<void> {
    // SQLite transactions take turns already (platform's runInTransaction); it has no row locks.
    if (!isMysql(ctx.dataSource)) return;
    await lockRows(
      ctx.manager.createQueryBuilder(UserEntity, "u").select("u.id").where("u.id = :userId", { userId }),
      "update",
    ).getOne();
  }

  /** Accounts among `userIds` that granted `topic` on `channel`. */
  async grantedAmong(
    ctx: RequestContext,
    userIds: readonly string[],
    topic: Topic,
    channel: Channel,
  ): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await ctx.manager.findBy(ConsentPreferenceEntity, {
      userId: In([...userIds]),
      topic,
      channel,
      granted: true,
    });
    return new Set(rows.map((r) => r.userId));
  }
}

/** Checks a preference centre input; returns it, or throws `BAD_USER_INPUT` naming each bad entry. */
function validateChanges(changes: readonly PreferenceChange[]): PreferenceChange[] {
  const checks = new FieldChecks();
  if (!Array.isArray(changes)) {
    checks.fail("input", "must be a list");
    checks.throwIfAny();
  }
  if (changes.length > MAX_PREFERENCE_CHANGES) {
    checks.fail("input", `must have at most ${MAX_PREFERENCE_CHANGES} entries, one per topic and channel`);
    checks.throwIfAny();
  }
  const seen = new Set<string>();
  changes.forEach((change, index) => {
    if (!TOPICS.includes(change?.topic)) checks.fail(`input.${index}.topic`, "is not a topic");
    if (!CHANNELS.includes(change?.channel)) checks.fail(`input.${index}.channel`, "is not a channel");
    if (typeof change?.granted !== "boolean") checks.fail(`input.${index}.granted`, "must be true or false");
    if (seen.has(keyOf(change))) checks.fail(`input.${index}`, "repeats a topic and channel listed before");
    seen.add(keyOf(change));
  });
  checks.throwIfAny();
  return changes.map(({ topic, channel, granted }) => ({ topic, channel, granted }));
}
