import {
  enqueueTransactionalMail,
  hmac,
  MINUTE_MS,
  newId,
  RateLimitedException,
  type JobQueue,
  type RequestContext,
} from "@honour/platform";
import { countRequest, UserEntity } from "@honour/users";
import { IsNull } from "typeorm";
import { escapeHtml } from "./unsubscribe-page";
import { PREFERENCE_LINK_DAYS, type UnsubscribeService } from "./unsubscribe.service";

/** The throttling window of fresh-link requests: 15 minutes, as the other forms that send mail. */
export const FRESH_LINK_WINDOW_MS = 15 * MINUTE_MS;
/**
 * Requests per client IP in the window (refused with `RATE_LIMITED`, whatever the link), and
 * messages per account (beyond them, nothing is sent, and the answer is the same).
 */
export const FRESH_LINK_LIMITS = Object.freeze({ perIp: 20, perAccount: 3 });

/**
 * "Mail me a fresh link" on the page of an expired preference link: a new preference link, mailed
 * to the address of the account the expired link was for, never shown. The caller answers the
 * same whatever happened (an altered link, a closed account, the account's limit reached), so the
 * form tells nobody anything about a link or an account; only a client IP over its limit is
 * refused, counted before the link is looked at. The throttle's rows are keyed hashes in the
 * sign-in attempts' table (whose job deletes them), as the users domain's mail-sending requests.
 */
export class FreshPreferenceLinkService {
  constructor(
    private readonly secret: string,
    private readonly unsubscribe: UnsubscribeService,
    private readonly jobs: JobQueue,
  ) {}

  /**
   * Queues the mail of a fresh link to the preference centre at `preferencesUrl` when `token` is a
   * preference link we signed (expired or not) of an open account within its limit; else nothing.
   * `RATE_LIMITED` (with `retryAfterSeconds`) when the client IP is over its limit. Call it outside
   * a transaction: the throttle's count must survive a refusal.
   */
  async request(ctx: RequestContext, token: string, preferencesUrl: string): Promise<void> {
    if (ctx.ip) await this.count(ctx, this.key("ip", ctx.ip), FRESH_LINK_LIMITS.perIp, true);
    const fresh = await this.unsubscribe.renewPreferenceLink(ctx, token);
    if (!fresh) return;
    const user = await ctx.manager.findOne(UserEntity, {
      select: { id: true, name: true, email: true },
      where: { id: fresh.userId, closedAt: IsNull() },
    });
    if (!user) return;
    if (!(await this.count(ctx, this.key("account", user.id), FRESH_LINK_LIMITS.perAccount, false))) return;
    const link = `${preferencesUrl}?token=${encodeURIComponent(fresh.token)}`;
    await ctx.transaction((tx) =>
      enqueueTransactionalMail(
        tx,
        this.jobs,
        {
          kind: "PREFERENCE_LINK",
          to: { name: user.name, address: user.email },
          accountId: user.id,
          subject: "Your link to your communication preferences",
          text:
            `Hello ${user.name},\n\nhere is a fresh link to choose what we send you. It works for ` +
            `${PREFERENCE_LINK_DAYS} days:\n\n${link}\n\nIf you did not ask for it, you can ignore this message.\n`,
          html:
            `<html><body><p>Hello ${escapeHtml(user.name)},</p><p>here is a fresh link to choose what we send you. ` +
            `It works for ${PREFERENCE_LINK_DAYS} days:</p><p><a href="${escapeHtml(link)}">Your communication preferences</a></p>` +
            "<p>If you did not ask for it, you can ignore this message.</p></body></html>",
        },
        `preference-link:${user.id}:${newId(ctx.clock.now().getTime())}`,
      ),
    );
  }

  private key(kind: "ip" | "account", value: string): string {
    return hmac(this.secret, `consent.fresh-preference-link.${kind}`, value);
  }

  /**
   * Counts one request against `keyHash`; over the limit, takes it back and refuses it (`refuse`)
   * with `RATE_LIMITED`, or answers false.
   */
  private async count(ctx: RequestContext, keyHash: string, limit: number, refuse: boolean): Promise<boolean> {
    const outcome = await countRequest(ctx, keyHash, limit, FRESH_LINK_WINDOW_MS);
    if (outcome.counted) return true;
    if (!refuse) return false;
    throw new RateLimitedException("Too many requests for a fresh link. Try again later.", outcome.retryAfterSeconds);
  }
}
