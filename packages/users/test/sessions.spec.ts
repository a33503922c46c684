import { ANONYMOUS, JobRunner, Role, sha256, silentLogger, SqlJobQueue } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { SessionEntity, UserEntity, usersJobs } from "../src";
import { openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;
/** The default of SESSION_RETENTION_DAYS, which the test bed leaves unset. */
const SESSION_TTL_MS = 30 * DAY;

describe.each(testDatabaseKinds())("sessions on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  const resolve = (token: string | undefined) => bed.services.sessions.resolveActor(bed.ctx(), token);
  const expiryOf = async (sessionId: string) =>
    (await bed.ctx().manager.findOneByOrFail(SessionEntity, { id: sessionId })).expiresAt.getTime();

  it("stores the SHA-256 of the token, not the token", async () => {
    const { user } = await bed.signUp();
    const session = await bed.services.sessions.create(bed.ctx(), user.id);

    const row = await bed.ctx().manager.findOneByOrFail(SessionEntity, { id: session.sessionId });
    expect(session.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(row.tokenHash).toBe(sha256(session.token));
    expect(JSON.stringify(row)).not.toContain(session.token);
  });

  it("resolves a live session to its user, role and session with one query", async () => {
    const { user, token, sessionId } = await bed.signUp();
    const logQuery = jest.spyOn(bed.db.dataSource.logger, "logQuery");

    const actor = await resolve(token);

    expect(actor).toEqual({ kind: "user", userId: user.id, role: Role.CUSTOMER, sessionId });
    expect(logQuery).toHaveBeenCalledTimes(1);
    expect(logQuery.mock.calls[0]![0]).toMatch(/JOIN/i);
    logQuery.mockRestore();
  });

  it("resolves a missing or malformed token to anonymous without asking the database", async () => {
    const logQuery = jest.spyOn(bed.db.dataSource.logger, "logQuery");

    expect(await resolve(undefined)).toEqual(ANONYMOUS);
    expect(await resolve("")).toEqual(ANONYMOUS);
    expect(await resolve("not-a-token")).toEqual(ANONYMOUS);
    expect(logQuery).not.toHaveBeenCalled();
    logQuery.mockRestore();
  });

  it("resolves an unknown well-formed token to anonymous", async () => {
    expect(await resolve("A".repeat(43))).toEqual(ANONYMOUS);
  });

  it("resolves an expired session to anonymous", async () => {
    const unused = await bed.signUp();
    const used = await bed.signUp();

    bed.clock.advance(SESSION_TTL_MS - 1);
    expect((await resolve(used.token)).kind).toBe("user");
    bed.clock.advance(1);
    expect(await resolve(unused.token)).toEqual(ANONYMOUS);
    // The used one was renewed: it lives a full TTL from its last use, and not a moment longer.
    bed.clock.advance(SESSION_TTL_MS - 2);
    expect((await resolve(used.token)).kind).toBe("user");
    bed.clock.advance(SESSION_TTL_MS);
    expect(await resolve(used.token)).toEqual(ANONYMOUS);
  });

  it("resolves a revoked session to anonymous", async () => {
    const { token } = await bed.signUp();

    expect(await bed.services.sessions.revoke(bed.ctx(), token)).toBe(true);

    expect(await resolve(token)).toEqual(ANONYMOUS);
    expect(await bed.services.sessions.revoke(bed.ctx(), token)).toBe(false);
  });

  it("resolves the session of a closed account to anonymous, even if the session row survived", async () => {
    const { user, token } = await bed.signUp();
    // Closing ends sessions; set closedAt directly to prove resolveActor checks the account too.
    await bed.ctx().manager.update(UserEntity, { id: user.id }, { closedAt: bed.clock.now() });

    expect(await resolve(token)).toEqual(ANONYMOUS);
  });

  it("ends every session of an account when it is closed", async () => {
    const { user, token } = await bed.signUp();
    const other = await bed.services.sessions.create(bed.ctx(), user.id);

    await bed.services.users.close(bed.ctx(), user.id);

    expect(await resolve(token)).toEqual(ANONYMOUS);
    expect(await resolve(other.token)).toEqual(ANONYMOUS);
    expect(await bed.ctx().manager.countBy(SessionEntity, { userId: user.id })).toBe(0);
  });

  it("reads the role on every request, so a role change applies to live sessions at once", async () => {
    const { user, token } = await bed.signUp();

    await bed.services.users.setRole(bed.ctx(), user.id, Role.SUPPORT);

    expect(await resolve(token)).toMatchObject({ kind: "user", role: Role.SUPPORT });
  });

  it("slides the expiry forward at most once a minute", async () => {
    const { token, sessionId } = await bed.signUp();
    const created = bed.clock.now().getTime();
    expect(await expiryOf(sessionId)).toBe(created + SESSION_TTL_MS);

    bed.clock.advance(30 * 1000);
    const quiet = await bed.services.sessions.resolve(bed.ctx(), token);
    expect(quiet.renewedUntil).toBeNull();
    expect(await expiryOf(sessionId)).toBe(created + SESSION_TTL_MS);

    bed.clock.advance(30 * 1000);
    const renewed = await bed.services.sessions.resolve(bed.ctx(), token);
    expect(renewed.renewedUntil?.getTime()).toBe(created + MINUTE + SESSION_TTL_MS);
    expect(await expiryOf(sessionId)).toBe(created + MINUTE + SESSION_TTL_MS);

    const logQuery = jest.spyOn(bed.db.dataSource.logger, "logQuery");
    bed.clock.advance(59 * 1000);
    for (let i = 0; i < 5; i++) expect((await resolve(token)).kind).toBe("user");
    expect(logQuery).toHaveBeenCalledTimes(5); // reads only
    expect(await expiryOf(sessionId)).toBe(created + MINUTE + SESSION_TTL_MS);
    logQuery.mockRestore();
  });

  it("keeps a session that is used alive beyond 30 days", async () => {
    const { token } = await bed.signUp();

    for (let day = 0; day < 40; day += 10) {
      bed.clock.advance(10 * DAY);
      expect((await resolve(token)).kind).toBe("user");
    }
  });

  it("ends a browser's previous session when it signs in again", async () => {
    const { ctx, token } = await bed.signUp({ email: "ada@example.com" });

    const again = await bed.services.users.signIn(ctx, "ada@example.com", PASSWORD);

    expect(await resolve(token)).toEqual(ANONYMOUS);
    expect((await resolve(again.session.token)).kind).toBe("user");
  });

  it("revokeCurrent ends the caller's session only", async () => {
    const { user, ctx, token } = await bed.signUp();
    const other = await bed.services.sessions.create(bed.ctx(), user.id);

    expect(await bed.services.sessions.revokeCurrent(ctx)).toBe(true);

    expect(await resolve(token)).toEqual(ANONYMOUS);
    expect((await resolve(other.token)).kind).toBe("user");
    expect(await bed.services.sessions.revokeCurrent(bed.ctx())).toBe(false);
  });

  it("the hourly users.deleteExpiredSessions job deletes only expired sessions", async () => {
    const old = await bed.signUp();
    bed.clock.advance(20 * DAY);
    const fresh = await bed.signUp();
    bed.clock.advance(10 * DAY);
    const { jobs, schedules } = usersJobs(bed.services);
    expect(schedules).toContainEqual({ job: "users.deleteExpiredSessions", everyMs: 60 * MINUTE });
    const runner = new JobRunner(
      bed.db.dataSource,
      new SqlJobQueue(bed.db.dataSource, bed.clock),
      bed.clock,
      jobs,
      schedules,
      silentLogger,
    );

    await runner.maintain(); // enqueues the schedules that are due
    while (await runner.runOnce());

    const left = await bed.ctx().manager.find(SessionEntity);
    expect(left.map((s) => s.id)).toEqual([fresh.sessionId]);
    expect(await bed.ctx().manager.existsBy(SessionEntity, { id: old.sessionId })).toBe(false);
  });

  it("deleteExpired counts what it deleted", async () => {
    await bed.signUp();
    await bed.signUp();
    bed.clock.advance(SESSION_TTL_MS);

    expect(await bed.services.sessions.deleteExpired(bed.ctx())).toBe(2);
    expect(await bed.services.sessions.deleteExpired(bed.ctx())).toBe(0);
  });
});
