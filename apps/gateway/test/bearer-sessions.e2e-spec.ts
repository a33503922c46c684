import { createHash } from "node:crypto";
import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import { outcome } from "./support/orders-fixtures";
import { ME, newRegistration, REGISTER, startTestGateway, type TestGateway } from "./support/test-gateway";

const LOGIN_WITH_TOKEN = /* GraphQL */ `
  mutation ($input: LoginInput!) {
    login(input: $input) {
      user {
        id
      }
      token
    }
  }
`;

describe.each(testDatabaseKinds())("bearer session tokens for native apps and SSR, over HTTP on %s", (kind) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(kind);
  });
  afterAll(() => t?.close());

  /** A new account; returns its cookie client (from registering) and its credentials. */
  async function account(): Promise<{ browser: GraphQLTestClient; email: string; password: string }> {
    const input = newRegistration();
    const browser = t.client();
    await browser.ok(REGISTER, { input });
    return { browser, email: input.email, password: input.password };
  }

  async function bearerLogin(email: string, password: string) {
    const app = t.client();
    const answer = await app.query<{ login: { user: { id: string }; token: string | null } }>(LOGIN_WITH_TOKEN, {
      input: { email, password, bearerToken: true },
    });
    return { answer, app, setCookie: app.lastSetCookie };
  }

  it("answers the token only when asked, sets no cookie then, and accepts it as Authorization: Bearer", async () => {
    const { email, password } = await account();
    const plain = t.client();
    const cookieLogin = await plain.query<{ login: { token: string | null } }>(LOGIN_WITH_TOKEN, {
      input: { email, password },
    });
    expect(cookieLogin.data!.login.token).toBeNull();
    expect(plain.lastSetCookie.join()).toMatch(/honour_session=/);

    const { answer, setCookie } = await bearerLogin(email, password);
    const token = answer.data!.login.token!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(setCookie).toEqual([]);

    const native = t.client({ authorization: `Bearer ${token}` });
    const me = await native.ok<{ me: { id: string; email: string } }>(ME);
    expect(me.me).toMatchObject({ id: answer.data!.login.user.id, email });

    // Stored hashed like the cookie's session: the token itself is nowhere in the table.
    const rows: { tokenHash: string }[] = await t.gateway.dataSource.query("SELECT tokenHash FROM session");
    expect(rows.map((r) => r.tokenHash)).toContain(createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("lists the bearer session with the others, and revoking it from the browser ends it (401)", async () => {
    const { browser, email, password } = await account();
    const { answer } = await bearerLogin(email, password);
    const native = t.client({ authorization: `Bearer ${answer.data!.login.token}` });
    const mine = await native.ok<{ mySessions: { id: string; current: boolean }[] }>(`{ mySessions { id current } }`);
    expect(mine.mySessions).toHaveLength(2);
    const nativeSession = mine.mySessions.find((s) => s.current)!;

    const seenByBrowser = await browser.ok<{ mySessions: { id: string; current: boolean }[] }>(
      `{ mySessions { id current } }`,
    );
    expect(seenByBrowser.mySessions).toContainEqual({ id: nativeSession.id, current: false });
    await browser.ok(`mutation ($id: ID!) { revokeSession(id: $id) }`, { id: nativeSession.id });

    const after = await native.query(ME);
    expect([after.status, outcome(after)]).toEqual([401, "UNAUTHENTICATED"]);
    expect(after.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("ends the session on logout with the bearer token, and refuses a made-up token", async () => {
    const { email, password } = await account();
    const { answer } = await bearerLogin(email, password);
    const native = t.client({ authorization: `Bearer ${answer.data!.login.token}` });
    expect(await native.ok(`mutation { logout }`)).toEqual({ logout: true });
    expect(outcome(await native.query(ME))).toBe("UNAUTHENTICATED");
    const madeUp = await t.client({ authorization: `Bearer ${"x".repeat(43)}` }).query(ME);
    expect([madeUp.status, outcome(madeUp)]).toEqual([401, "UNAUTHENTICATED"]);
  });
});
