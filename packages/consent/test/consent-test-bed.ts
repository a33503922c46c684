import {
  ANONYMOUS,
  AuditEntryEntity,
  JobEntity,
  JobRunner,
  ManualClock,
  platformModule,
  RequestContext,
  Role,
  silentLogger,
  type Actor,
  type Clock,
  type JobRunnerOptions,
  type Logger,
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
} from "@honour/users";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DataSource } from "typeorm";
import {
  consentJobs,
  consentModule,
  ConsentPreferenceEntity,
  createConsentServices,
  type CampaignSenderOptions,
  type ConsentServices,
  type MailTransport,
  type OutgoingMail,
} from "../src";
import { CampaignEntity } from "../src/campaign/campaign.entity";
import { OutboxMessageEntity } from "../src/campaign/outbox-message.entity";
import { ListExportEntity } from "../src/contact-list/list-export.entity";
import { ConsentProofEntity } from "../src/preference/consent-proof.entity";
import { PendingConsentEntity } from "../src/preference/pending-consent.entity";
import { PolicyVersionEntity } from "../src/policy/policy-version.entity";
import { ConsentEventEntity } from "../src/preference/consent-event.entity";
import { RemovalRequestEntity } from "../src/suppression/removal-request.entity";
import { SuppressionEntity } from "../src/suppression/suppression.entity";
import { UnsubscribeTokenEntity } from "../src/unsubscribe/unsubscribe-token.entity";

export const START = "2026-11-25T12:00:00.000Z";
export { TEST_PASSWORD as PASSWORD, TEST_SECRET as SECRET } from "@honour/testing";
export const PUBLIC_URL = "https://www.honour.example";

/** A logger that keeps what it was told, to check that no token or address is ever logged. */
export class RecordingLogger implements Logger {
  readonly entries: { level: string; obj: object | string; msg?: string }[] = [];
  info(obj: object | string, msg?: string): void {
    this.entries.push({ level: "info", obj, msg });
  }
  warn(obj: object | string, msg?: string): void {
    this.entries.push({ level: "warn", obj, msg });
  }
  error(obj: object | string, msg?: string): void {
    this.entries.push({ level: "error", obj, msg });
  }
  debug(obj: object | string, msg?: string): void {
    this.entries.push({ level: "debug", obj, msg });
  }
  /** Everything logged, as text (errors with their messages). */
  text(): string {
    return JSON.stringify(this.entries, (_key, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message } : value,
    );
  }
}

/** A transport that keeps what it was given, optionally failing or pausing first. */
export class RecordingTransport implements MailTransport {
  readonly kind = "smtp" as const;
  readonly sent: OutgoingMail[] = [];
  /** Runs before each message is accepted; throw to refuse it. */
  before?: (mail: OutgoingMail) => Promise<void> | void;

  async send(mail: OutgoingMail): Promise<void> {
    await this.before?.(mail);
    this.sent.push(mail);
  }
  close(): void {}
  recipients(): string[] {
    return this.sent.map((m) => m.to.address);
  }
  /** The recipients of marketing messages only (they carry List-Unsubscribe; account mails do not). */
  marketingRecipients(from = 0): string[] {
    return this.sent
      .slice(from)
      .filter((m) => m.headers?.["List-Unsubscribe"])
      .map((m) => m.to.address);
  }
}

export interface ConsentBedOptions {
  /** The clock of services and job runners (default: a ManualClock at {@link START}). */
  clock?: Clock;
  transport?: MailTransport;
  /** SMTP_URL; ignored when `transport` is given. */
  smtpUrl?: string;
  sender?: CampaignSenderOptions;
  logger?: Logger;
}

export interface ConsentTestBed {
  kind: TestDatabaseKind;
  db: TestDataSource;
  dataSource: DataSource;
  clock: Clock;
  platform: Platform;
  users: UsersServices;
  services: ConsentServices;
  transport: RecordingTransport;
  /** Where the file transport writes when neither `transport` nor `smtpUrl` is given. */
  dataDir: string;
  ctx(actor?: Actor): RequestContext;
  /** Registers an account (and signs it in); returns its id, email and a context acting as it. */
  signUp(details?: Partial<RegistrationDetails>): Promise<{ user: UserEntity; actor: Actor; ctx: RequestContext }>;
  /**
   * Closes an account through `UserService.close` (every contributor erases, then
   * `users.accountClosed` is published), acting as `actor` (default: the system).
   */
  closeAccount(userId: string, actor?: Actor): Promise<void>;
  /** A signed-in staff member (or customer) with the role. */
  staff(role: Role): Promise<Actor>;
  partner(partnerId?: string): Actor;
  /** A job runner with the consent jobs; stopped by `stopRunners` / `close`. */
  runner(options?: JobRunnerOptions): JobRunner;
  stopRunners(): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Consent and the tables it touches, children first. */
const TABLES = [
  PendingConsentEntity,
  ConsentProofEntity,
  OutboxMessageEntity,
  CampaignEntity,
  UnsubscribeTokenEntity,
  ConsentPreferenceEntity,
  SuppressionEntity,
  RemovalRequestEntity,
  ListExportEntity,
  ConsentEventEntity,
  PolicyVersionEntity,
  SessionEntity,
  SignInAttemptEntity,
  ArticleEntity,
  UserEntity,
  JobEntity,
  AuditEntryEntity,
];

export async function openConsentTestBed(
  kind: TestDatabaseKind,
  options: ConsentBedOptions = {},
): Promise<ConsentTestBed> {
  const db = await openTestDataSource(kind, [platformModule, usersModule, consentModule]);
  const clock = options.clock ?? new ManualClock(START);
  const dataDir = mkdtempSync(join(tmpdir(), "honour-consent-"));
  const logger = options.logger ?? silentLogger;
  const platform = createTestPlatform(db.dataSource, {
    clock,
    env: { PUBLIC_URL, HONOUR_DATA_DIR: dataDir },
    logger,
    jobQueue: { backoffBaseMs: 10 },
  });
  const users = createUsersServices(platform, { passwordHashing: FAST_PASSWORD_HASHING });
  const recording = new RecordingTransport();
  const transport = options.transport ?? (options.smtpUrl ? undefined : recording);
  const services = createConsentServices(platform, users, {
    transport,
    smtpUrl: options.smtpUrl,
    sender: options.sender,
  });
  const ctx = (actor: Actor = ANONYMOUS) => new RequestContext(db.dataSource, actor, clock);
  const runners: JobRunner[] = [];
  const bed: ConsentTestBed = {
    kind,
    db,
    dataSource: db.dataSource,
    clock,
    platform,
    users,
    services,
    transport: recording,
    dataDir,
    ctx,
    signUp: (details) => signUpTestAccount(users, ctx, details),
    closeAccount: async (userId, actor = { kind: "system", name: "test" }) => {
      await users.users.close(ctx(actor), userId);
    },
    staff: async (role) => {
      // Staff tick nothing, so that their accounts do not show up in lists and campaigns.
      const staff = await signUpTestAccount(
        users,
        ctx,
        { communications: [] },
        role === Role.CUSTOMER ? undefined : role,
      );
      return staff.actor;
    },
    partner: (partnerId = "partner-1") => ({ kind: "partner", partnerId, apiKeyId: `${partnerId}-key` }),
    runner: (runnerOptions = {}) => {
      const { jobs, schedules } = consentJobs(services);
      const runner = new JobRunner(db.dataSource, platform.jobs, clock, jobs, schedules, logger, {
        pollMs: 10,
        heartbeatMs: 50,
        shutdownGraceMs: 2000,
        ...runnerOptions,
      });
      runners.push(runner);
      return runner;
    },
    stopRunners: async () => {
      await Promise.all(runners.splice(0).map((r) => r.stop()));
    },
    reset: async () => {
      await bed.stopRunners();
      for (const entity of TABLES) await db.dataSource.createQueryBuilder().delete().from(entity).execute();
      recording.sent.length = 0;
      recording.before = undefined;
      if (clock instanceof ManualClock) clock.set(START);
    },
    close: async () => {
      await bed.stopRunners();
      services.close();
      await db.close();
    },
  };
  return bed;
}

export { failure } from "@honour/testing";

export { waitFor } from "@honour/testing";

/** Every row of a table as the database holds it, in a stable order, for before/after comparisons. */
export async function tableContents(dataSource: DataSource, table: string, orderBy = "id"): Promise<unknown[]> {
  return dataSource.query(`SELECT * FROM ${table} ORDER BY ${orderBy}`);
}

/** The consent tables and the columns to order each by. */
export const CONSENT_TABLES: readonly [string, string][] = [
  ["consent_policy_version", "version"],
  ["consent_event", "id"],
  ["consent_preference", "userId, topic, channel"],
  ["consent_suppression", "id"],
  ["consent_removal_request", "id"],
  ["consent_list_export", "id"],
  ["consent_unsubscribe_token", "id"],
  ["consent_campaign", "id"],
  ["consent_outbox", "id"],
];

/** The whole consent state, for "changes nothing" assertions. */
export async function consentSnapshot(dataSource: DataSource): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const [table, order] of CONSENT_TABLES) snapshot[table] = await tableContents(dataSource, table, order);
  snapshot["job"] = await tableContents(dataSource, "job");
  return snapshot;
}
