import { requireUser, SecurityEventKind, type RequestContext, type SecurityLog } from "@honour/platform";
import { SessionNotFoundException } from "../users.exception";
import { SessionEntity } from "./session.entity";
import type { SessionRecord, SessionService } from "./session.service";

/** One of the signed-in person's sessions, as they see it. */
export interface OwnSession {
  id: string;
  createdAt: Date;
  /** To the minute. */
  lastSeenAt: Date;
  browser: string | null;
  os: string | null;
  /** True for the session the request was made with. */
  current: boolean;
}

/**
 * A signed-in person's view of their own sessions: which browsers are signed in, and signing
 * them out from here. Revocations go to the security log (`SESSION_REVOKED`): ending sessions
 * one does not recognise is what someone does after an account was taken over.
 */
export class OwnSessionService {
  constructor(
    private readonly sessions: SessionService,
    private readonly securityLog: SecurityLog,
  ) {}

  /** The signed-in person's live sessions, most recently used first. */
  async list(ctx: RequestContext): Promise<OwnSession[]> {
    const actor = requireUser(ctx);
    const now = ctx.clock.now().getTime();
    const records = await this.sessions.listFor(ctx, actor.userId);
    return records
      .filter((s) => s.expiresAt.getTime() > now)
      .sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime() || b.id.localeCompare(a.id))
      .map((s: SessionRecord) => ({
        id: s.id,
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        browser: s.browser,
        os: s.os,
        current: s.id === actor.sessionId,
      }));
  }

  /**
   * Ends one of the signed-in person's sessions (its cookie stops working at once); the current
   * one too, if asked. `NOT_FOUND` for an id that is not theirs, exactly as for an unknown one, so
   * that nobody learns whether someone else's session exists.
   */
  async revoke(ctx: RequestContext, sessionId: string): Promise<void> {
    const actor = requireUser(ctx);
    await ctx.transaction(async (tx) => {
      const result = await tx.manager.delete(SessionEntity, { id: sessionId, userId: actor.userId });
      if (!result.affected) throw new SessionNotFoundException();
      await this.securityLog.record(tx, {
        kind: SecurityEventKind.SESSION_REVOKED,
        userId: actor.userId,
        detail: sessionId === actor.sessionId ? "current session" : "one other session",
      });
    });
  }

  /** Ends every session of the signed-in person but the current one. Returns how many ended. */
  async revokeOthers(ctx: RequestContext): Promise<number> {
    const actor = requireUser(ctx);
    return ctx.transaction(async (tx) => {
      const count = await this.sessions.revokeOthers(tx, actor.userId, actor.sessionId);
      if (count > 0) {
        await this.securityLog.record(tx, {
          kind: SecurityEventKind.SESSION_REVOKED,
          userId: actor.userId,
          detail: `${count} other session${count === 1 ? "" : "s"}`,
        });
      }
      return count;
    });
  }
}
