import { sha256 } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import {
  ADMIN,
  LOGIN,
  ME,
  REGISTER,
  newRegistration,
  signedInAdmin,
  signedInCustomer,
  startTestGateway,
  type TestGateway,
} from "./support/test-gateway";

describe.each(testDatabaseKinds())("accounts over HTTP on %s", (kind) => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("registers, keeps the session in a safe cookie, and logs out", async () => {
    const client = t.client();
    const input = newRegistration({ organisation: "Acme Ltd", referralSource: "A search engine" });
    const registered = await client.query<{ register: { user: { email: string; role: string } } }>(REGISTER, { input });
    expect(registered.errors).toBeUndefined();
    expect(registered.data?.register.user).toMatchObject({ email: input.email, role: "CUSTOMER" });

    const cookie = client.lastSetCookie.find((c) => c.startsWith("honour_session="));
    expect(cookie).toBeDefined();
    const attributes = cookie!.split(";").map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(["httponly", "samesite=lax", "path=/"]));
    expect(attributes.some((a) => a.startsWith("expires="))).toBe(true);
    expect(attributes).not.toContain("secure"); // plain http in this test; see the Secure test below
    const token = client.cookies.get("honour_session")!;
    expect(Buffer.from(token, "base64url")).toHaveLength(32);

    const me = await client.ok<{ me: { email: string } | null }>(ME);
    expect(me.me?.email).toBe(input.email);

    const loggedOut = await client.ok<{ logout: boolean }>("mutation { logout }");
    expect(loggedOut.logout).toBe(true);
    expect(client.cookies.has("honour_session")).toBe(false);
    expect((await client.ok<{ me: unknown }>(ME)).me).toBeNull();

    // The old cookie value no longer opens a session either.
    const replay = t.client({ cookie: `honour_session=${token}` });
    expect((await replay.ok<{ me: unknown }>(ME)).me).toBeNull();
  });

  it("stores only the SHA-256 of the session token, never the cookie value", async () => {
    const { client } = await signedInCustomer(t);
    const token = client.cookies.get("honour_session")!;
    const sessionTable = t.gateway.dataSource.entityMetadatas.find((m) => /session/i.test(m.tableName))!;
    const rows: Record<string, unknown>[] = await t.gateway.dataSource.query(
      `SELECT * FROM ${t.gateway.dataSource.driver.escape(sessionTable.tableName)}`,
    );
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(token);
    expect(stored).toContain(sha256(token));
  });

  it("rejects a second registration of an email, whatever its case, with CONFLICT", async () => {
    const input = newRegistration();
    await t.client().ok(REGISTER, { input });
    const again = await t.client().query(REGISTER, { input: { ...input, email: input.email.toUpperCase() } });
    expect(again.errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });

  it("rejects a weak password with BAD_USER_INPUT naming the field", async () => {
    const result = await t.client().query(REGISTER, { input: newRegistration({ password: "short" }) });
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const fields = result.errors?.[0]?.extensions?.fields as { field: string }[];
    expect(fields.map((f) => f.field)).toEqual(expect.arrayContaining([expect.stringMatching(/password$/)]));
    expect(result.errors?.[0]?.extensions).not.toHaveProperty("stacktrace");
  });

  it("answers an unknown email and a wrong password identically", async () => {
    const { input } = await signedInCustomer(t);
    const unknown = await t
      .client()
      .query(LOGIN, { input: { email: "nobody@example.test", password: "whatever-long-1" } });
    const wrong = await t.client().query(LOGIN, { input: { email: input.email, password: "wrong-password-1" } });
    expect(unknown.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(wrong.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
  });

  it("throttles sign-in after five failures for one email, even with the right password", async () => {
    const { input } = await signedInCustomer(t);
    for (let i = 0; i < 5; i++) {
      const failed = await t.client().query(LOGIN, { input: { email: input.email, password: `wrong-password-${i}` } });
      expect(failed.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
    const blocked = await t.client().query(LOGIN, { input: { email: input.email, password: input.password } });
    expect(blocked.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
  });

  it("hides premium bodies from anonymous viewers but not from signed-in users", async () => {
    const admin = await signedInAdmin(t);
    const slug = `premium-${Date.now()}`;
    await admin.ok(`mutation ($input: CreateArticleInput!) { createArticle(input: $input) { id } }`, {
      input: { slug, title: "Premium", summary: "For members", body: "The secret sauce", premium: true },
    });
    const query = `query ($slug: String!) { article(slug: $slug) { slug premium locked body } }`;
    const anonymous = await t.client().ok<{ article: { locked: boolean; body: string | null } }>(query, { slug });
    expect(anonymous.article).toMatchObject({ locked: true, body: null });
    const list = await t
      .client()
      .ok<{ articles: { nodes: { slug: string; body: string | null }[] } }>(
        `{ articles(first: 100) { nodes { slug body } } }`,
      );
    expect(list.articles.nodes.find((a) => a.slug === slug)?.body).toBeNull();

    const { client } = await signedInCustomer(t);
    const member = await client.ok<{ article: { locked: boolean; body: string | null } }>(query, { slug });
    expect(member.article).toMatchObject({ locked: false, body: "The secret sauce" });
  });

  it("refuses staff operations to customers (FORBIDDEN) and to anonymous callers (UNAUTHENTICATED)", async () => {
    const { client, userId } = await signedInCustomer(t);
    const users = `{ users(first: 10) { nodes { id email } } }`;
    expect((await client.query(users)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await t.client().query(users)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const promote = `mutation ($id: ID!) { setUserRole(userId: $id, role: ADMIN) { role } }`;
    const attempt = await client.query(promote, { id: userId });
    expect(attempt.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(attempt.data).toBeNull();
    const create = `mutation { createArticle(input: { slug: "x-${Date.now()}", title: "t", summary: "s", body: "b", premium: false }) { id } }`;
    expect((await client.query(create)).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    const admin = await signedInAdmin(t);
    const listed = await admin.ok<{ users: { nodes: { email: string }[] } }>(
      `query ($s: String) { users(first: 100, search: $s) { nodes { email } } }`,
      { s: ADMIN.email },
    );
    expect(listed.users.nodes.map((u) => u.email)).toContain(ADMIN.email);
  });
});
