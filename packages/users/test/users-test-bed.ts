import {
  AuditEntryEntity,
  type SecurityEventRecord,
  ANONYMOUS,
  JobEntity,
  ManualClock,
  platformModule,
  RequestContext,
  type Actor,
  type Platform,
} from "@honour/platform";
import {
  createTestPlatform,
  FAST_PASSWORD_HASHING,
  openTestDataSource,
  signUpTestAccount,
  type TestDatabaseKind,
  type TestDataSource,
} from "@honour/testing";
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
import { PasswordResetEntity } from "../src/password-reset/password-reset.entity";
import { EmailChangeEntity } from "../src/email-change/email-change.entity";
import { EmailVerificationEntity } from "../src/email-verification/email-verification.entity";
import { MfaChallengeEntity } from "../src/mfa/mfa-challenge.entity";
import { RecoveryCodeEntity } from "../src/mfa/recovery-code.entity";
import { TotpEntity } from "../src/mfa/totp.entity";
import { PasskeyEntity } from "../src/passkey/passkey.entity";
import { WebauthnChallengeEntity } from "../src/passkey/webauthn-challenge.entity";
import { SignInFailureEntity } from "../src/sign-in/sign-in-failure.entity";

/** Cheap scrypt parameters (see {@link FAST_PASSWORD_HASHING}). */
export const FAST_HASHING: ScryptParameters = FAST_PASSWORD_HASHING;

export const START = "2026-11-25T12:00:00.000Z";
export { TEST_PASSWORD as PASSWORD } from "@honour/testing";

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

/** `env` adds settings to the test configuration (e.g. `SESSION_RETENTION_DAYS`). */
export async function openUsersTestBed(
  kind: TestDatabaseKind,
  env: Record<string, string> = {},
): Promise<UsersTestBed> {
  const db = await openTestDataSource(kind, [platformModule, usersModule]);
  const clock = new ManualClock(START);
  const securityEvents: SecurityEventRecord[] = [];
  const platform = createTestPlatform(db.dataSource, {
    clock,
    env,
    securityLog: { record: async (_ctx, event) => void securityEvents.push(event) },
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
    signUp: (details) => signUpTestAccount(services, ctx, details),
    reset: async () => {
      // Children before parents: sessions reference users.
      for (const entity of [
        SessionEntity,
        SignInAttemptEntity,
        PasswordResetEntity,
        EmailVerificationEntity,
        EmailChangeEntity,
        SignInFailureEntity,
        MfaChallengeEntity,
        RecoveryCodeEntity,
        TotpEntity,
        PasskeyEntity,
        WebauthnChallengeEntity,
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

export { failure } from "@honour/testing";
