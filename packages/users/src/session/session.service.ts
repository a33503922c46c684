import {
  ANONYMOUS,
  DAY_MS,
  HotReads,
  hydrateEntity,
  MINUTE_MS,
  newId,
  randomToken,
  sha256,
  type Actor,
  type RequestContext,
} from "@honour/platform";
import { LessThanOrEqual, Not } from "typeorm";
import { clientFamilies } from "./client-families";
import { SessionEntity } from "./session.entity";
import { UserEntity } from "../user/user.entity";

/** The name of the cookie that carries the session token. */
export const SESSION_COOKIE = "honour_session";
/**
 * The sliding expiry is written at most this often per session: a busy page makes many requests,
 * and a write on each would turn every read into a write.
 */
export const SESSION_RENEWAL_INTERVAL_MS = MINUTE_MS;

/** `randomToken()` makes 32 bytes, 43 base64url characters; anything else cannot be a session. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A session just started. Only the caller ever sees `token`: it goes into the cookie. */
export interface NewSession {
  sessionId: string;
  token: string;
  expiresAt: Date;
}

/** Who a session token stands for, and the new expiry when this request renewed it. */
export interface ResolvedSession {
  actor: Actor;
  /** The signed-in user's account, read by the same query; null when anonymous. */
  user: UserEntity | null;
  /** Set when the sliding expiry moved: the gateway may renew the cookie's `Expires` with it. */
  renewedUntil: Date | null;
}

/** A session as its owner and a data export see it: never its token hash. */
export interface SessionRecord {
  id: string;
  createdAt: Date;
  /** When it was last used, to the minute (written with the expiry, at most once a minute). */
  lastSeenAt: Date;
  /** The browser and OS families of the user agent that started it (see `clientFamilies`). */
  browser: string | null;
  os: string | null;
  expiresAt: Date;
}

/**
 * Browser sessions: opaque random tokens of which only the SHA-256 is stored. A session ends
 * `sessionsDays` (the `SESSION_RETENTION_DAYS` setting) after it was last used.
 */
export class SessionService {
  /** The session lookup's SQL, built once per data source (see `lookup`). */
  private readonly reads = new HotReads();
  /** How long an unused session lives, in milliseconds. */
  readonly ttlMs: number;

  constructor(sessionsDays: number) {
    if (!Number.isInteger(sessionsDays) || sessionsDays < 1) {
      throw new Error(`Invalid session retention ${sessionsDays}: a whole number of days, at least 1`);
    }
    this.ttlMs = sessionsDays * DAY_MS;
  }

  /**
   * Starts a session for `userId`, expiring {@link ttlMs} from now unless used. Of `userAgent` only
   * the browser and OS families are kept; `secondFactor`: the person proved a second factor too.
   */
  async create(ctx: RequestContext, userId: string, userAgent?: string, secondFactor = false): Promise<NewSession> {
    const now = ctx.clock.now();
    const token = randomToken();
    const session: SessionEntity = Object.assign(new SessionEntity(), {
      id: newId(now.getTime()),
      tokenHash: sha256(token),
      userId,
      createdAt: now,
      lastSeenAt: now,
      ...clientFamilies(userAgent),
      secondFactor,
      expiresAt: new Date(now.getTime() + this.ttlMs),
    });
    await ctx.manager.insert(SessionEntity, session);
    return { sessionId: session.id, token, expiresAt: session.expiresAt };
  }

  /** Whether session `sessionId` was started with a second factor (see `SessionEntity.secondFactor`). */
  async startedWithSecondFactor(ctx: RequestContext, sessionId: string): Promise<boolean> {
    return ctx.manager.existsBy(SessionEntity, { id: sessionId, secondFactor: true });
  }

  /**
   * The actor for a session token: a signed-in user for a live session of an open account,
   * otherwise {@link ANONYMOUS}. See {@link resolve}.
   */
  async resolveActor(ctx: RequestContext, token: string | undefined): Promise<Actor> {
    return (await this.resolve(ctx, token)).actor;
  }

  /**
   * Resolves a session token; runs on every request. The common case is one query on the unique
   * token hash, joined with the user for the role and the account's state. When the session was
   * last renewed more than {@link SESSION_RENEWAL_INTERVAL_MS} ago, a second statement slides
   * its expiry to {@link ttlMs} from now.
   */
  async resolve(ctx: RequestContext, token: string | undefined): Promise<ResolvedSession> {
    if (!token || !TOKEN_PATTERN.test(token)) return { actor: ANONYMOUS, user: null, renewedUntil: null };
    const now = ctx.clock.now();
    const session = await this.lookup(ctx, sha256(token), now);
    if (!session) return { actor: ANONYMOUS, user: null, renewedUntil: null };
    const user = session.user;

    const actor: Actor = { kind: "user", userId: user.id, role: user.role, sessionId: session.id };
    const renewedUntil = new Date(now.getTime() + this.ttlMs);
    // expiresAt - TTL is when the session was last renewed (and lastSeenAt written with it).
    if (renewedUntil.getTime() - session.expiresAt.getTime() < SESSION_RENEWAL_INTERVAL_MS) {
      return { actor, user, renewedUntil: null };
    }
    // The condition repeats the check, so that concurrent requests of one session write once.
    await ctx.manager
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ expiresAt: renewedUntil, lastSeenAt: now })
      .where("id = :id AND expiresAt <= :threshold", {
        id: session.id,
        threshold: new Date(renewedUntil.getTime() - SESSION_RENEWAL_INTERVAL_MS),
      })
      .execute();
    return { actor, user, renewedUntil };
  }

  /**
   * The live session of a token hash with its open account, in one query. TypeORM builds the
   * statement once per data source; each request then only runs it and hydrates the row, since
   * building queries was the largest cost of a signed-in request.
   */
  private async lookup(
    ctx: RequestContext,
    tokenHash: string,
    now: Date,
  ): Promise<{ id: string; expiresAt: Date; user: UserEntity } | null> {
    const { dataSource } = ctx;
    const expiresAtColumn = dataSource.getMetadata(SessionEntity).findColumnWithPropertyName("expiresAt")!;
    const sql = this.reads.statement(dataSource, "session.lookup", () => {
      const [text] = dataSource
        .createQueryBuilder(SessionEntity, "s")
        .innerJoin("s.user", "u")
        // The whole account comes along: `me`, the commonest query, then needs no second query.
        .select(["s.id", "s.expiresAt", "u"])
        .where("s.tokenHash = :tokenHash", { tokenHash })
        .andWhere("s.expiresAt > :now", { now })
        .andWhere("u.closedAt IS NULL")
        .getQueryAndParameters();
      return text;
    });
    const rows = await this.reads.run<Record<string, unknown>[]>(ctx, sql, [
      tokenHash,
      dataSource.driver.preparePersistentValue(now, expiresAtColumn),
    ]);
    const raw = rows[0];
    if (!raw) return null;
    return {
      id: raw.s_id as string,
      expiresAt: dataSource.driver.prepareHydratedValue(raw.s_expiresAt, expiresAtColumn) as Date,
      user: hydrateEntity<UserEntity>(dataSource, dataSource.getMetadata(UserEntity), raw, "u_"),
    };
  }

  /** Ends the session of a token (sign-out). Returns false when there was no such session. */
  async revoke(ctx: RequestContext, token: string): Promise<boolean> {
    if (!TOKEN_PATTERN.test(token)) return false;
    const result = await ctx.manager.delete(SessionEntity, { tokenHash: sha256(token) });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Ends the session the request was made with; does nothing for a caller without one.
   * Returns false when there was no session to end.
   */
  async revokeCurrent(ctx: RequestContext): Promise<boolean> {
    if (ctx.actor.kind !== "user") return false;
    const result = await ctx.manager.delete(SessionEntity, { id: ctx.actor.sessionId });
    return (result.affected ?? 0) > 0;
  }

  /** Ends every session of `userId` except `keepSessionId` (e.g. after a password change). */
  async revokeOthers(ctx: RequestContext, userId: string, keepSessionId: string): Promise<number> {
    const result = await ctx.manager.delete(SessionEntity, { userId, id: Not(keepSessionId) });
    return result.affected ?? 0;
  }

  /** Ends every session of `userId` (account closed, account taken over by the admin setting). */
  async revokeAll(ctx: RequestContext, userId: string): Promise<number> {
    const result = await ctx.manager.delete(SessionEntity, { userId });
    return result.affected ?? 0;
  }

  /** The live and expired-but-not-yet-deleted sessions of `userId`, oldest first. */
  async listFor(ctx: RequestContext, userId: string): Promise<SessionRecord[]> {
    return ctx.manager.find(SessionEntity, {
      select: { id: true, createdAt: true, lastSeenAt: true, browser: true, os: true, expiresAt: true },
      where: { userId },
      order: { createdAt: "ASC", id: "ASC" },
    });
  }

  /**
   * Deletes sessions that have expired; they no longer resolve anyway. Returns how many. (A
   * revoked session — sign-out, password change, closure — is deleted at once, so expired rows
   * are the only dead ones.)
   */
  async deleteExpired(ctx: RequestContext): Promise<number> {
    const result = await ctx.manager.delete(SessionEntity, { expiresAt: LessThanOrEqual(ctx.clock.now()) });
    return result.affected ?? 0;
  }
}
