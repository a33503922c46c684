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

  describe("BAD_USER_INPUT lists every invalid field in one answer", () => {
    const UPDATE_PROFILE = `mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { email phone } }`;
    const UPDATE_USER = `mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }`;
    const CHANGE_PASSWORD = `mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }`;

    /** The code of the one error, and its fields' paths in order. */
    function invalidFields(result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) {
      expect(result.errors).toHaveLength(1);
      const extensions = result.errors![0]!.extensions!;
      const fields = (extensions.fields ?? []) as { field: string; message: string }[];
      for (const f of fields) expect(f.message).toEqual(expect.any(String));
      return { code: extensions.code, fields: fields.map((f) => f.field).sort() };
    }

    // Rules the GraphQL layer used to check (email, name, organisationUrl, address.country) and
    // rules only the service checks (phone, fax, a blank address line), in one request.
    const badDetails = {
      email: "not an address",
      name: "   ",
      organisationUrl: "ftp://example.test",
      phone: "12",
      fax: "020 7946 0000",
      address: { line1: "  ", city: "London", postcode: "N1 9GU", country: "XX" },
    };
    const badDetailPaths = [
      "input.address.country",
      "input.address.line1",
      "input.email",
      "input.fax",
      "input.name",
      "input.organisationUrl",
      "input.phone",
    ];

    it("updateProfile: every field at once, and nothing changes", async () => {
      const { client, input } = await signedInCustomer(t);
      const result = await client.query(UPDATE_PROFILE, { input: { ...badDetails, keepOrderHistory: null } });
      expect(invalidFields(result)).toEqual({
        code: "BAD_USER_INPUT",
        fields: [...badDetailPaths, "input.keepOrderHistory"].sort(),
      });
      const me = await client.ok<{ me: { email: string; name: string } }>(ME);
      expect(me.me).toMatchObject({ email: input.email, name: input.name });
    });

    it("updateProfile: format errors come first, then a new email is refused: requestEmailChange confirms it", async () => {
      const other = await signedInCustomer(t);
      const { client, input } = await signedInCustomer(t);
      const change = { email: other.input.email, currentPassword: input.password };
      const first = await client.query(UPDATE_PROFILE, { input: { ...change, phone: "12" } });
      expect(invalidFields(first)).toEqual({ code: "BAD_USER_INPUT", fields: ["input.phone"] });
      const second = await client.query(UPDATE_PROFILE, { input: { ...change, phone: "+44 20 7946 0000" } });
      expect(invalidFields(second)).toEqual({ code: "BAD_USER_INPUT", fields: ["input.email"] });
      expect(second.errors?.[0]?.extensions?.reason).toBe("EMAIL_CHANGE_NEEDS_CONFIRMATION");
      const ok = await client.ok<{ updateProfile: { email: string; phone: string } }>(UPDATE_PROFILE, {
        input: { email: input.email.toUpperCase(), phone: "+44 20 7946 0000" },
      });
      expect(ok.updateProfile).toEqual({ email: input.email, phone: "+442079460000" });
    });

    it("updateUser: every field at once, before the account is looked up", async () => {
      const admin = await signedInAdmin(t);
      const { userId } = await signedInCustomer(t);
      const result = await admin.query(UPDATE_USER, { id: userId, input: badDetails });
      expect(invalidFields(result)).toEqual({ code: "BAD_USER_INPUT", fields: badDetailPaths });
      const unknown = await admin.query(UPDATE_USER, { id: "00000000-0000-0000-0000-000000000000", input: badDetails });
      expect(invalidFields(unknown)).toEqual({ code: "BAD_USER_INPUT", fields: badDetailPaths });
      const taken = await admin.query(UPDATE_USER, { id: userId, input: { email: ADMIN.email, phone: "12" } });
      expect(invalidFields(taken)).toEqual({ code: "BAD_USER_INPUT", fields: ["input.phone"] });
      expect(invalidFields(await admin.query(UPDATE_USER, { id: userId, input: { email: ADMIN.email } }))).toEqual({
        code: "CONFLICT",
        fields: ["input.email"],
      });
    });

    it("register: every field at once, before a taken email", async () => {
      const taken = await signedInCustomer(t);
      const result = await t.client().query(REGISTER, {
        input: newRegistration({ email: "nobody", password: "short", name: "", organisationUrl: "example" }),
      });
      expect(invalidFields(result)).toEqual({
        code: "BAD_USER_INPUT",
        fields: ["input.email", "input.name", "input.organisationUrl", "input.password"],
      });
      const weakAndTaken = await t.client().query(REGISTER, {
        input: newRegistration({ email: taken.input.email, password: "short" }),
      });
      expect(invalidFields(weakAndTaken)).toEqual({ code: "BAD_USER_INPUT", fields: ["input.password"] });
    });

    it("changePassword: both fields at once", async () => {
      const { client } = await signedInCustomer(t);
      const result = await client.query(CHANGE_PASSWORD, { input: { currentPassword: "", newPassword: "short" } });
      expect(invalidFields(result)).toEqual({
        code: "BAD_USER_INPUT",
        fields: ["input.currentPassword", "input.newPassword"],
      });
    });
  });

  it("trims an email given with spaces around it, as User.email says, in register, login, updateProfile, requestEmailChange and updateUser", async () => {
    const stored = newRegistration().email;
    const client = t.client();
    const registered = await client.query<{ register: { user: { email: string } } }>(REGISTER, {
      input: newRegistration({ email: `  ${stored.toUpperCase()}\t ` }),
    });
    expect(registered.errors).toBeUndefined();
    expect(registered.data?.register.user.email).toBe(stored);

    const login = await t.client().query<{ login: { user: { email: string } } }>(LOGIN, {
      input: { email: ` ${stored} `, password: "correct horse battery" },
    });
    expect(login.errors).toBeUndefined();
    expect(login.data?.login.user.email).toBe(stored);

    // The address the account has, with spaces and in capitals, is no change.
    const updated = await client.query<{ updateProfile: { email: string } }>(
      `mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { email } }`,
      { input: { email: `  ${stored.toUpperCase()} ` } },
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data?.updateProfile.email).toBe(stored);
    const renamed = `renamed.${stored}`;
    const requested = await client.query(`mutation ($input: EmailChangeInput!) { requestEmailChange(input: $input) }`, {
      input: { newEmail: `  ${renamed.toUpperCase()} `, currentPassword: "correct horse battery" },
    });
    expect(requested.errors).toBeUndefined();
    const changes: { newEmail: string }[] = await t.gateway.dataSource.query("SELECT newEmail FROM email_change");
    expect(changes.map((c) => c.newEmail)).toContain(renamed);

    const admin = await signedInAdmin(t);
    const { userId } = await signedInCustomer(t);
    const corrected = `corrected.${stored}`;
    const byStaff = await admin.query<{ updateUser: { email: string } }>(
      `mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { email } }`,
      { id: userId, input: { email: ` ${corrected.toUpperCase()} ` } },
    );
    expect(byStaff.errors).toBeUndefined();
    expect(byStaff.data?.updateUser.email).toBe(corrected);

    // Spaces inside are still no address; an empty password is refused before any attempt counts.
    const malformed = await t.client().query(LOGIN, { input: { email: "a b@example.test", password: "" } });
    expect(malformed.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      fields: [
        { field: "input.email", message: expect.any(String) },
        { field: "input.password", message: expect.any(String) },
      ],
    });
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
