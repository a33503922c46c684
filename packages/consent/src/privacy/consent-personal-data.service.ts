import { Channel, type PersonalDataContributor, type PersonalDataSubject, type RequestContext } from "@honour/platform";
import { normaliseEmail, normalisePhoneNumber, type UserService } from "@honour/users";
import { OutboxMessageEntity, OutboxOutcome, OutboxStatus } from "../campaign/outbox-message.entity";
import type { ConsentKeys } from "../consent-keys";
import { ConsentAction, ConsentActorKind, ConsentMethod } from "../preference/consent-event.entity";
import type { ConsentLedger } from "../preference/consent-ledger";
import { ConsentPreferenceEntity } from "../preference/consent-preference.entity";
import type { ConsentService } from "../preference/consent.service";
import { RemovalRequestEntity } from "../suppression/removal-request.entity";
import { SuppressionEntity, SuppressionReason } from "../suppression/suppression.entity";
import type { SuppressionService } from "../suppression/suppression.service";
import { UnsubscribeTokenEntity } from "../unsubscribe/unsubscribe-token.entity";

/** One ledger entry as a copy of the person's data shows it. */
export interface ConsentLedgerExport {
  topic: string;
  channel: string;
  action: ConsentAction;
  granted: boolean;
  method: ConsentMethod;
  policyVersion: number;
  at: string;
  /** PERSON, UNSUBSCRIBE_LINK, STAFF or SYSTEM; staff are not named (the ledger keeps them keyed). */
  recordedBy: ConsentActorKind;
  /** For SYSTEM: the process (or partner) that recorded it; else null. */
  recordedByName: string | null;
}

/** The "consent" section of a data export. Plain JSON; dates as ISO strings. */
export interface ConsentDataExport extends Record<string, unknown> {
  ledger: ConsentLedgerExport[];
  preferences: {
    topic: string;
    channel: string;
    granted: boolean;
    method: string;
    policyVersion: number;
    updatedAt: string;
  }[];
  /** Entries for the person's email, phone, fax or postal address, or made for the account. */
  suppressions: { channel: string; reason: SuppressionReason; since: string; liftedAt: string | null }[];
  /** Requests to be removed from a list, recorded by staff for one of the person's identifiers. */
  removalRequests: { channel: string; recordedAt: string; note: string | null }[];
  /** Marketing messages written for the person (one per campaign). */
  marketingMessages: {
    campaign: string;
    topic: string;
    status: OutboxStatus;
    outcome: OutboxOutcome | null;
    preparedAt: string | null;
    sentAt: string | null;
  }[];
  /** Unsubscribe links issued (one per topic). Their use shows in the ledger (ONE_CLICK_UNSUBSCRIBE, EMAIL_LINK). */
  unsubscribeTokens: { topic: string; issuedAt: string }[];
}

interface KeyedIdentifier {
  channel: Channel;
  identifierHash: string;
}

const iso = (date: Date | null | undefined): string | null => (date ? new Date(date).toISOString() : null);

/**
 * The consent domain's part of a data export and of an account's erasure (issue 6), registered
 * as `"consent"` by `createConsentServices`.
 *
 * A person's rows are found by the account id (preferences, outbox, unsubscribe tokens, and
 * suppression entries made for the account), by the keyed hash of the account id (the ledger),
 * and by the keyed hashes of their own identifiers (suppression entries and removal requests):
 * the subject's email and phone. Not by fax or postal address, which a household or an office
 * shares: a neighbour's letter is not this person's to receive or erase.
 *
 * Erasure (inside the closing transaction, before `users.accountClosed` is published):
 * - every grant is withdrawn in the ledger (method ACCOUNT_CLOSED); the ledger deletes nothing and
 *   keeps its rows under HMAC(secret, account id) only — it has no account id, name or address
 *   column, and the account row that id names is anonymised by users in the same closure;
 * - the current preferences are deleted (the ledger is the proof of what was agreed);
 * - the email and phone go on the suppression list as ACCOUNT_CLOSED (keyed hashes; a system
 *   reason, so it never replaces the person's own UNSUBSCRIBED/REMOVAL_REQUEST/COMPLAINT), and no
 *   suppression entry names the account any more (`userId` cleared);
 * - staff notes on removal requests for the person's identifiers are cleared (free text that may
 *   name them); the request's channel, keyed hash, staff member and time stay;
 * - unsubscribe tokens are deleted (an old link then shows "not valid"; nothing is granted);
 * - outbox rows stay for the campaigns' counts (they never held an address; the account id they
 *   keep names the anonymised account); messages still PENDING become SKIPPED / ACCOUNT_CLOSED.
 * List exports log only staff, topic, channel and counts, and campaigns only staff's text:
 * neither holds anything about the person to erase.
 */
export class ConsentPersonalData implements PersonalDataContributor {
  readonly name = "consent";

  constructor(
    private readonly keys: ConsentKeys,
    private readonly ledger: ConsentLedger,
    private readonly consent: ConsentService,
    private readonly suppressions: SuppressionService,
    private readonly users: UserService,
  ) {}

  async export(ctx: RequestContext, subject: PersonalDataSubject): Promise<ConsentDataExport> {
    const { userId } = subject;
    const identifiers = this.personalIdentifiers(subject);
    const events = await this.ledger.history(ctx, this.keys.subject(userId));
    const preferences = await ctx.manager.find(ConsentPreferenceEntity, {
      where: { userId },
      order: { topic: "ASC", channel: "ASC" },
    });
    const suppressions = await ctx.manager.find(SuppressionEntity, {
      where: [...identifiers, { userId }],
      order: { suppressedAt: "ASC", id: "ASC" },
    });
    const removals =
      identifiers.length === 0
        ? []
        : await ctx.manager.find(RemovalRequestEntity, { where: identifiers, order: { recordedAt: "ASC", id: "ASC" } });
    const messages = await ctx.manager
      .createQueryBuilder(OutboxMessageEntity, "o")
      .innerJoinAndSelect("o.campaign", "c")
      .where("o.userId = :userId", { userId })
      .orderBy("o.id", "ASC")
      .getMany();
    const tokens = await ctx.manager.find(UnsubscribeTokenEntity, {
      where: { userId },
      order: { createdAt: "ASC", topic: "ASC" },
    });
    return {
      ledger: events.map((e) => ({
        topic: e.topic,
        channel: e.channel,
        action: e.action,
        granted: e.action === ConsentAction.GRANTED,
        method: e.method,
        policyVersion: e.policyVersion,
        at: iso(e.occurredAt)!,
        recordedBy: e.actorKind,
        recordedByName: e.actorKind === ConsentActorKind.SYSTEM ? e.actorRef : null,
      })),
      preferences: preferences.map((p) => ({
        topic: p.topic,
        channel: p.channel,
        granted: Boolean(p.granted),
        method: p.method,
        policyVersion: p.policyVersion,
        updatedAt: iso(p.updatedAt)!,
      })),
      suppressions: suppressions.map((s) => ({
        channel: s.channel,
        reason: s.reason,
        since: iso(s.suppressedAt)!,
        liftedAt: iso(s.liftedAt),
      })),
      removalRequests: removals.map((r) => ({ channel: r.channel, recordedAt: iso(r.recordedAt)!, note: r.note })),
      marketingMessages: messages.map((m) => ({
        campaign: m.campaign!.subject,
        topic: m.campaign!.topic,
        status: m.status,
        outcome: m.outcome,
        preparedAt: iso(m.campaign!.preparedAt),
        sentAt: iso(m.sentAt),
      })),
      unsubscribeTokens: tokens.map((t) => ({ topic: t.topic, issuedAt: iso(t.createdAt)! })),
    };
  }

  async erase(ctx: RequestContext, subject: PersonalDataSubject): Promise<void> {
    const { userId } = subject;
    const identifiers = this.personalIdentifiers(subject);

    if (await this.users.findById(ctx, userId)) {
      await this.consent.withdrawAll(ctx, userId, ConsentMethod.ACCOUNT_CLOSED);
    }
    await ctx.manager.delete(ConsentPreferenceEntity, { userId });

    const email = normaliseEmail(subject.email);
    if (email) {
      await this.suppressions.suppress(ctx, {
        channel: Channel.EMAIL,
        identifier: email,
        reason: SuppressionReason.ACCOUNT_CLOSED,
      });
    }
    const phone = subject.phone ? (normalisePhoneNumber(subject.phone) ?? null) : null;
    if (phone) {
      await this.suppressions.suppress(ctx, {
        channel: Channel.TELEPHONE,
        identifier: phone,
        reason: SuppressionReason.ACCOUNT_CLOSED,
      });
    }
    await ctx.manager.update(SuppressionEntity, { userId }, { userId: null });

    for (const identifier of identifiers) {
      await ctx.manager.update(RemovalRequestEntity, identifier, { note: null });
    }
    await ctx.manager.delete(UnsubscribeTokenEntity, { userId });
    await ctx.manager.update(
      OutboxMessageEntity,
      { userId, status: OutboxStatus.PENDING },
      { status: OutboxStatus.SKIPPED, outcome: OutboxOutcome.ACCOUNT_CLOSED },
    );
  }

  /**
   * The keyed forms of the identifiers that are the subject's own: their email address and
   * telephone number. A fax number or a postal address is often a household's or an office's, so
   * records kept under those (a removal request a neighbour made by letter) are not theirs to
   * receive or erase; their own opt-outs on those channels carry their account id instead.
   */
  private personalIdentifiers(subject: PersonalDataSubject): KeyedIdentifier[] {
    const found = new Map<string, KeyedIdentifier>();
    const add = (channel: Channel, identifier: string | null | undefined) => {
      if (!identifier) return;
      const identifierHash = this.suppressions.hash(channel, identifier);
      found.set(`${channel}:${identifierHash}`, { channel, identifierHash });
    };
    add(Channel.EMAIL, normaliseEmail(subject.email));
    if (subject.phone) add(Channel.TELEPHONE, normalisePhoneNumber(subject.phone) ?? subject.phone);
    return [...found.values()];
  }
}
