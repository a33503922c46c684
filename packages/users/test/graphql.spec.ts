import { ANONYMOUS, AuditAction, AuditEntryEntity, ErrorCode, Role, type Actor } from "@honour/platform";
import { buildGraphQLHarness, testDatabaseKinds, type GraphQLHarness } from "@honour/testing";
import { printSchema, type GraphQLSchema } from "graphql";
import { SESSION_COOKIE } from "../src";
import { createUsersResolvers } from "../src/graphql";
import { openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

describe.each(testDatabaseKinds())("GraphQL API on %s", (kind) => {
  let bed: UsersTestBed;
  let schema: GraphQLSchema;
  let call: GraphQLHarness["call"];
  let signature: GraphQLHarness["signature"];

  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
    ({ schema, call, signature } = await buildGraphQLHarness({
      resolvers: createUsersResolvers(bed.services),
      ctx: (actor) => bed.ctx(actor),
      validate: true,
    }));
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  async function actorWithRole(role: Role): Promise<Actor> {
    const { user, token } = await bed.signUp();
    if (role !== Role.CUSTOMER) await bed.services.users.setRole(bed.ctx(), user.id, role);
    return bed.services.sessions.resolveActor(bed.ctx(), token);
  }

  const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { user { id email name organisation organisationUrl jobTitle referralSource role createdAt } } }`;

  it("declares the operations and types the front ends code against", () => {
    expect(
      Object.fromEntries(
        Object.keys(schema.getQueryType()!.getFields())
          .sort()
          .map((name) => [name, signature("Query", name)]),
      ),
    ).toEqual({
      article: "article(slug: String!): Article",
      articles: "articles(first: Int, after: String): ArticleConnection!",
      me: "me: User",
      myPasskeys: "myPasskeys: [Passkey!]!",
      mySessions: "mySessions: [Session!]!",
      user: "user(id: ID!): User!",
      users: "users(first: Int, after: String, search: String): UserConnection!",
    });
    expect(
      Object.fromEntries(
        Object.keys(schema.getMutationType()!.getFields())
          .sort()
          .map((name) => [name, signature("Mutation", name)]),
      ),
    ).toEqual({
      changePassword: "changePassword(input: ChangePasswordInput!): Boolean!",
      completeLogin: "completeLogin(input: CompleteLoginInput!): AuthPayload!",
      confirmEmailChange: "confirmEmailChange(token: String!): User!",
      confirmTotpEnrolment: "confirmTotpEnrolment(code: String!): [String!]!",
      createArticle: "createArticle(input: CreateArticleInput!): Article!",
      disableTotp: "disableTotp(input: DisableTotpInput!): Boolean!",
      finishPasskeyLogin: "finishPasskeyLogin(input: FinishPasskeyLoginInput!): AuthPayload!",
      finishPasskeyRegistration: "finishPasskeyRegistration(input: FinishPasskeyRegistrationInput!): Passkey!",
      login: "login(input: LoginInput!): AuthPayload!",
      logout: "logout: Boolean!",
      register: "register(input: RegisterInput!): AuthPayload!",
      removePasskey: "removePasskey(id: ID!): Boolean!",
      requestEmailChange: "requestEmailChange(input: EmailChangeInput!): Boolean!",
      requestPasswordReset: "requestPasswordReset(email: String!): Boolean!",
      resendEmailVerification: "resendEmailVerification: Boolean!",
      resetPassword: "resetPassword(input: ResetPasswordInput!): AuthPayload!",
      revokeOtherSessions: "revokeOtherSessions: Int!",
      revokeSession: "revokeSession(id: ID!): Boolean!",
      setUserRole: "setUserRole(userId: ID!, role: Role!): User!",
      startPasskeyLogin: "startPasskeyLogin: JSONObject!",
      startPasskeyRegistration: "startPasskeyRegistration: JSONObject!",
      startTotpEnrolment: "startTotpEnrolment: TotpEnrolment!",
      updateArticle: "updateArticle(id: ID!, input: UpdateArticleInput!): Article!",
      updateProfile: "updateProfile(input: UpdateProfileInput!): User!",
      updateUser: "updateUser(id: ID!, input: UpdateUserInput!): User!",
      verifyEmail: "verifyEmail(token: String!): User!",
    });
    const sdl = printSchema(schema);
    expect(sdl).toMatch(/enum Role \{\s+CUSTOMER\s+SUPPORT\s+MARKETING\s+SECURITY\s+ADMIN\s+\}/);
    expect(sdl).toMatch(/type User \{[^}]*createdAt: DateTime!/);
    expect(sdl).toMatch(/type User \{[^}]*totpEnabled: Boolean!/);
    expect(sdl).toMatch(
      /type TotpEnrolment \{\s+"""[^"]*"""\s+secret: String!\s+"""[^"]*"""\s+otpauthUri: String!\s+"""[^"]*"""\s+qrCodeSvg: String!/,
    );
    expect(sdl).toMatch(/type Article \{[^}]*locked: Boolean![^}]*body: String\n/);
    expect(sdl).toMatch(
      /type Session \{[^}]*id: ID![^}]*createdAt: DateTime![^}]*lastSeenAt: DateTime![^}]*browser: String[^}]*os: String[^}]*current: Boolean!/,
    );
    expect(sdl).not.toMatch(/passwordHash|closedAt|tokenHash|userAgent/);
  });

  it("registers, sets the session cookie and answers me for that session", async () => {
    const registered = await call(REGISTER, {
      input: { email: "Ada@Example.com", password: PASSWORD, name: "Ada", referralSource: "A friend" },
    });

    expect(registered.codes).toEqual([]);
    expect(registered.data?.register).toEqual({
      user: {
        id: expect.any(String),
        email: "ada@example.com",
        name: "Ada",
        organisation: null,
        organisationUrl: null,
        jobTitle: null,
        referralSource: "A friend",
        role: "CUSTOMER",
        createdAt: bed.clock.now().toISOString(),
      },
    });
    const [[name, token, options]] = registered.cookies.set as [[string, string, { expires: Date }]];
    expect(name).toBe(SESSION_COOKIE);
    expect(options.expires.getTime()).toBe(bed.clock.now().getTime() + 30 * 24 * 3600 * 1000);

    const actor = await bed.services.sessions.resolveActor(bed.ctx(), token);
    const me = await call(`{ me { email role } }`, {}, actor);
    expect(me.data?.me).toEqual({ email: "ada@example.com", role: "CUSTOMER" });
  });

  it("takes the registration form's ticked communications and the profile's contact details", async () => {
    const registered = await call(REGISTER, {
      input: {
        email: "ada@example.com",
        password: PASSWORD,
        name: "Ada",
        communications: [{ topic: "NEWSLETTER", channel: "EMAIL" }],
      },
    });
    expect(registered.codes).toEqual([]);
    const actor = await bed.services.sessions.resolveActor(bed.ctx(), registered.cookies.set[0]![1]);

    const updated = await call(
      `mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { phone fax address { line1 line2 city postcode country } } }`,
      {
        input: {
          phone: "+44 20 7946 0000",
          address: { line1: "1 High Street", city: "London", postcode: "SW1A 1AA", country: "GB" },
        },
      },
      actor,
    );

    expect(updated.data).toEqual({
      updateProfile: {
        phone: "+442079460000",
        fax: null,
        address: { line1: "1 High Street", line2: null, city: "London", postcode: "SW1A 1AA", country: "GB" },
      },
    });
    const badTopic = await call(REGISTER, {
      input: {
        email: "b@example.com",
        password: PASSWORD,
        name: "B",
        communications: [{ topic: "SPAM", channel: "EMAIL" }],
      },
    });
    // Refused while coercing the variables, before any resolver ran (Apollo reports BAD_USER_INPUT).
    expect(badTopic.data).toBeNull();
    expect(badTopic.errors).toHaveLength(1);
    expect(badTopic.cookies.set).toEqual([]);
    const badAddress = await call(
      `mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`,
      { input: { address: { line1: "1 High Street", city: "London", postcode: "SW1A 1AA", country: "Britain" } } },
      actor,
    );
    expect(badAddress.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
  });

  it("answers me with null when not signed in", async () => {
    expect((await call(`{ me { id } }`)).data).toEqual({ me: null });
  });

  it("validates inputs before the service: a short password is BAD_USER_INPUT", async () => {
    const result = await call(REGISTER, { input: { email: "ada@example.com", password: "short", name: "Ada" } });

    expect(result.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
    expect(result.cookies.set).toEqual([]);
  });

  it("validates nested inputs of args classes too: an invalid slug in updateArticle", async () => {
    const result = await call(
      `mutation ($id: ID!, $input: UpdateArticleInput!) { updateArticle(id: $id, input: $input) { id } }`,
      { id: "00000000-0000-7000-8000-000000000000", input: { slug: "Not A Slug" } },
      await actorWithRole(Role.MARKETING),
    );

    expect(result.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
    // Refused by type-graphql's validation, before the service looked for the article.
    expect(result.errors[0]?.extensions?.validationErrors).toBeDefined();
  });

  it("logs in with a cookie, and refuses a wrong password with UNAUTHENTICATED and no cookie", async () => {
    await bed.signUp({ email: "ada@example.com" });
    const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { user { email } } }`;

    const wrong = await call(LOGIN, { input: { email: "ada@example.com", password: "not the password" } });
    const right = await call(LOGIN, { input: { email: "ada@example.com", password: PASSWORD } });

    expect(wrong.codes).toEqual([ErrorCode.UNAUTHENTICATED]);
    expect(wrong.cookies.set).toEqual([]);
    expect(right.data).toEqual({ login: { user: { email: "ada@example.com" } } });
    expect(right.cookies.set.map(([n]) => n)).toEqual([SESSION_COOKIE]);
  });

  it("counts failed logins although the resolver fails, so the sixth is RATE_LIMITED", async () => {
    await bed.signUp({ email: "ada@example.com" });
    const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { user { email } } }`;
    for (let i = 0; i < 5; i++)
      await call(LOGIN, { input: { email: "ada@example.com", password: "not the password" } });

    const result = await call(LOGIN, { input: { email: "ada@example.com", password: PASSWORD } });

    expect(result.codes).toEqual([ErrorCode.RATE_LIMITED]);
  });

  it("logs out: ends the session and clears the cookie", async () => {
    const { token } = await bed.signUp();
    const actor = await bed.services.sessions.resolveActor(bed.ctx(), token);

    const result = await call(`mutation { logout }`, {}, actor);

    expect(result.data).toEqual({ logout: true });
    expect(result.cookies.cleared).toEqual([SESSION_COOKIE]);
    expect(await bed.services.sessions.resolveActor(bed.ctx(), token)).toEqual(ANONYMOUS);
  });

  it("hides a premium body from anonymous readers and shows it to signed-in ones", async () => {
    await bed.services.articles.create(bed.ctx(), {
      slug: "deep-dive",
      title: "Deep dive",
      summary: "Teaser",
      body: "Secret",
      premium: true,
    });
    const QUERY = `{ article(slug: "deep-dive") { slug summary premium locked body } articles { nodes { locked body } edges { cursor } pageInfo { hasNextPage endCursor } } }`;

    const anonymous = await call(QUERY);
    const customer = await call(QUERY, {}, await actorWithRole(Role.CUSTOMER));

    expect(anonymous.data?.article).toEqual({
      slug: "deep-dive",
      summary: "Teaser",
      premium: true,
      locked: true,
      body: null,
    });
    expect(anonymous.data?.articles).toMatchObject({
      nodes: [{ locked: true, body: null }],
      pageInfo: { hasNextPage: false },
    });
    expect(customer.data?.article).toMatchObject({ locked: false, body: "Secret" });
  });

  describe("authorisation", () => {
    const someId = "00000000-0000-7000-8000-000000000000";
    const protectedOperations: [string, string, Record<string, unknown>][] = [
      [
        "updateProfile",
        `mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`,
        { input: { name: "X" } },
      ],
      [
        "changePassword",
        `mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }`,
        { input: { currentPassword: PASSWORD, newPassword: "a brand new passphrase" } },
      ],
      ["startTotpEnrolment", `mutation { startTotpEnrolment { secret } }`, {}],
      ["startPasskeyRegistration", `mutation { startPasskeyRegistration }`, {}],
      ["myPasskeys", `{ myPasskeys { id } }`, {}],
      ["removePasskey", `mutation ($id: ID!) { removePasskey(id: $id) }`, { id: someId }],
      ["confirmTotpEnrolment", `mutation { confirmTotpEnrolment(code: "123456") }`, {}],
      ["disableTotp", `mutation { disableTotp(input: { currentPassword: "x", code: "123456" }) }`, {}],
      ["users", `{ users { nodes { id } } }`, {}],
      ["user", `query ($id: ID!) { user(id: $id) { id } }`, { id: someId }],
      [
        "updateUser",
        `mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }`,
        { id: someId, input: { name: "X" } },
      ],
      ["setUserRole", `mutation ($id: ID!) { setUserRole(userId: $id, role: ADMIN) { id } }`, { id: someId }],
      [
        "createArticle",
        `mutation ($input: CreateArticleInput!) { createArticle(input: $input) { id } }`,
        { input: { slug: "x", title: "X", summary: "X", body: "X" } },
      ],
      [
        "updateArticle",
        `mutation ($id: ID!, $input: UpdateArticleInput!) { updateArticle(id: $id, input: $input) { id } }`,
        { id: someId, input: { title: "X" } },
      ],
    ];

    it.each(protectedOperations)(
      "refuses %s to an anonymous caller with UNAUTHENTICATED",
      async (_name, source, variables) => {
        expect((await call(source, variables)).codes).toEqual([ErrorCode.UNAUTHENTICATED]);
      },
    );

    it.each([
      ["users", Role.CUSTOMER, ErrorCode.FORBIDDEN],
      ["users", Role.MARKETING, ErrorCode.FORBIDDEN],
      ["users", Role.SUPPORT, undefined],
      ["users", Role.ADMIN, undefined],
      ["user", Role.CUSTOMER, ErrorCode.FORBIDDEN],
      ["user", Role.MARKETING, ErrorCode.FORBIDDEN],
      ["user", Role.SECURITY, ErrorCode.FORBIDDEN],
      ["user", Role.SUPPORT, ErrorCode.NOT_FOUND],
      ["user", Role.ADMIN, ErrorCode.NOT_FOUND],
      ["updateUser", Role.CUSTOMER, ErrorCode.FORBIDDEN],
      ["updateUser", Role.MARKETING, ErrorCode.FORBIDDEN],
      ["updateUser", Role.SECURITY, ErrorCode.FORBIDDEN],
      ["updateUser", Role.SUPPORT, ErrorCode.NOT_FOUND],
      ["updateUser", Role.ADMIN, ErrorCode.NOT_FOUND],
      ["setUserRole", Role.SUPPORT, ErrorCode.FORBIDDEN],
      ["setUserRole", Role.ADMIN, ErrorCode.NOT_FOUND],
      ["createArticle", Role.CUSTOMER, ErrorCode.FORBIDDEN],
      ["createArticle", Role.SECURITY, ErrorCode.FORBIDDEN],
      ["createArticle", Role.MARKETING, undefined],
      ["createArticle", Role.ADMIN, undefined],
      ["updateArticle", Role.SUPPORT, ErrorCode.FORBIDDEN],
      ["updateArticle", Role.MARKETING, ErrorCode.NOT_FOUND],
    ])("answers %s for a %s with %s", async (name, role, code) => {
      const [, source, variables] = protectedOperations.find(([n]) => n === name)!;

      const result = await call(source, variables, await actorWithRole(role));

      expect(result.codes).toEqual(code ? [code] : []);
    });

    it("lets support search accounts", async () => {
      await bed.signUp({ email: "grace@navy.example", name: "Grace Hopper" });
      await bed.signUp({ email: "alan@bletchley.example", name: "Alan Turing" });

      const result = await call(
        `query ($search: String) { users(first: 10, search: $search) { nodes { email } pageInfo { hasNextPage } } }`,
        { search: "HOPPER" },
        await actorWithRole(Role.SUPPORT),
      );

      expect(result.data).toEqual({
        users: { nodes: [{ email: "grace@navy.example" }], pageInfo: { hasNextPage: false } },
      });
    });

    it("lets support correct an account and read it, each recorded in the audit log; me is not", async () => {
      const { user, token } = await bed.signUp({ email: "ada@example.com", name: "Ada Byron" });
      const support = await actorWithRole(Role.SUPPORT);
      const customer = await bed.services.sessions.resolveActor(bed.ctx(), token);

      const corrected = await call(
        `mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id name phone } }`,
        { id: user.id, input: { name: "Ada Lovelace", phone: "+44 20 7946 0000" } },
        support,
      );
      bed.clock.advance(1);
      const read = await call(`query ($id: ID!) { user(id: $id) { name } }`, { id: user.id }, support);
      bed.clock.advance(1);
      const me = await call(`{ me { name } }`, {}, customer);

      expect(corrected.data).toEqual({ updateUser: { id: user.id, name: "Ada Lovelace", phone: "+442079460000" } });
      expect(read.data).toEqual({ user: { name: "Ada Lovelace" } });
      expect(me.data).toEqual({ me: { name: "Ada Lovelace" } });
      const entries = await bed
        .ctx()
        .manager.find(AuditEntryEntity, { where: { subjectId: user.id }, order: { id: "ASC" } });
      expect(entries.map((e) => [e.action, e.subjectId, e.detail])).toEqual([
        [AuditAction.PERSON_CORRECTED, user.id, "name,phone"],
        [AuditAction.PERSON_VIEWED, user.id, null],
      ]);
    });

    it("validates a staff correction like a profile update: an invalid email is BAD_USER_INPUT", async () => {
      const { user } = await bed.signUp();

      const result = await call(
        `mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }`,
        {
          id: user.id,
          input: { email: "not an email", address: { line1: "1 Road", city: "Bath", postcode: "BA1", country: "XX" } },
        },
        await actorWithRole(Role.SUPPORT),
      );

      expect(result.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
    });

    it("lets an admin give another account a role", async () => {
      const { user } = await bed.signUp();

      const result = await call(
        `mutation ($id: ID!) { setUserRole(userId: $id, role: SECURITY) { id role } }`,
        { id: user.id },
        await actorWithRole(Role.ADMIN),
      );

      expect(result.data).toEqual({ setUserRole: { id: user.id, role: "SECURITY" } });
    });
  });
});
