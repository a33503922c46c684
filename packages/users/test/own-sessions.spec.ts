import { ErrorCode, SecurityEventKind } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { SessionEntity } from "../src";
import { failure, openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
  "Version/17.5 Mobile/15E148 Safari/604.1";
const SECOND = 1000;

describe.each(testDatabaseKinds())("one's own sessions on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  /** Signs `email` in again from another browser; returns that session's context and id. */
  async function signInFrom(email: string, userAgent: string) {
    const { session } = await bed.services.users.signIn(bed.ctx(), email, PASSWORD, userAgent);
    return { ctx: await bed.as(session.token), token: session.token, sessionId: session.sessionId };
  }
  const row = (id: string) => bed.ctx().manager.findOneByOrFail(SessionEntity, { id });

  it("keeps only the browser and OS families of the user agent", async () => {
    const { user } = await bed.signUp({ email: "ada@example.com" });
    const { sessionId } = await signInFrom(user.email, FIREFOX_WINDOWS);

    const stored = await row(sessionId);
    expect(stored).toMatchObject({ browser: "Firefox", os: "Windows" });
    expect(JSON.stringify(stored)).not.toContain("Gecko");
  });

  it("lists the person's live sessions with their families, the current one marked", async () => {
    const { user } = await bed.signUp({ email: "ada@example.com" });
    await bed.signUp({ email: "charles@example.com" });
    const phone = await signInFrom(user.email, SAFARI_IPHONE);
    bed.clock.advance(5 * SECOND);
    const desktop = await signInFrom(user.email, FIREFOX_WINDOWS);

    const sessions = await bed.services.ownSessions.list(desktop.ctx);

    expect(sessions).toHaveLength(3);
    expect(sessions[0]).toMatchObject({ id: desktop.sessionId, browser: "Firefox", os: "Windows", current: true });
    expect(sessions.find((s) => s.id === phone.sessionId)).toMatchObject({
      browser: "Safari",
      os: "iOS",
      current: false,
    });
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
  });

  it("writes lastSeenAt with the expiry, at most once a minute", async () => {
    const { token, sessionId } = await bed.signUp();
    const created = (await row(sessionId)).lastSeenAt.getTime();

    bed.clock.advance(30 * SECOND);
    await bed.as(token);
    expect((await row(sessionId)).lastSeenAt.getTime()).toBe(created);

    bed.clock.advance(31 * SECOND);
    await bed.as(token);
    expect((await row(sessionId)).lastSeenAt.getTime()).toBe(created + 61 * SECOND);
  });

  it("revokes one of one's own sessions, whose token then stands for nobody", async () => {
    const { user, ctx } = await bed.signUp({ email: "ada@example.com" });
    const other = await signInFrom(user.email, SAFARI_IPHONE);

    await bed.services.ownSessions.revoke(ctx, other.sessionId);

    expect((await bed.as(other.token)).actor.kind).toBe("anonymous");
    expect((await bed.services.ownSessions.list(ctx)).map((s) => s.current)).toEqual([true]);
    expect(bed.securityEvents).toContainEqual(
      expect.objectContaining({ kind: SecurityEventKind.SESSION_REVOKED, userId: user.id }),
    );
  });

  it("answers NOT_FOUND for someone else's session exactly as for an unknown id, and leaves it alone", async () => {
    const ada = await bed.signUp({ email: "ada@example.com" });
    const charles = await bed.signUp({ email: "charles@example.com" });

    const theirs = await failure(bed.services.ownSessions.revoke(ada.ctx, charles.sessionId));
    const unknown = await failure(bed.services.ownSessions.revoke(ada.ctx, "00000000-0000-7000-8000-000000000000"));

    expect(theirs.code).toBe(ErrorCode.NOT_FOUND);
    expect({ ...theirs, stack: undefined }).toEqual({ ...unknown, stack: undefined });
    expect(theirs.message).toBe(unknown.message);
    expect((await bed.as(charles.token)).actor.kind).toBe("user");
    expect(bed.securityEvents.filter((e) => e.kind === SecurityEventKind.SESSION_REVOKED)).toEqual([]);
  });

  it("revokes every other session and says how many", async () => {
    const { user, ctx, token } = await bed.signUp({ email: "ada@example.com" });
    const phone = await signInFrom(user.email, SAFARI_IPHONE);
    const desktop = await signInFrom(user.email, FIREFOX_WINDOWS);
    const charles = await bed.signUp({ email: "charles@example.com" });

    expect(await bed.services.ownSessions.revokeOthers(ctx)).toBe(2);

    expect((await bed.as(phone.token)).actor.kind).toBe("anonymous");
    expect((await bed.as(desktop.token)).actor.kind).toBe("anonymous");
    expect((await bed.as(token)).actor.kind).toBe("user");
    expect((await bed.as(charles.token)).actor.kind).toBe("user");
    expect(await bed.services.ownSessions.revokeOthers(ctx)).toBe(0);
  });

  it("refuses the anonymous with UNAUTHENTICATED", async () => {
    expect((await failure(bed.services.ownSessions.list(bed.ctx()))).code).toBe(ErrorCode.UNAUTHENTICATED);
    expect((await failure(bed.services.ownSessions.revokeOthers(bed.ctx()))).code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it("exports the sessions' dates and families, never a token hash or user agent", async () => {
    const { user } = await bed.signUp({ email: "ada@example.com" });
    const { sessionId } = await signInFrom(user.email, FIREFOX_WINDOWS);
    const stored = await row(sessionId);

    const document = await bed.platform.personalData.exportAll(
      bed.ctx(),
      await bed.services.users.personalDataSubject(bed.ctx(), user.id),
    );

    const sessions = (document.account as { sessions: unknown[] }).sessions;
    expect(sessions).toContainEqual({
      createdAt: stored.createdAt.toISOString(),
      lastSeenAt: stored.lastSeenAt.toISOString(),
      browser: "Firefox",
      os: "Windows",
      expiresAt: stored.expiresAt.toISOString(),
    });
    const text = JSON.stringify(document);
    expect(text).not.toContain(stored.tokenHash);
    expect(text).not.toContain("Gecko");
  });
});
