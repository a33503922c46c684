import {
  AuditEntryEntity,
  type SecurityEventRecord,
  createPlatform,
  ANONYMOUS,
  JobEntity,
  loadConfig,
  ManualClock,
  platformModule,
  RequestContext,
  silentLogger,
  SqlJobQueue,
  type Actor,
  type Platform,
} from "@honour/platform";
import { openTestDataSource, type TestDatabaseKind, type TestDataSource } from "@honour/testing";
import {
  ArticleEntity,
  createUsersServices,
  SessionEntity,
  SignInAttemptEntity,
  UserEntity,
  usersModule,
  type RegistrationDetails,
  type UsersServices,
} from "../src";
import type { ScryptParameters } from "../src/password/password.service";

/**
 * Cheap scrypt parameters: these tests are about behaviour, and parameters travel with each hash.
 * The password unit spec covers the production defaults.
 */
export const FAST_HASHING: ScryptParameters = { N: 2 ** 10, r: 8, p: 1 };

export const START = "2026-11-25T12:00:00.000Z";
export const PASSWORD = "correct horse battery";

/** A database of the given kind with the users schema, services on it and a clock to move. */
export interface UsersTestBed {
  kind: TestDatabaseKind;
  db: TestDataSource;
  clock: ManualClock;
  platform: Platform;
  services: UsersServices;
  /** What the services wrote to the security log, in order. */
  securityEvents: SecurityEventRecord[];
  /** A request context acting as `actor` (anonymous by default), outside any transaction. */
  ctx(actor?: Actor): RequestContext;
  /** A context acting as whoever the session token stands for, as the gateway would build it. */
  as(token: string): Promise<RequestContext>;
  /** Registers and signs in an account; returns its context, user and token. */
  signUp(
    details?: Partial<RegistrationDetails>,
  ): Promise<{ ctx: RequestContext; user: UserEntity; token: string; sessionId: string }>;
  /** Empties every table and puts the clock back to {@link START}. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

/** `env` adds settings to the test configuration (e.g. `SESSION_RETENTION_DAYS`). */
export async function openUsersTestBed(
  kind: TestDatabaseKind,
  env: Record<string, string> = {},
): Promise<UsersTestBed> {
  const db = await openTestDataSource(kind, [platformModule, usersModule]);
  const clock = new ManualClock(START);
  const config = loadConfig({
    NODE_ENV: "test",
    HONOUR_SECRET: "a-test-secret-that-is-long-enough-0123456789",
    ...env,
  });
  const securityEvents: SecurityEventRecord[] = [];
  const platform: Platform = createPlatform(config, db.dataSource, {
    securityLog: { record: async (_ctx, event) => void securityEvents.push(event) },
    clock,
    jobs: new SqlJobQueue(db.dataSource, clock),
    logger: silentLogger,
  });
  const services = createUsersServices(platform, { passwordHashing: FAST_HASHING });
  const ctx = (actor: Actor = ANONYMOUS) => new RequestContext(db.dataSource, actor, clock);
  const bed: UsersTestBed = {
    kind,
    db,
    clock,
    platform,
    services,
    securityEvents,
    ctx,
    as: async (token) => ctx(await services.sessions.resolveActor(ctx(), token)),
    signUp: async (details = {}) => {
      counter += 1;
      const signedIn = await ctx().transaction((tx) =>
        services.users.signUp(tx, {
          email: `person${counter}@example.com`,
          password: PASSWORD,
          name: `Person ${counter}`,
          ...details,
        }),
      );
      return {
        ctx: await bed.as(signedIn.session.token),
        user: signedIn.user,
        token: signedIn.session.token,
        sessionId: signedIn.session.sessionId,
      };
    },
    reset: async () => {
      // Children before parents: sessions reference users.
      for (const entity of [
        SessionEntity,
        SignInAttemptEntity,
        ArticleEntity,
        UserEntity,
        JobEntity,
        AuditEntryEntity,
      ]) {
        await db.dataSource.createQueryBuilder().delete().from(entity).execute();
      }
      clock.set(START);
      securityEvents.length = 0;
    },
    close: () => db.close(),
  };
  return bed;
}

/** The error a promise rejects with, to assert on its `code` and `fields`. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ code?: string; fields?: { field: string }[]; message: string; extra?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error("expected the call to fail, but it succeeded");
}
