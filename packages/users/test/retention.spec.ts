import { ANONYMOUS, type ClaimedJob, type RequestContext } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { lastVerificationToken, signUpTestAccount } from "@honour/testing";
import { SessionEntity, UserEntity, USERS_JOBS, usersJobs } from "../src";
import { EmailChangeEntity } from "../src/email-change/email-change.entity";
import { EmailVerificationEntity } from "../src/email-verification/email-verification.entity";
import { openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Retention periods of their own, so the tests prove the settings are read (defaults: 30 and 2190). */
const SESSIONS_DAYS = 2;
const CLOSED_ACCOUNTS_DAYS = 10;

describe.each(testDatabaseKinds())("retention of accounts data on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind, {
      SESSION_RETENTION_DAYS: String(SESSIONS_DAYS),
      CLOSED_ACCOUNT_RETENTION_DAYS: String(CLOSED_ACCOUNTS_DAYS),
    });
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  /** Runs one of the users jobs as the worker would, with a system context. */
  async function run(name: string): Promise<void> {
    const job = usersJobs(bed.services).jobs.find((j) => j.name === name)!;
    const claimed: ClaimedJob = { id: "job", name, payload: {}, attempt: 1, maxAttempts: 3 };
    const ctx: RequestContext = bed.ctx({ kind: "system", name: "worker" });
    await job.handle(ctx, {}, claimed);
  }

  const resolve = (token: string) => bed.services.sessions.resolveActor(bed.ctx(), token);
  const userIds = async () => (await bed.ctx().manager.find(UserEntity, { order: { id: "ASC" } })).map((u) => u.id);
  const sessionIds = async () =>
    (await bed.ctx().manager.find(SessionEntity, { order: { id: "ASC" } })).map((s) => s.id);

  it("schedules the session purge hourly and the closed-account purge daily", () => {
    expect(usersJobs(bed.services).schedules).toEqual(
      expect.arrayContaining([
        { job: USERS_JOBS.deleteExpiredSessions, everyMs: HOUR },
        { job: USERS_JOBS.deleteClosedAccounts, everyMs: DAY },
      ]),
    );
  });

  describe("sessions", () => {
    it("end SESSION_RETENTION_DAYS after their last use, the expiry sliding with use", async () => {
      const unused = await bed.signUp();
      const used = await bed.signUp();
      expect(bed.services.sessions.ttlMs).toBe(SESSIONS_DAYS * DAY);

      bed.clock.advance(SESSIONS_DAYS * DAY - MINUTE);
      expect((await resolve(used.token)).kind).toBe("user");
      bed.clock.advance(MINUTE);
      expect(await resolve(unused.token)).toEqual(ANONYMOUS);
      expect((await resolve(used.token)).kind).toBe("user");
      bed.clock.advance(SESSIONS_DAYS * DAY - 2 * MINUTE);
      expect((await resolve(used.token)).kind).toBe("user");
      bed.clock.advance(SESSIONS_DAYS * DAY);
      expect(await resolve(used.token)).toEqual(ANONYMOUS);
    });

    it("the hourly job deletes exactly the sessions that have ended", async () => {
      const unused = await bed.signUp(); // ends at 2 days
      const used = await bed.signUp();
      bed.clock.advance(DAY);
      await resolve(used.token); // used after a day: ends at 3 days
      const later = await bed.signUp(); // ends at 3 days

      bed.clock.advance(DAY - 1);
      await run(USERS_JOBS.deleteExpiredSessions);
      expect(await sessionIds()).toEqual([unused.sessionId, used.sessionId, later.sessionId].sort());

      bed.clock.advance(1);
      await run(USERS_JOBS.deleteExpiredSessions);
      expect(await sessionIds()).toEqual([used.sessionId, later.sessionId].sort());

      bed.clock.advance(DAY);
      await run(USERS_JOBS.deleteExpiredSessions);
      expect(await sessionIds()).toEqual([]);
      expect(await bed.ctx().manager.count(UserEntity)).toBe(3);
    });
  });

  describe("closed accounts", () => {
    it("the daily job deletes an account's remaining row CLOSED_ACCOUNT_RETENTION_DAYS after closure, not before", async () => {
      const first = await bed.signUp();
      const second = await bed.signUp();
      const open = await bed.signUp();
      await bed.services.users.close(bed.ctx(), first.user.id);
      bed.clock.advance(5 * DAY);
      await bed.services.users.close(bed.ctx(), second.user.id);

      bed.clock.advance(5 * DAY - 1);
      await run(USERS_JOBS.deleteClosedAccounts);
      expect(await userIds()).toEqual([first.user.id, second.user.id, open.user.id].sort());

      bed.clock.advance(1);
      await run(USERS_JOBS.deleteClosedAccounts);
      expect(await userIds()).toEqual([second.user.id, open.user.id].sort());

      bed.clock.advance(5 * DAY);
      await run(USERS_JOBS.deleteClosedAccounts);
      expect(await userIds()).toEqual([open.user.id]);
      expect(await bed.ctx().manager.findOneByOrFail(UserEntity, { id: open.user.id })).toMatchObject({
        email: open.user.email,
        closedAt: null,
      });
    });

    it("counts the accounts it deletes, and their sessions go with them", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await bed.signUp()).user.id);
      for (const id of ids) await bed.services.users.close(bed.ctx(), id);
      // Sessions of a closed account that a direct update left behind go with the row.
      await bed.services.sessions.create(bed.ctx(), ids[0]!);
      bed.clock.advance(CLOSED_ACCOUNTS_DAYS * DAY);

      expect(await bed.services.users.deleteClosedAccounts(bed.ctx())).toBe(3);
      expect(await bed.services.users.deleteClosedAccounts(bed.ctx())).toBe(0);
      expect(await bed.ctx().manager.count(UserEntity)).toBe(0);
      expect(await bed.ctx().manager.count(SessionEntity)).toBe(0);
    });
  });

  describe("email verification and email change links", () => {
    const links = async () =>
      (await bed.ctx().manager.count(EmailVerificationEntity)) + (await bed.ctx().manager.count(EmailChangeEntity));

    it("the hourly job deletes them 7 days after they expired or were used, not before", async () => {
      // A link never used (expires in 24 hours), a link used now, and a pending email change (24 hours).
      await signUpTestAccount(bed.services, bed.ctx, { email: "unused@example.com" }, undefined, {
        verifyEmail: false,
      });
      const used = await signUpTestAccount(bed.services, bed.ctx, { email: "used@example.com" }, undefined, {
        verifyEmail: false,
      });
      await bed.services.emailVerifications.verify(
        bed.ctx(),
        await lastVerificationToken(bed.ctx(), "used@example.com"),
      );
      await bed.services.emailChanges.request(used.ctx, {
        newEmail: "used-new@example.com",
        currentPassword: PASSWORD,
      });
      expect(await links()).toBe(3);

      bed.clock.advance(7 * DAY - 1);
      await run(USERS_JOBS.deleteStaleAddressLinks);
      expect(await links()).toBe(3);

      bed.clock.advance(1);
      await run(USERS_JOBS.deleteStaleAddressLinks);
      expect(await bed.ctx().manager.countBy(EmailVerificationEntity, { email: "used@example.com" })).toBe(0);
      expect(await links()).toBe(2);

      bed.clock.advance(DAY - 1);
      await run(USERS_JOBS.deleteStaleAddressLinks);
      expect(await links()).toBe(2);

      bed.clock.advance(1);
      await run(USERS_JOBS.deleteStaleAddressLinks);
      expect(await links()).toBe(0);
    });
  });
});
