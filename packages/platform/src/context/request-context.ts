import type { DataSource, EntityManager } from "typeorm";
import type { Clock } from "../clock/clock";
import { runInTransaction } from "../database/data-source";
import { UnauthenticatedException } from "../errors/domain.exception";
import { takeSqliteWriteLock } from "../database/sqlite-write-lock";

/** Staff and customer roles of a signed-in user. */
export enum Role {
  CUSTOMER = "CUSTOMER",
  SUPPORT = "SUPPORT",
  MARKETING = "MARKETING",
  SECURITY = "SECURITY",
  ADMIN = "ADMIN",
}

/**
 * The role name `@Authorized` uses for reseller partners calling with an API key. Partners are
 * not users: an operation admits them only when it lists this role.
 */
export const PARTNER_ROLE = "PARTNER";

export const STAFF_ROLES: readonly Role[] = [Role.SUPPORT, Role.MARKETING, Role.SECURITY, Role.ADMIN];

/** Who is acting: nobody, a signed-in user, a partner through an API key, or the system itself. */
export type Actor =
  | { kind: "anonymous" }
  | { kind: "user"; userId: string; role: Role; sessionId: string }
  | { kind: "partner"; partnerId: string; apiKeyId: string }
  | { kind: "system"; name: string };

export const ANONYMOUS: Actor = Object.freeze({ kind: "anonymous" });

/**
 * The first argument of every service method: who is acting, the database handle to use (inside
 * a transaction when one is open), the clock and, for HTTP requests, the client's address.
 */
export class RequestContext {
  constructor(
    readonly dataSource: DataSource,
    readonly actor: Actor,
    readonly clock: Clock,
    readonly manager: EntityManager = dataSource.manager,
    readonly ip?: string,
    readonly requestId?: string,
    /** Shared by the contexts of one request: whether it has committed a write (read-your-writes). */
    private readonly writes: { committed: boolean } = { committed: false },
  ) {}

  /**
   * True once a transaction opened through this context (or another of the same request)
   * committed: its later reads must see that write, so they go to the primary, never a replica.
   */
  get hasWritten(): boolean {
    return this.writes.committed;
  }

  get inTransaction(): boolean {
    return this.manager.queryRunner?.isTransactionActive ?? false;
  }

  /** The same context acting as someone else (e.g. right after sign-in). */
  withActor(actor: Actor): RequestContext {
    return new RequestContext(this.dataSource, actor, this.clock, this.manager, this.ip, this.requestId, this.writes);
  }

  /** The same context reading and writing through `manager` (a read replica's, see readFromReplica). */
  withManager(manager: EntityManager): RequestContext {
    return new RequestContext(this.dataSource, this.actor, this.clock, manager, this.ip, this.requestId, this.writes);
  }

  /**
   * Runs `work` in a transaction, or joins the one already open. Services own their transaction
   * boundaries: a service method opens the transaction its work needs (joining a caller's, so two
   * service calls can share one), and resolvers call one service method per operation without
   * opening transactions themselves. On the embedded SQLite
   * file the transaction holds the write lock from its start, so a write after a read never fails
   * because the other process (gateway or worker) wrote in between.
   */
  async transaction<T>(work: (ctx: RequestContext) => Promise<T>): Promise<T> {
    if (this.inTransaction) return work(this);
    const result = await runInTransaction(this.dataSource, async (manager) => {
      // On SQLite, the write lock before the first read: see takeSqliteWriteLock.
      await takeSqliteWriteLock(manager);
      return work(
        new RequestContext(this.dataSource, this.actor, this.clock, manager, this.ip, this.requestId, this.writes),
      );
    });
    // Committed (read-only transactions count too: whether one wrote is not worth finding out).
    this.writes.committed = true;
    return result;
  }

  /** The signed-in user's id, or undefined. */
  get userId(): string | undefined {
    return this.actor.kind === "user" ? this.actor.userId : undefined;
  }
}

/**
 * The signed-in user acting, or `UNAUTHENTICATED` for anyone else (nobody, a partner's API key,
 * the system). For service methods that act on the caller's own account.
 */
export function requireUser(ctx: RequestContext): Extract<Actor, { kind: "user" }> {
  if (ctx.actor.kind !== "user") throw new UnauthenticatedException();
  return ctx.actor;
}
