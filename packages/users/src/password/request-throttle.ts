import { newId, type RequestContext } from "@honour/platform";
import { MoreThan } from "typeorm";
import { SignInAttemptEntity } from "../sign-in/sign-in-attempt.entity";
import { type UsersErrorCode, UsersException } from "../users.exception";

/** A limit on requests that mail something: at most `limit` per keyed hash within `windowMs`. */
export interface RequestLimit {
  limit: number;
  windowMs: number;
  /** The code of the refusal (platform code `RATE_LIMITED`). */
  reason: UsersErrorCode;
  message: string;
}

/**
 * Counts one request against `keyHash` (a keyed hash, kept in the sign-in attempts' table, whose
 * job deletes old rows) when fewer than `limit` were counted within `windowMs`. Over the limit the
 * request is not counted, and the answer says after how many seconds the oldest one leaves the
 * window. Call it outside a transaction: the count must survive a refusal. The users domain's
 * mail-sending requests and the consent domain's fresh preference links share it.
 */
export async function countRequest(
  ctx: RequestContext,
  keyHash: string,
  limit: number,
  windowMs: number,
): Promise<{ counted: true } | { counted: false; retryAfterSeconds: number }> {
  const now = ctx.clock.now();
  const id = newId(now.getTime());
  await ctx.manager.insert(SignInAttemptEntity, { id, keyHash, attemptedAt: now });
  const inWindow = { keyHash, attemptedAt: MoreThan(new Date(now.getTime() - windowMs)) };
  if ((await ctx.manager.countBy(SignInAttemptEntity, inWindow)) <= limit) return { counted: true };
  await ctx.manager.delete(SignInAttemptEntity, { id });
  const oldest = await ctx.manager.findOne(SignInAttemptEntity, { where: inWindow, order: { attemptedAt: "ASC" } });
  const freeAt = (oldest?.attemptedAt.getTime() ?? now.getTime()) + windowMs;
  return { counted: false, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000)) };
}

/**
 * Counts one request against `keyHash` (see `countRequest`), or refuses it with `RATE_LIMITED` and
 * `retryAfterSeconds` when it is over the limit; refused requests are not counted. Call it outside
 * a transaction: the count must survive the refusal.
 */
export async function throttleRequest(ctx: RequestContext, keyHash: string, rule: RequestLimit): Promise<void> {
  const outcome = await countRequest(ctx, keyHash, rule.limit, rule.windowMs);
  if (outcome.counted) return;
  throw new UsersException(rule.reason, rule.message, [], { retryAfterSeconds: outcome.retryAfterSeconds });
}
