import {
  Channel,
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
    };

/** What an unsubscribe did. `done` is false (and nothing changed) for an unknown or altered token. */
export type UnsubscribeOutcome = { done: false } | { done: true; topic: Topic; channel: Channel.EMAIL };

/**
 * Unsubscribe tokens: a random id and an HMAC over it, the account and the topic. A token
 * withdraws exactly one topic on EMAIL for exactly one account; an unknown or altered token
 * changes nothing. Tokens are never logged.
 */
export class UnsubscribeService {
  constructor(
    private readonly keys: ConsentKeys,
    private readonly consent: ConsentService,
  ) {}

  /** The account's token for the topic, made on first use and the same afterwards. */
  async tokenFor(ctx: RequestContext, userId: string, topic: Topic): Promise<string> {
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
    return `${row.id}.${this.keys.unsubscribe(row.id, row.userId, row.topic)}`;
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
  async unsubscribe(ctx: RequestContext, token: string): Promise<{ topic: Topic; channel: Channel.EMAIL }> {
    // The service owns its transaction; a caller's open one is joined.
    if (!ctx.inTransaction) return ctx.transaction((tx) => this.unsubscribe(tx, token));
    const outcome = await this.withdraw(ctx, token, ConsentMethod.EMAIL_LINK);
    if (!outcome.done) {
      throw new ConsentException(ConsentErrorCode.INVALID_UNSUBSCRIBE_TOKEN, "This unsubscribe link is not valid.");
    }
    return outcome;
  }

  private async withdraw(ctx: RequestContext, token: string, method: ConsentMethod): Promise<UnsubscribeOutcome> {
    const row = await this.resolve(ctx, token);
    if (!row) return { done: false };
    await this.consent.record(ctx, row.userId, [{ topic: row.topic, channel: Channel.EMAIL, granted: false }], method, {
      kind: ConsentActorKind.UNSUBSCRIBE_LINK,
    });
    return { done: true, topic: row.topic, channel: Channel.EMAIL };
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
