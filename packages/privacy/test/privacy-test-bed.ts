import {
  ANONYMOUS,
  ManualClock,
  platformModule,
  RequestContext,
  Role,
  type Actor,
  type ClaimedJob,
  type Platform,
} from "@honour/platform";
import { consentModule, createConsentServices, type ConsentServices, type MailTransport } from "@honour/consent";
import { createConsentResolvers } from "@honour/consent/graphql";
import {
  buildGraphQLHarness,
  createTestPlatform,
  FAST_PASSWORD_HASHING,
  openTestDataSource,
  signUpTestAccount,
  type TestDatabaseKind,
  type TestDataSource,
} from "@honour/testing";
import {
  createUsersServices,
  usersModule,
  type RegistrationDetails,
  type UserEntity,
  type UsersServices,
} from "@honour/users";
import { createUsersResolvers } from "@honour/users/graphql";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DataSource } from "typeorm";
import { createPrivacyServices, privacyJobs, privacyModule, PRIVACY_JOBS, type PrivacyServices } from "../src";
import { createPrivacyResolvers } from "../src/graphql";

export const START = "2027-01-31T10:00:00.000Z";
export { TEST_PASSWORD as PASSWORD, TEST_SECRET as SECRET } from "@honour/testing";
export const PUBLIC_URL = "https://www.honour.example";

/** Mail goes nowhere: these tests are about requests, not messages. */
const NO_MAIL: MailTransport = { kind: "smtp", send: async () => {}, close: () => {} };

export interface Call {
  data: Record<string, unknown> | null;
  codes: (string | undefined)[];
  reasons: (string | undefined)[];
  clearedCookies: string[];
}

export interface PrivacyTestBed {
  kind: TestDatabaseKind;
  db: TestDataSource;
  dataSource: DataSource;
  clock: ManualClock;
  platform: Platform;
  users: UsersServices;
  consent: ConsentServices;
  services: PrivacyServices;
  ctx(actor?: Actor): RequestContext;
  signUp(details?: Partial<RegistrationDetails>): Promise<{ user: UserEntity; actor: Actor; ctx: RequestContext }>;
  /** A signed-in staff member (or customer) with the role. */
  staff(role: Role): Promise<Actor>;
  /** Runs the queued jobs with these names (default: the export job) as the worker would; returns how many ran. */
  runJobs(names?: string[]): Promise<number>;
  /** Calls the GraphQL schema of users, consent and privacy as `actor`. */
  call(source: string, variables?: Record<string, unknown>, actor?: Actor): Promise<Call>;
  close(): Promise<void>;
}

export async function openPrivacyTestBed(kind: TestDatabaseKind): Promise<PrivacyTestBed> {
  const db = await openTestDataSource(kind, [platformModule, usersModule, consentModule, privacyModule]);
  const clock = new ManualClock(START);
  const dataDir = mkdtempSync(join(tmpdir(), "honour-privacy-"));
  const platform = createTestPlatform(db.dataSource, {
    clock,
    env: { PUBLIC_URL, HONOUR_DATA_DIR: dataDir },
    jobQueue: { backoffBaseMs: 10 },
  });
  const users = createUsersServices(platform, { passwordHashing: FAST_PASSWORD_HASHING });
  const consent = createConsentServices(platform, users, { transport: NO_MAIL });
  const services = createPrivacyServices(platform, users, consent);
  const ctx = (actor: Actor = ANONYMOUS) => new RequestContext(db.dataSource, actor, clock);
  const definitions = privacyJobs(services).jobs;
  const resolvers = [
    ...createUsersResolvers(users),
    ...createConsentResolvers(consent),
    ...createPrivacyResolvers(services),
  ];
  const graphql = await buildGraphQLHarness({ resolvers, ctx });

  const bed: PrivacyTestBed = {
    kind,
    db,
    dataSource: db.dataSource,
    clock,
    platform,
    users,
    consent,
    services,
    ctx,
    signUp: (details) => signUpTestAccount(users, ctx, details),
    staff: async (role) => {
      const staff = await signUpTestAccount(
        users,
        ctx,
        { communications: [] },
        role === Role.CUSTOMER ? undefined : role,
      );
      return staff.actor;
    },
    runJobs: async (names = [PRIVACY_JOBS.buildDataExport]) => {
      let ran = 0;
      for (;;) {
        const job: ClaimedJob | null = await platform.jobs.claim("privacy-test", names);
        if (!job) return ran;
        const definition = definitions.find((d) => d.name === job.name)!;
        const jobCtx = new RequestContext(db.dataSource, { kind: "system", name: `job:${job.name}` }, clock);
        try {
          await definition.handle(jobCtx, job.payload, job);
          await platform.jobs.complete(job.id, "privacy-test");
        } catch (error) {
          await platform.jobs.fail(job.id, "privacy-test", error);
          throw error;
        }
        ran += 1;
      }
    },
    call: async (source, variables, actor) => {
      const { data, codes, reasons, cookies } = await graphql.call(source, variables, actor);
      return { data, codes, reasons, clearedCookies: cookies.cleared };
    },
    close: async () => {
      consent.close();
      await db.close();
    },
  };
  return bed;
}

export { failure } from "@honour/testing";
