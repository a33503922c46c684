import {
  Channel,
  type Clock,
  isDuplicateKeyError,
  randomToken,
  safeEqual,
  type RequestContext,
  type Topic,
} from "@honour/platform";
import { UserEntity } from "@honour/users";
import { In } from "typeorm";
import { ConsentErrorCode, ConsentException } from "../consent.exception";
import type { ConsentKeys } from "../consent-keys";
import { ConsentActorKind, ConsentMethod } from "../preference/consent-event.entity";
import type { ConsentService } from "../preference/consent.service";
import { UnsubscribeTokenEntity } from "./unsubscribe-token.entity";

/** `<22 base64url characters>.<32 hex characters>`. Anything else is not a token we made. */
const TOKEN = /^([A-Za-z0-9_-]{22})\.([0-9a-f]{32})$/;
/** A preference link: `<22 base64url>.<expiry, Unix seconds>.<32 hex>`. */
const EXPIRING_TOKEN = /^([A-Za-z0-9_-]{22})\.(\d{9,11})\.([0-9a-f]{32})$/;

/** How long a preference link in a message works: long enough for a mail read weeks later. */
export const PREFERENCE_LINK_DAYS = 90;
/**
 * Preference links made before they carried an expiry (`<id>.<mac>`, in mails sent until
 * December 2026) work until this instant: the same 90 days, counted from when expiring links
 * replaced them.
 */
export const LEGACY_PREFERENCE_LINKS_UNTIL = new Date("2027-03-07T00:00:00Z");

/** What a preference link names: the account, or why it does not work. */
export type PreferenceLinkCheck =
  | { status: "valid"; userId: string; expiresAt: Date }
  /** Well made and signed, but past its expiry: the person may ask for a fresh one. */
  | { status: "expired"; userId: string; expiresAt: Date }
  | { status: "invalid" };

/** What the unsubscribe page shows for a token. Changes nothing to find out. */
export type UnsubscribeView =
  | { valid: false }
  | {
      valid: true;
      topic: Topic;
      /** The address the messages go to, partly hidden (`a•••@example.com`). */
      maskedEmail: string;
      /** Whether the topic is still granted on email. */
      subscribed: boolean;
      /** The same person's preference link token, for the page's link to the preference centre. */
      preferencesToken?: string;
    };

/** What an unsubscribe did. `done` is false (and nothing changed) for an unknown or altered token. */
export type UnsubscribeOutcome =
  { done: false } | { done: true; topic: Topic; channel: Channel.EMAIL; preferencesToken?: string };

/**
 * Unsubscribe tokens: a random id and an HMAC over it, the account and the topic. A token
 * withdraws exactly one topic on EMAIL for exactly one account; an unknown or altered token
 * changes nothing. Tokens are never logged.
 */
export class UnsubscribeService {
  constructor(
    private readonly keys: ConsentKeys,
    private readonly consent: ConsentService,
    /** Dates the preference links' expiry; the system clock when left out. */
    private readonly clock: Clock = { now: () => new Date() },
  ) {}

  /** The account's token for the topic, made on first use and the same afterwards. */
  async tokenFor(ctx: RequestContext, userId: string, topic: Topic): Promise<string> {
    const row = await this.rowFor(ctx, userId, topic);
    return `${row.id}.${this.keys.unsubscribe(row.id, row.userId, row.topic)}`;
  }

  /**
   * The two links of a marketing message's footer: the unsubscribe token (one topic, by email)
   * and the preference token (the preference centre, for this account only; never a sign-in).
   * Both come from the same row, so they last as long as each other and go with the account.
   */
  async linksFor(
    ctx: RequestContext,
    userId: string,
    topic: Topic,
  ): Promise<{ unsubscribe: string; preferences: string }> {
    return this.linksOf(await this.rowFor(ctx, userId, topic));
  }

  /**
   * {@link linksFor} for many accounts at once, by account id: one read when their tokens exist (a
   * campaign's preparation made them), so a campaign does not read them one message at a time.
   */
  async linksForMany(
    ctx: RequestContext,
    userIds: readonly string[],
    topic: Topic,
  ): Promise<Map<string, { unsubscribe: string; preferences: string }>> {
    const rows =
      userIds.length === 0
        ? []
        : await ctx.manager.find(UnsubscribeTokenEntity, { where: { userId: In([...userIds]), topic } });
    const links = new Map(rows.map((row) => [row.userId, this.linksOf(row)]));
    for (const userId of userIds) if (!links.has(userId)) links.set(userId, await this.linksFor(ctx, userId, topic));
    return links;
  }

  /** The links of a token row already read (the campaign sender reads them with its outbox rows). */
  linksOf(row: Pick<UnsubscribeTokenEntity, "id" | "userId" | "topic">): { unsubscribe: string; preferences: string } {
    return {
      unsubscribe: `${row.id}.${this.keys.unsubscribe(row.id, row.userId, row.topic)}`,
      preferences: this.preferencesTokenOf(row),
    };
  }

  /**
   * The account a preference token names, when the token is well formed, known, its HMAC matches
   * and it has not expired; else null. An unsubscribe token is not a preference token, nor the reverse.
   */
  async preferencesAccount(ctx: RequestContext, token: string): Promise<string | null> {
    const check = await this.checkPreferenceLink(ctx, token);
    return check.status === "valid" ? check.userId : null;
  }

  /**
   * What a preference token is: valid (with its account), expired (signed by us, past its expiry:
   * the account, so a fresh link can be mailed to it) or invalid (unknown, altered, not ours).
   * Links made before they carried an expiry count as expiring at {@link LEGACY_PREFERENCE_LINKS_UNTIL}.
   */
  async checkPreferenceLink(ctx: RequestContext, token: string): Promise<PreferenceLinkCheck> {
    const text = typeof token === "string" ? token : "";
    const expiring = EXPIRING_TOKEN.exec(text);
    const legacy = expiring ? null : TOKEN.exec(text);
    if (!expiring && !legacy) return { status: "invalid" };
    const id = (expiring ?? legacy)![1]!;
    const row = await ctx.manager.findOneBy(UnsubscribeTokenEntity, { id });
    if (!row) return { status: "invalid" };
    let expiresAt: Date;
    if (expiring) {
      const seconds = Number(expiring[2]);
      if (!safeEqual(expiring[3]!, this.keys.expiringPreferences(row.id, row.userId, seconds))) {
        return { status: "invalid" };
      }
      expiresAt = new Date(seconds * 1000);
    } else {
      if (!safeEqual(legacy![2]!, this.keys.preferences(row.id, row.userId))) return { status: "invalid" };
      expiresAt = LEGACY_PREFERENCE_LINKS_UNTIL;
    }
    const status = ctx.clock.now().getTime() < expiresAt.getTime() ? "valid" : "expired";
    return { status, userId: row.userId, expiresAt };
  }

  /**
   * A fresh preference link (expiring {@link PREFERENCE_LINK_DAYS} from now) for the account of
   * `token`, when `token` is a preference link we signed, expired or not; else null. For mailing
   * it to the account's address (FreshPreferenceLinkService), never for showing.
   */
  async renewPreferenceLink(ctx: RequestContext, token: string): Promise<{ userId: string; token: string } | null> {
    const check = await this.checkPreferenceLink(ctx, token);
    if (check.status === "invalid") return null;
    const id = token.slice(0, token.indexOf("."));
    return { userId: check.userId, token: this.preferencesTokenOf({ id, userId: check.userId }) };
  }

  private async rowFor(ctx: RequestContext, userId: string, topic: Topic): Promise<UnsubscribeTokenEntity> {
    let row = await ctx.manager.findOneBy(UnsubscribeTokenEntity, { userId, topic });
    if (!row) {
      const created = Object.assign(new UnsubscribeTokenEntity(), {
        id: randomToken(16),
        userId,
        topic,
        createdAt: ctx.clock.now(),
      });
      try {
        await ctx.manager.insert(UnsubscribeTokenEntity, created);
        row = created;
      } catch (error) {
        // Another worker made this account's token for the topic a moment ago: use theirs.
        if (!isDuplicateKeyError(error)) throw error;
        row = await ctx.manager.findOneByOrFail(UnsubscribeTokenEntity, { userId, topic });
      }
    }
    return row;
  }

  /**
   * Makes sure each account has its token for the topic, in few statements: a campaign's
   * preparation calls it for all its recipients, so that sending only reads them.
   */
  async ensureTokens(ctx: RequestContext, userIds: readonly string[], topic: Topic): Promise<void> {
    for (let i = 0; i < userIds.length; i += 500) {
      const chunk = userIds.slice(i, i + 500);
      const existing = await ctx.manager.find(UnsubscribeTokenEntity, {
        select: { userId: true },
        where: { userId: In(chunk), topic },
      });
      const have = new Set(existing.map((t) => t.userId));
      const createdAt = ctx.clock.now();
      const missing = chunk
        .filter((userId) => !have.has(userId))
        .map((userId) => ({ id: randomToken(16), userId, topic, createdAt }));
      if (missing.length === 0) continue;
      try {
        await ctx.manager.insert(UnsubscribeTokenEntity, missing);
      } catch (error) {
        // Someone made some of these at the same moment: make the rest one by one.
        if (!isDuplicateKeyError(error)) throw error;
        for (const { userId } of missing) await this.tokenFor(ctx, userId, topic);
      }
    }
  }

  /**
   * For `GET /unsubscribe/:token`: what the confirmation page shows. Reads only, so that mail
   * scanners following the link change nothing.
   */
  async describe(ctx: RequestContext, token: string): Promise<UnsubscribeView> {
    const row = await this.resolve(ctx, token);
    if (!row) return { valid: false };
    const user = await ctx.manager.findOneBy(UserEntity, { id: row.userId });
    if (!user) return { valid: false };
    return {
      valid: true,
      topic: row.topic,
      maskedEmail: maskEmail(user.email),
      subscribed: await this.consent.isGranted(ctx, row.userId, row.topic, Channel.EMAIL),
      preferencesToken: this.preferencesTokenOf(row),
    };
  }

  /**
   * For `POST /unsubscribe/:token` with the body `List-Unsubscribe=One-Click` (RFC 8058):
   * withdraws the token's topic on EMAIL at once (method ONE_CLICK_UNSUBSCRIBE) in its own
   * transaction. Unsubscribing twice is the same as once.
   */
  oneClick(ctx: RequestContext, token: string): Promise<UnsubscribeOutcome> {
    return ctx.transaction((tx) => this.withdraw(tx, token, ConsentMethod.ONE_CLICK_UNSUBSCRIBE));
  }

  /**
   * The `unsubscribe` mutation (the footer link, confirmed on the site): the same effect as the
   * one-click POST, recorded as EMAIL_LINK. `NOT_FOUND` for an unknown or altered token.
   */
  async unsubscribe(ctx: RequestContext, token: string): Promise<{ done: true; topic: Topic; channel: Channel.EMAIL }> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.unsubscribe(tx, token));
    const outcome = await this.withdraw(ctx, token, ConsentMethod.EMAIL_LINK);
    if (!outcome.done) {
      throw new ConsentException(ConsentErrorCode.INVALID_UNSUBSCRIBE_TOKEN, "This unsubscribe link is not valid.");
    }
    return { done: true, topic: outcome.topic, channel: outcome.channel };
  }

  private async withdraw(ctx: RequestContext, token: string, method: ConsentMethod): Promise<UnsubscribeOutcome> {
    const row = await this.resolve(ctx, token);
    if (!row) return { done: false };
    await this.consent.record(ctx, row.userId, [{ topic: row.topic, channel: Channel.EMAIL, granted: false }], method, {
      kind: ConsentActorKind.UNSUBSCRIBE_LINK,
    });
    return { done: true, topic: row.topic, channel: Channel.EMAIL, preferencesToken: this.preferencesTokenOf(row) };
  }

  /** A preference link's token: the row's id, its expiry {@link PREFERENCE_LINK_DAYS} from now, and their HMAC. */
  private preferencesTokenOf(row: Pick<UnsubscribeTokenEntity, "id" | "userId">): string {
    const expiresAtSeconds = Math.floor(this.clock.now().getTime() / 1000) + PREFERENCE_LINK_DAYS * 86_400;
    return `${row.id}.${expiresAtSeconds}.${this.keys.expiringPreferences(row.id, row.userId, expiresAtSeconds)}`;
  }

  /** The token's row when the token is well formed, known and its HMAC matches; else null. */
  private async resolve(ctx: RequestContext, token: string): Promise<UnsubscribeTokenEntity | null> {
    const match = typeof token === "string" ? TOKEN.exec(token) : null;
    if (!match) return null;
    const [, id, mac] = match as unknown as [string, string, string];
    const row = await ctx.manager.findOneBy(UnsubscribeTokenEntity, { id });
    if (!row) return null;
    return safeEqual(mac, this.keys.unsubscribe(row.id, row.userId, row.topic)) ? row : null;
  }
}

/** `ada@example.com` -> `a•••@example.com`: enough to recognise one's own address, not to learn it. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return "•••";
  return `${email[0]}•••${email.slice(at)}`;
}
