import { testDatabaseKinds } from "@honour/testing";
import { LOGIN, ME, startTestGateway, signedInCustomer, type TestGateway } from "./support/test-gateway";

const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
  "Version/17.5 Mobile/15E148 Safari/604.1";

const MY_SESSIONS = /* GraphQL */ `
  query MySessions {
    mySessions {
      id
      createdAt
      lastSeenAt
      browser
      os
      current
    }
  }
`;
const REVOKE_SESSION = /* GraphQL */ `
  mutation RevokeSession($id: ID!) {
    revokeSession(id: $id)
  }
`;
const REVOKE_OTHER_SESSIONS = /* GraphQL */ `
  mutation RevokeOtherSessions {
    revokeOtherSessions
  }
`;
const CHANGE_PASSWORD = /* GraphQL */ `
  mutation ChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input)
  }
`;

interface SessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  browser: string | null;
  os: string | null;
  current: boolean;
}

describe.each(testDatabaseKinds())("one's own sessions over HTTP on %s", (kind) => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A customer signed in from two browsers: an iPhone (by registering) and a Windows PC. */
  async function customerOnTwoBrowsers() {
    const { input } = await signedInCustomer(t);
    const phone = t.client({ "user-agent": SAFARI_IPHONE });
    await phone.ok(LOGIN, { input: { email: input.email, password: input.password } });
    const desktop = t.client({ "user-agent": FIREFOX_WINDOWS });
    await desktop.ok(LOGIN, { input: { email: input.email, password: input.password } });
    return { input, phone, desktop };
  }
  const sessionsOf = async (client: ReturnType<TestGateway["client"]>) =>
    (await client.ok<{ mySessions: SessionView[] }>(MY_SESSIONS)).mySessions;
  const me = async (client: ReturnType<TestGateway["client"]>) => (await client.ok<{ me: unknown }>(ME)).me;

  it("lists each signed-in browser with its families, the current one marked", async () => {
    const { phone, desktop } = await customerOnTwoBrowsers();

    const sessions = await sessionsOf(desktop);

    expect(sessions).toHaveLength(3);
    expect(sessions.filter((s) => s.current)).toEqual([
      expect.objectContaining({ browser: "Firefox", os: "Windows", current: true }),
    ]);
    expect(sessions).toContainEqual(expect.objectContaining({ browser: "Safari", os: "iOS", current: false }));
    const fromPhone = await sessionsOf(phone);
    expect(fromPhone.find((s) => s.current)).toMatchObject({ browser: "Safari", os: "iOS" });
    expect(JSON.stringify(sessions)).not.toMatch(/Gecko|AppleWebKit/);
  });

  it("revokes another session: its cookie no longer signs anyone in", async () => {
    const { phone, desktop } = await customerOnTwoBrowsers();
    const phoneSession = (await sessionsOf(phone)).find((s) => s.current)!;

    expect((await desktop.ok<{ revokeSession: boolean }>(REVOKE_SESSION, { id: phoneSession.id })).revokeSession).toBe(
      true,
    );

    expect(await me(phone)).toBeNull();
    expect(await me(desktop)).not.toBeNull();
    expect((await sessionsOf(desktop)).map((s) => s.id)).not.toContain(phoneSession.id);
  });

  it("answers NOT_FOUND for another person's session, as for an unknown id, and leaves it working", async () => {
    const { desktop } = await customerOnTwoBrowsers();
    const stranger = await signedInCustomer(t);
    const strangersSession = (await sessionsOf(stranger.client)).find((s) => s.current)!;

    const theirs = await desktop.query(REVOKE_SESSION, { id: strangersSession.id });
    const unknown = await desktop.query(REVOKE_SESSION, { id: "00000000-0000-7000-8000-000000000000" });

    expect(theirs.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(theirs.errors?.[0]?.extensions).toEqual(unknown.errors?.[0]?.extensions);
    expect(theirs.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(await me(stranger.client)).not.toBeNull();
  });

  it("asks for a signed-in user", async () => {
    const anonymous = t.client();
    expect((await anonymous.query(MY_SESSIONS)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await anonymous.query(REVOKE_OTHER_SESSIONS)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("revokes every other session and returns how many", async () => {
    const { input, phone, desktop } = await customerOnTwoBrowsers();
    const first = t.client();
    await first.ok(LOGIN, { input: { email: input.email, password: input.password } });

    const result = await desktop.ok<{ revokeOtherSessions: number }>(REVOKE_OTHER_SESSIONS);

    expect(result.revokeOtherSessions).toBe(3);
    expect(await me(phone)).toBeNull();
    expect(await me(first)).toBeNull();
    expect(await me(desktop)).not.toBeNull();
    expect(await sessionsOf(desktop)).toEqual([expect.objectContaining({ current: true })]);
  });

  it("ends the other sessions when the password changes, not the current one", async () => {
    const { input, phone, desktop } = await customerOnTwoBrowsers();

    await desktop.ok(CHANGE_PASSWORD, {
      input: { currentPassword: input.password, newPassword: "a brand new password" },
    });

    expect(await me(phone)).toBeNull();
    expect(await me(desktop)).not.toBeNull();
    expect(await sessionsOf(desktop)).toEqual([expect.objectContaining({ browser: "Firefox", current: true })]);
  });

  it("does not write lastSeenAt again for a second request within the minute", async () => {
    const { desktop } = await customerOnTwoBrowsers();
    const before = (await sessionsOf(desktop)).find((s) => s.current)!;

    await me(desktop);
    const after = (await sessionsOf(desktop)).find((s) => s.current)!;

    expect(after.lastSeenAt).toBe(before.lastSeenAt);
    expect(after.lastSeenAt).toBe(after.createdAt);
  });
});
