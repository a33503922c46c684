import {
  Channel,
  CHANNELS,
  FieldChecks,
  HotReads,
  hydrateEntity,
  isMysql,
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
import { UserEntity } from "@honour/users";
import { In, type DataSource } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { identifierOf, type ConsentKeys } from "../consent-keys";
import { PolicyVersionEntity } from "../policy/policy-version.entity";
import type { PolicyService } from "../policy/policy.service";
import { SuppressionReason } from "../suppression/suppression.entity";
import type { SuppressionService } from "../suppression/suppression.service";
import { ConsentAction, ConsentActorKind, ConsentEventEntity, ConsentMethod } from "./consent-event.entity";
import type { ConsentLedger } from "./consent-ledger";
import { ConsentPreferenceEntity } from "./consent-preference.entity";
import { PendingConsentEntity } from "./pending-consent.entity";

/** The column {@link preferencesAndPendingSql} adds: 1 on a pair waiting for verification. */
const PENDING_COLUMN = "pendingVerification";
/** The column {@link lockedAccountSql} adds: the privacy policy version in force (null before any). */
const POLICY_COLUMN = "currentPolicyVersion";

/**
 * The account's preference rows (every column), then its pending pairs as rows of the same shape
 * (key columns only, the rest NULL), told apart by {@link PENDING_COLUMN}. Parameters: the user id
 * twice. `lock`: on MySQL/MariaDB both parts are locking reads (`FOR UPDATE`), which see the latest
 * committed rows whatever snapshot the transaction took before.
 */
function preferencesAndPendingSql(dataSource: DataSource, lock: boolean): string {
  const { driver } = dataSource;
  const preference = dataSource.getMetadata(ConsentPreferenceEntity);
  const pending = dataSource.getMetadata(PendingConsentEntity);
  const columns = preference.columns.filter((column) => column.isSelect);
  const keyColumns = new Set(["userId", "topic", "channel"]);
  const name = (column: string) => driver.escape(column);
  const preferenceColumns = columns.map((column) => name(column.databaseName));
  const pendingColumns = columns.map((column) =>
    keyColumns.has(column.propertyName)
      ? `${name(pending.findColumnWithPropertyName(column.propertyName)!.databaseName)} AS ${name(column.databaseName)}`
      : `NULL AS ${name(column.databaseName)}`,
  );
  const userId = (metadata: typeof preference) => name(metadata.findColumnWithPropertyName("userId")!.databaseName);
  const preferences =
    `SELECT ${preferenceColumns.join(", ")}, 0 AS ${name(PENDING_COLUMN)} FROM ${name(preference.tableName)} ` +
    `WHERE ${userId(preference)} = ?`;
  const pendings =
    `SELECT ${pendingColumns.join(", ")}, 1 AS ${name(PENDING_COLUMN)} FROM ${name(pending.tableName)} ` +
    `WHERE ${userId(pending)} = ?`;
  return lock
    ? `(${preferences} FOR UPDATE) UNION ALL (${pendings} FOR UPDATE)`
    : `${preferences} UNION ALL ${pendings}`;
}

/**
 * The account's row (the columns a plain read selects) with the privacy policy version in force as
 * {@link POLICY_COLUMN}, on MySQL/MariaDB a locking read: one writer per account at a time, so the
 * current state is the ledger's last word. Parameter: the user id.
 */
function lockedAccountSql(dataSource: DataSource): string {
  const { driver } = dataSource;
  const user = dataSource.getMetadata(UserEntity);
  const policy = dataSource.getMetadata(PolicyVersionEntity);
  const columns = user.columns.filter((column) => column.isSelect).map((c) => driver.escape(c.databaseName));
  const version = driver.escape(policy.findColumnWithPropertyName("version")!.databaseName);
  const id = driver.escape(user.findColumnWithPropertyName("id")!.databaseName);
  return (
    `SELECT ${columns.join(", ")}, (SELECT MAX(${version}) FROM ${driver.escape(policy.tableName)}) AS ` +
    `${driver.escape(POLICY_COLUMN)} FROM ${driver.escape(user.tableName)} WHERE ${id} = ?` +
    (isMysql(dataSource) ? " FOR UPDATE" : "")
  );
}

/**
 * `INSERT` of `rows` preference rows that updates a row already there (the account's rows are
 * locked, so it is there exactly when the state read saw it): one statement whatever the mix.
 */
function upsertPreferencesSql(dataSource: DataSource, rows: number): string {
  const { driver } = dataSource;
  const metadata = dataSource.getMetadata(ConsentPreferenceEntity);
  const columns = metadata.columns.filter((column) => column.isInsert);
  const name = (column: { databaseName: string }) => driver.escape(column.databaseName);
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const changed = columns.filter((column) => !column.isPrimary);
  const insert =
    `INSERT INTO ${driver.escape(metadata.tableName)} (${columns.map(name).join(", ")}) ` +
    `VALUES ${Array(rows).fill(tuple).join(", ")}`;
  return isMysql(dataSource)
    ? `${insert} ON DUPLICATE KEY UPDATE ${changed.map((c) => `${name(c)} = VALUES(${name(c)})`).join(", ")}`
    : `${insert} ON CONFLICT (${metadata.primaryColumns.map(name).join(", ")}) DO UPDATE SET ` +
        changed.map((c) => `${name(c)} = excluded.${name(c)}`).join(", ");
}

/** What a change needs of a pair's current state, and what an answer shows. */
interface PairState {
  granted: boolean;
  policyVersion: number;
  updatedAt: Date;
}

/** The columns {@link ConsentService} reads of a preference row: the key's names, the state's metadata. */
interface PreferenceColumns {
  topic: string;
  channel: string;
  granted: ColumnMetadata;
  policyVersion: ColumnMetadata;
  updatedAt: ColumnMetadata;
}

/**
 * An account as {@link ConsentService.lockedAccount} read it under its lock, kept up to date by the
 * writes of the same transaction, so that the answer needs no second read.
 */
interface LockedAccount {
  userId: string;
  /** Null for an unknown account. */
  user: UserEntity | null;
  policyVersion: number;
  /** The preference rows, by {@link keyOf}. */
  rows: Map<string, PairState>;
  /** The pairs waiting for the address's verification, by {@link keyOf}. */
  pending: Set<string>;
}

/** One topic on one channel, granted or not. */
export interface PreferenceChange extends CommunicationChoice {
  granted: boolean;
}

/** The state of one topic on one channel for an account; `updatedAt` is null when never set. */
export interface PreferenceView extends CommunicationChoice {
  granted: boolean;
  /** Chosen, but waiting for the account's address to be verified (double opt-in); not granted. */
  pending: boolean;
  updatedAt: Date | null;
  /** The privacy policy version this choice was last made under; null when never set. */
  policyVersion?: number | null;
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

/** Every topic on every channel, in the answers' order (topics, then channels), with its key. */
const PAIRS = TOPICS.flatMap((topic) =>
  CHANNELS.map((channel) => ({ topic, channel, key: keyOf({ topic, channel }) })),
);

/** Every pair's view from the rows and pending pairs by key, in {@link PAIRS}' order. */
function viewsOf(rows: ReadonlyMap<string, PairState>, pending: ReadonlySet<string>): PreferenceView[] {
  const views = new Array<PreferenceView>(PAIRS.length);
  for (let i = 0; i < PAIRS.length; i++) {
    const { topic, channel, key } = PAIRS[i]!;
    const row = rows.get(key);
    views[i] = {
      topic,
      channel,
      granted: row?.granted ?? false,
      pending: pending.has(key),
      updatedAt: row?.updatedAt ?? null,
      policyVersion: row?.policyVersion ?? null,
    };
  }
  return views;
}

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
  private readonly reads = new HotReads();

  constructor(
    private readonly keys: ConsentKeys,
    private readonly ledger: ConsentLedger,
    private readonly policy: PolicyService,
    private readonly suppressions: SuppressionService,
  ) {}

  /**
   * Every topic on every channel for the account, in a fixed order (topics, then channels). One
   * statement (issue 18): the preference rows and, after them, the pairs waiting for verification,
   * as preference rows with only their key.
   */
  async preferences(ctx: RequestContext, userId: string): Promise<PreferenceView[]> {
    const { dataSource } = ctx;
    const sql = this.reads.statement(dataSource, "consent:preferences-and-pending", () =>
      preferencesAndPendingSql(dataSource, false),
    );
    const { rows, pending } = this.pairsOf(dataSource, await this.reads.run(ctx, sql, [userId, userId]));
    return viewsOf(rows, pending);
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
    return this.setPreferencesOf(ctx, requireUser(ctx).userId, changes, { kind: ConsentActorKind.PERSON });
  }

  /**
   * {@link setPreferences} for the account `userId`, recorded as `actor`: the preference centre
   * opened from a message's signed preference link (actor PREFERENCE_LINK) uses it. Joins the
   * caller's transaction. `NOT_FOUND` for an unknown account.
   *
   * Double opt-in: while the account's address is not verified, an email grant is not granted but
   * waits in `pending_consent` (shown as `pending`) and is granted, with the verification as proof,
   * when the address is verified (`PendingConsentService.grantOnVerification`), as the topics
   * chosen at registration are. Nothing is sent to the address meanwhile.
   */
  async setPreferencesOf(
    ctx: RequestContext,
    userId: string,
    changes: readonly PreferenceChange[],
    actor: LedgerActor,
  ): Promise<PreferenceView[]> {
    const valid = validateChanges(changes);
    return ctx.transaction(async (tx) => {
      const account = await this.lockedAccount(tx, userId);
      const user = account.user;
      if (!user) throw new NotFoundException("User");
      // An address nobody proved is the account holder's is granted nothing and lifts nothing: its
      // owner's ACCOUNT_CLOSED or removal request stands until the address is verified.
      const waits = user.emailVerifiedAt ? [] : valid.filter((c) => c.granted && c.channel === Channel.EMAIL);
      const now = waits.length === 0 ? valid : valid.filter((c) => !waits.includes(c));
      await this.recordOn(tx, account, now, ConsentMethod.PREFERENCE_CENTRE, actor);
      await this.holdForVerification(tx, account, waits);
      for (const channel of new Set(now.filter((c) => c.granted).map((c) => c.channel))) {
        if (channel === Channel.EMAIL && !user.emailVerifiedAt) continue;
        const identifier = identifierOf(channel, user);
        if (identifier) await this.suppressions.lift(tx, channel, identifier);
      }
      // The state as this transaction left it, under the account's lock: no second read.
      return viewsOf(account.rows, account.pending);
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
      const account = await this.lockedAccount(tx, userId);
      const user = this.known(account);
      const changes = TOPICS.map((topic) => ({ topic, channel, granted: false }));
      await this.recordOn(tx, account, changes, ConsentMethod.PREFERENCE_CENTRE, { kind: ConsentActorKind.PERSON });
      const identifier = identifierOf(channel, user);
      if (identifier) {
        await this.suppressions.suppress(tx, { channel, identifier, reason: SuppressionReason.UNSUBSCRIBED, userId });
      }
      return viewsOf(account.rows, account.pending);
    });
  }

  /**
   * "Stop all marketing" in the preference centre: withdraws every topic on every channel and puts
   * each identifier the profile has (address, numbers) on the suppression list as UNSUBSCRIBED, in
   * one transaction (joined), recorded as `actor`. Returns every preference.
   */
  async stopAllMarketing(ctx: RequestContext, userId: string, actor: LedgerActor): Promise<PreferenceView[]> {
    return ctx.transaction(async (tx) => {
      const account = await this.lockedAccount(tx, userId);
      const user = this.known(account);
      const changes = PAIRS.map(({ topic, channel }) => ({ topic, channel, granted: false }));
      await this.recordOn(tx, account, changes, ConsentMethod.PREFERENCE_CENTRE, actor);
      for (const channel of CHANNELS) {
        const identifier = identifierOf(channel, user);
        if (identifier) {
          await this.suppressions.suppress(tx, { channel, identifier, reason: SuppressionReason.UNSUBSCRIBED, userId });
        }
      }
      return viewsOf(account.rows, account.pending);
    });
  }

  /** An account's ledger entries, newest first (the preference centre's history). */
  async history(ctx: RequestContext, userId: string, args: PageArgs): Promise<Connection<ConsentEventEntity>> {
    return this.ledger.page(ctx, this.keys.subject(userId), args);
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
    const method = event.communications ? ConsentMethod.REGISTRATION_FORM : ConsentMethod.SOFT_OPT_IN;
    await this.record(ctx, event.userId, changes, method, { kind: ConsentActorKind.PERSON });
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
      // Locking reads: the latest state even when the caller's snapshot is older, so that a grant
      // committed a moment ago is withdrawn too.
      const account = await this.lockedAccount(tx, userId);
      this.known(account);
      const changes = PAIRS.filter(({ key }) => account.rows.get(key)?.granted).map(({ topic, channel }) => ({
        topic,
        channel,
        granted: false,
      }));
      // What waits for the address's verification goes too: an objection covers it.
      if (account.pending.size > 0) {
        await tx.manager.delete(PendingConsentEntity, { userId });
        account.pending.clear();
      }
      return this.recordOn(tx, account, changes, method, actorFor(tx, userId));
    });
  }

  /**
   * The one way into the ledger: appends an entry for each change that changes something (or
   * grants again under a newer policy version) and updates the current state to match, in one
   * transaction (joined when the caller has one open). Returns how many entries were appended.
   * A pair it is told about no longer waits for the address's verification: the latest word wins,
   * so a withdrawal (even of a pair not granted) drops a pending grant of it.
   */
  async record(
    ctx: RequestContext,
    userId: string,
    changes: readonly PreferenceChange[],
    method: ConsentMethod,
    actor: LedgerActor,
  ): Promise<number> {
    if (changes.length === 0) return 0;
    return ctx.transaction(async (tx) =>
      this.recordOn(tx, await this.lockedAccount(tx, userId), changes, method, actor),
    );
  }

  /**
   * {@link record} for an account read under its lock ({@link lockedAccount}) in `ctx`'s
   * transaction; updates `account` to what it wrote. Plain SQL (issue 18): one statement for the
   * ledger entries and one for the preference rows, whatever the number of changes.
   */
  private async recordOn(
    ctx: RequestContext,
    account: LockedAccount,
    changes: readonly PreferenceChange[],
    method: ConsentMethod,
    actor: LedgerActor,
  ): Promise<number> {
    if (changes.length === 0) return 0;
    const { userId, policyVersion, rows: current } = account;
    await this.dropPending(ctx, account, changes);
    const now = ctx.clock.now();
    const subjectHash = this.keys.subject(userId);
    const actorRef =
      actor.kind === ConsentActorKind.STAFF && actor.ref
        ? this.keys.staff(actor.ref)
        : actor.kind === ConsentActorKind.SYSTEM
          ? (actor.ref ?? null)
          : null;

    const entries: ConsentEventEntity[] = [];
    const states: ConsentPreferenceEntity[] = [];
    for (const change of changes) {
      const key = keyOf(change);
      const row = current.get(key);
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
      states.push(
        Object.assign(new ConsentPreferenceEntity(), {
          userId,
          topic: change.topic,
          channel: change.channel,
          granted: change.granted,
          method,
          policyVersion,
          eventId: entry.id,
          updatedAt: now,
        }),
      );
      current.set(key, { granted: change.granted, policyVersion, updatedAt: now });
    }
    if (entries.length === 0) return 0;
    await this.ledger.append(ctx, entries);
    const { dataSource } = ctx;
    const { driver } = dataSource;
    const columns = dataSource.getMetadata(ConsentPreferenceEntity).columns.filter((column) => column.isInsert);
    const sql = this.reads.statement(dataSource, `consent:upsert-preferences:${states.length}`, () =>
      upsertPreferencesSql(dataSource, states.length),
    );
    const parameters: unknown[] = [];
    for (const state of states) {
      for (const column of columns)
        parameters.push(driver.preparePersistentValue(column.getEntityValue(state), column));
    }
    await this.reads.run(ctx, sql, parameters);
    return entries.length;
  }

  /**
   * Keeps `grants` (email grants of an account whose address is not verified) in `pending_consent`
   * until the verification, replacing what waited for the same pairs. A pair granted already (before
   * double opt-in existed) stays as it is.
   */
  private async holdForVerification(
    ctx: RequestContext,
    account: LockedAccount,
    grants: readonly PreferenceChange[],
  ): Promise<void> {
    const { userId, policyVersion } = account;
    const chosenAt = ctx.clock.now();
    const rows = grants
      .filter((c) => !account.rows.get(keyOf(c))?.granted)
      .map(({ topic, channel }) => ({
        userId,
        topic,
        channel,
        ticked: true,
        method: ConsentMethod.PREFERENCE_CENTRE as const,
        policyVersion,
        chosenAt,
      }));
    if (rows.length === 0) return;
    await ctx.manager.upsert(PendingConsentEntity, rows, ["userId", "topic", "channel"]);
    for (const row of rows) account.pending.add(keyOf(row));
  }

  /** Deletes what waits for the address's verification for the pairs in `changes`. */
  private async dropPending(ctx: RequestContext, account: LockedAccount, changes: readonly CommunicationChoice[]) {
    if (account.pending.size === 0) return;
    for (const { topic, channel } of changes) {
      if (!account.pending.delete(keyOf({ topic, channel }))) continue;
      await ctx.manager.delete(PendingConsentEntity, { userId: account.userId, topic, channel });
    }
  }

  /** The account's row, or `NOT_FOUND`. */
  private known(account: LockedAccount): UserEntity {
    if (!account.user) throw new NotFoundException("User");
    return account.user;
  }

  /**
   * The account under its lock (one writer per account at a time, so the current state is the
   * ledger's last word) with the policy version in force, then its preference rows and the pairs
   * waiting for verification: two statements. On MySQL/MariaDB all are locking reads (nobody new
   * waits for them under the account's lock): they see the latest committed state, not the
   * snapshot an earlier plain read in the caller's transaction took, which may predate a change
   * they waited for. SQLite transactions take turns already (platform's runInTransaction).
   */
  private async lockedAccount(ctx: RequestContext, userId: string): Promise<LockedAccount> {
    const { dataSource } = ctx;
    const accountSql = this.reads.statement(dataSource, "consent:locked-account", () => lockedAccountSql(dataSource));
    const [raw] = await this.reads.run<(Record<string, unknown> | undefined)[]>(ctx, accountSql, [userId]);
    const user = raw ? hydrateEntity<UserEntity>(dataSource, dataSource.getMetadata(UserEntity), raw) : null;
    const version = raw?.[POLICY_COLUMN];
    // No version yet (a new database): PolicyService seeds the first.
    const policyVersion =
      version === null || version === undefined ? await this.policy.currentVersion(ctx) : Number(version);
    const lock = isMysql(dataSource);
    const stateSql = this.reads.statement(dataSource, "consent:preferences-and-pending:locked", () =>
      preferencesAndPendingSql(dataSource, lock),
    );
    const { rows, pending } = this.pairsOf(dataSource, await this.reads.run(ctx, stateSql, [userId, userId]));
    return { userId, user, policyVersion, rows, pending };
  }

  /** The rows of a {@link preferencesAndPendingSql} statement, by pair: the states and the pending pairs. */
  private pairsOf(
    dataSource: DataSource,
    raws: Record<string, unknown>[],
  ): { rows: Map<string, PairState>; pending: Set<string> } {
    const { driver } = dataSource;
    const { topic, channel, granted, policyVersion, updatedAt } = this.preferenceColumns(dataSource);
    const rows = new Map<string, PairState>();
    const pending = new Set<string>();
    for (const raw of raws) {
      const key = `${String(raw[topic])}:${String(raw[channel])}`;
      if (Number(raw[PENDING_COLUMN]) === 1) {
        pending.add(key);
        continue;
      }
      rows.set(key, {
        granted: driver.prepareHydratedValue(raw[granted.databaseName], granted) as boolean,
        policyVersion: driver.prepareHydratedValue(raw[policyVersion.databaseName], policyVersion) as number,
        updatedAt: driver.prepareHydratedValue(raw[updatedAt.databaseName], updatedAt) as Date,
      });
    }
    return { rows, pending };
  }

  private readonly columnsBySource = new WeakMap<DataSource, PreferenceColumns>();

  /** The preference columns {@link pairsOf} reads, looked up once per data source. */
  private preferenceColumns(dataSource: DataSource): PreferenceColumns {
    let columns = this.columnsBySource.get(dataSource);
    if (!columns) {
      const metadata = dataSource.getMetadata(ConsentPreferenceEntity);
      const column = (name: string) => metadata.findColumnWithPropertyName(name)!;
      columns = {
        topic: column("topic").databaseName,
        channel: column("channel").databaseName,
        granted: column("granted"),
        policyVersion: column("policyVersion"),
        updatedAt: column("updatedAt"),
      };
      this.columnsBySource.set(dataSource, columns);
    }
    return columns;
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
