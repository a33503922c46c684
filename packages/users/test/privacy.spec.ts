import {
  AuditAction,
  AuditEntryEntity,
  createPlatform,
  ErrorCode,
  Role,
  SecurityEventKind,
  type PersonalDataSubject,
} from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { createUsersServices, SessionEntity, UserEntity, usersModule, UsersErrorCode } from "../src";
import { UNUSABLE_PASSWORD_HASH } from "../src/password/password.service";
import { SignInFailureEntity } from "../src/sign-in/sign-in-failure.entity";
import { ACCOUNT_PERSONAL_DATA } from "../src/privacy/account-personal-data.service";
import { failure, openUsersTestBed, PASSWORD, START, type UsersTestBed } from "./users-test-bed";

/** A person who filled in every field the profile has. */
const ADA = {
  email: "ada@analytical.example",
  name: "Ada Lovelace",
  organisation: "Analytical Engines Ltd",
  organisationUrl: "https://analytical.example/engines",
  jobTitle: "Enchantress of Numbers",
  referralSource: "A lecture at the Royal Institution",
} as const;
const ADA_CONTACT = {
  phone: "+44 20 7946 0000",
  fax: "+44 20 7946 0001",
  address: { line1: "12 St James's Square", line2: "Flat 3", city: "Marylebone", postcode: "sw1y 4jh", country: "GB" },
} as const;
/** Every plain value of Ada's that must not survive her account's closure, as stored. */
const ADA_PLAIN = [
  ADA.email,
  ADA.name,
  ADA.organisation,
  ADA.organisationUrl,
  ADA.jobTitle,
  ADA.referralSource,
  "+442079460000",
  "+442079460001",
  ADA_CONTACT.address.line1,
  ADA_CONTACT.address.line2,
  ADA_CONTACT.address.city,
  "SW1Y 4JH",
];

describe.each(testDatabaseKinds())("personal data of accounts on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  /** Ada, with every profile field filled in, two sessions and a mistyped password on record. */
  async function ada() {
    const signedUp = await bed.signUp(ADA);
    bed.clock.advance(60_000);
    await bed.services.users.updateProfile(signedUp.ctx, ADA_CONTACT);
    bed.clock.advance(60_000);
    const second = await bed.services.users.signIn(bed.ctx(), ADA.email, PASSWORD);
    bed.clock.advance(60_000);
    await failure(bed.services.users.signIn(bed.ctx(), ADA.email, "not the password"));
    return { ...signedUp, secondToken: second.session.token };
  }

  async function staff(role: Role) {
    const member = await bed.signUp();
    await bed.ctx().manager.update(UserEntity, { id: member.user.id }, { role });
    return { ...member, ctx: await bed.as(member.token) };
  }

  const subjectOf = (userId: string) => bed.services.users.personalDataSubject(bed.ctx(), userId);
  const auditEntries = () => bed.ctx().manager.find(AuditEntryEntity, { order: { id: "ASC" } });

  /** Every text value in every row of every users table, with the table and column it is in. */
  async function textInUsersTables(): Promise<{ where: string; value: string }[]> {
    const found: { where: string; value: string }[] = [];
    for (const entity of usersModule.entities) {
      const metadata = bed.db.dataSource.getMetadata(entity);
      const table = bed.db.dataSource.driver.escape(metadata.tableName);
      const rows: Record<string, unknown>[] = await bed.ctx().manager.query(`SELECT * FROM ${table}`);
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          if (typeof value === "string") found.push({ where: `${metadata.tableName}.${column}`, value });
        }
      }
    }
    return found;
  }

  /** The plain values of `needles` found anywhere in the users tables (case ignored). */
  async function leftovers(needles: readonly string[]): Promise<string[]> {
    const text = await textInUsersTables();
    return needles.flatMap((needle) =>
      text
        .filter(({ value }) => value.toLowerCase().includes(needle.toLowerCase()))
        .map(({ where }) => `${needle} in ${where}`),
    );
  }

  describe("personalDataSubject", () => {
    it("names the account by id, email and phone as the profile holds them", async () => {
      const { user } = await ada();

      expect(await subjectOf(user.id)).toEqual({ userId: user.id, email: ADA.email, phone: "+442079460000" });
    });

    it("refuses an unknown id with NOT_FOUND", async () => {
      const error = await failure(subjectOf("00000000-0000-7000-8000-000000000000"));

      expect(error.code).toBe(ErrorCode.NOT_FOUND);
    });
  });

  describe("export", () => {
    it("registers the account section with the platform", () => {
      expect(bed.platform.personalData.names).toContain(ACCOUNT_PERSONAL_DATA);
      expect(ACCOUNT_PERSONAL_DATA).toBe("account");
    });

    it("contains the whole profile, the sessions and the sign-in attempts of the person, and nothing else", async () => {
      const other = await bed.signUp({ email: "charles@analytical.example", name: "Charles Babbage" });
      await failure(bed.services.users.signIn(bed.ctx(), "charles@analytical.example", "not the password"));
      bed.clock.set(START);
      const { user } = await ada();
      const created = new Date(START).getTime();
      const iso = (ms: number) => new Date(ms).toISOString();
      const ttl = 30 * 24 * 60 * 60 * 1000;

      const document = await bed.platform.personalData.exportAll(bed.ctx(), await subjectOf(user.id));

      expect(document.account).toEqual({
        profile: {
          id: user.id,
          email: ADA.email,
          name: ADA.name,
          organisation: ADA.organisation,
          organisationUrl: ADA.organisationUrl,
          jobTitle: ADA.jobTitle,
          referralSource: ADA.referralSource,
          phone: "+442079460000",
          fax: "+442079460001",
          address: {
            line1: "12 St James's Square",
            line2: "Flat 3",
            city: "Marylebone",
            postcode: "SW1Y 4JH",
            country: "GB",
          },
          role: Role.CUSTOMER,
          keepBillingDetails: true,
          keepOrderHistory: true,
          createdAt: iso(created),
          updatedAt: iso(created + 60_000),
          closedAt: null,
        },
        sessions: [
          { createdAt: iso(created), lastSeenAt: iso(created), browser: null, os: null, expiresAt: iso(created + ttl) },
          {
            createdAt: iso(created + 120_000),
            lastSeenAt: iso(created + 120_000),
            browser: null,
            os: null,
            expiresAt: iso(created + 120_000 + ttl),
          },
        ],
        signInFailures: { count: 1, lastAt: iso(created + 180_000) },
        twoFactor: { totpEnabled: false, enabledAt: null, recoveryCodesLeft: 0 },
        passkeys: [],
        passwordResetRequests: [],
      });
      const text = JSON.stringify(document);
      expect(text).not.toMatch(/charles|babbage/i);
      expect(text).not.toContain(other.user.id);
      const hashes = await bed.ctx().manager.find(SessionEntity, { select: { tokenHash: true } });
      for (const { tokenHash } of hashes) expect(text).not.toContain(tokenHash);
      expect(text).not.toMatch(/scrypt\$/);
      // Plain JSON: a copy through JSON.stringify is the same document.
      expect(JSON.parse(text)).toEqual(document);
    });
  });

  describe("close", () => {
    it("erases the person from every users table, ends their sessions and leaves others alone", async () => {
      const { user, token, secondToken } = await ada();
      const other = await bed.signUp({ email: "charles@analytical.example", name: "Charles Babbage" });
      expect(await leftovers(ADA_PLAIN)).not.toEqual([]); // the scan finds them while they are there
      bed.clock.advance(1000);

      const closed = await bed.services.users.close(bed.ctx(), user.id);

      expect(await leftovers(ADA_PLAIN)).toEqual([]);
      expect(closed).toMatchObject({
        id: user.id,
        email: `${user.id}@closed.invalid`,
        name: "",
        organisation: null,
        organisationUrl: null,
        jobTitle: null,
        referralSource: null,
        phone: null,
        fax: null,
        address: null,
        closedAt: bed.clock.now(),
      });
      expect(await bed.ctx().manager.countBy(SessionEntity, { userId: user.id })).toBe(0);
      expect((await bed.services.sessions.resolveActor(bed.ctx(), token)).kind).toBe("anonymous");
      expect((await bed.services.sessions.resolveActor(bed.ctx(), secondToken)).kind).toBe("anonymous");
      const hash = await bed
        .ctx()
        .manager.createQueryBuilder(UserEntity, "u")
        .addSelect("u.passwordHash")
        .where({ id: user.id })
        .getOneOrFail();
      expect(hash.passwordHash).toBe(UNUSABLE_PASSWORD_HASH);
      // The other account and its session are untouched.
      expect(await bed.ctx().manager.findOneByOrFail(UserEntity, { id: other.user.id })).toMatchObject({
        email: "charles@analytical.example",
        name: "Charles Babbage",
        closedAt: null,
      });
      expect((await bed.services.sessions.resolveActor(bed.ctx(), other.token)).kind).toBe("user");
    });

    it("forgets the sign-in failures on the email, and frees the email for a new registration", async () => {
      const { user } = await ada();
      expect(await bed.ctx().manager.count(SignInFailureEntity)).toBe(1);

      await bed.services.users.close(bed.ctx(), user.id);

      expect(await bed.ctx().manager.count(SignInFailureEntity)).toBe(0);
      const again = await bed.signUp({ email: ADA.email, name: "Another Ada" });
      expect(again.user.id).not.toBe(user.id);
      expect((await failure(bed.services.users.signIn(bed.ctx(), `${user.id}@closed.invalid`, PASSWORD))).code).toBe(
        ErrorCode.UNAUTHENTICATED,
      );
    });

    it("erases before it announces the closure, then records it in the audit log, once", async () => {
      const { user } = await ada();
      const admin = await staff(Role.ADMIN);
      const seen: { name: string; email: string; audited: number }[] = [];
      const unsubscribe = bed.platform.events.subscribe("users.accountClosed", async (tx, event) => {
        expect(tx.inTransaction).toBe(true);
        const row = await tx.manager.findOneByOrFail(UserEntity, { id: event.userId });
        seen.push({ name: row.name, email: row.email, audited: await tx.manager.count(AuditEntryEntity) });
      });
      try {
        await bed.services.users.close(admin.ctx, user.id);
        bed.clock.advance(1000);
        const again = await bed.services.users.close(admin.ctx, user.id);
        expect(again.closedAt?.getTime()).toBe(bed.clock.now().getTime() - 1000);
      } finally {
        unsubscribe();
      }

      expect(seen).toEqual([{ name: "", email: `${user.id}@closed.invalid`, audited: 0 }]);
      expect(await auditEntries()).toEqual([
        expect.objectContaining({ action: AuditAction.ACCOUNT_CLOSED, subjectId: user.id, actorId: admin.user.id }),
      ]);
    });

    it("refuses to close the last open administrator account, and closes it once there is another", async () => {
      const first = await staff(Role.ADMIN);
      const closedAt = async (id: string) => (await bed.ctx().manager.findOneByOrFail(UserEntity, { id })).closedAt;

      const refused = await failure(bed.services.users.close(first.ctx, first.user.id));
      expect(refused.code).toBe(ErrorCode.CONFLICT);
      expect(refused.message).toMatch(/last administrator/);
      expect(await closedAt(first.user.id)).toBeNull();
      expect((await bed.services.sessions.resolveActor(bed.ctx(), first.token)).kind).toBe("user");
      expect(await auditEntries()).toEqual([]);

      const second = await staff(Role.ADMIN);
      await bed.services.users.close(first.ctx, first.user.id);
      expect(await closedAt(first.user.id)).toEqual(bed.clock.now());
      // Now the second is the last one; a customer's closure is never held up by this.
      expect((await failure(bed.services.users.close(second.ctx, second.user.id))).code).toBe(ErrorCode.CONFLICT);
      const customer = await bed.signUp();
      await bed.services.users.close(customer.ctx, customer.user.id);
      expect(await closedAt(customer.user.id)).toEqual(bed.clock.now());
    });

    it("gives every contributor the subject as it was before anything was erased", async () => {
      const { user } = await ada();
      const platform = createPlatform(bed.platform.config, bed.db.dataSource, {
        clock: bed.clock,
        jobs: bed.platform.jobs,
        logger: bed.platform.logger,
      });
      const subjects: PersonalDataSubject[] = [];
      // Registered before users, so it erases after the account contributor has.
      platform.personalData.register({
        name: "recorder",
        export: async () => ({}),
        erase: async (_ctx, subject) => void subjects.push(subject),
      });
      const services = createUsersServices(platform, { passwordHashing: { N: 2 ** 10, r: 8, p: 1 } });

      await services.users.close(bed.ctx(), user.id);

      expect(subjects).toEqual([{ userId: user.id, email: ADA.email, phone: "+442079460000" }]);
    });

    it.each([
      ["a contributor that erases after the account", "before"],
      ["a contributor that erases before the account", "after"],
      ["a subscriber to users.accountClosed", "event"],
    ] as const)("rolls everything back when %s fails", async (_what, where) => {
      const { user, token } = await ada();
      const platform = createPlatform(bed.platform.config, bed.db.dataSource, {
        clock: bed.clock,
        jobs: bed.platform.jobs,
        logger: bed.platform.logger,
      });
      const failing = {
        name: "failing",
        export: async () => ({}),
        erase: async () => {
          throw new Error("the disk is full");
        },
      };
      if (where === "before") platform.personalData.register(failing);
      const services = createUsersServices(platform, { passwordHashing: { N: 2 ** 10, r: 8, p: 1 } });
      if (where === "after") platform.personalData.register(failing);
      if (where === "event") {
        platform.events.subscribe("users.accountClosed", async () => {
          throw new Error("the disk is full");
        });
      }
      const before = await textInUsersTables();

      await expect(services.users.close(bed.ctx(), user.id)).rejects.toThrow("the disk is full");

      expect(await textInUsersTables()).toEqual(before);
      expect(await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id })).toMatchObject({
        ...ADA,
        phone: "+442079460000",
        closedAt: null,
      });
      expect(await bed.ctx().manager.countBy(SessionEntity, { userId: user.id })).toBe(2);
      expect(await bed.ctx().manager.count(SignInFailureEntity)).toBe(1);
      expect((await bed.services.sessions.resolveActor(bed.ctx(), token)).kind).toBe("user");
      expect(await auditEntries()).toEqual([]);
    });

    it("refuses an unknown account with NOT_FOUND", async () => {
      const error = await failure(bed.services.users.close(bed.ctx(), "00000000-0000-7000-8000-000000000000"));

      expect(error.code).toBe(ErrorCode.NOT_FOUND);
    });
  });

  describe("verifyPassword", () => {
    it("accepts the right password and refuses a wrong one with UNAUTHENTICATED, naming only the password", async () => {
      const { user } = await bed.signUp({ email: "ada@example.com" });
      bed.securityEvents.length = 0;

      await expect(bed.services.users.verifyPassword(bed.ctx(), user.id, PASSWORD)).resolves.toBeUndefined();
      const wrong = await failure(bed.services.users.verifyPassword(bed.ctx(), user.id, "not the password"));

      expect(wrong.code).toBe(ErrorCode.UNAUTHENTICATED);
      expect(wrong.extra).toEqual({ reason: UsersErrorCode.WRONG_PASSWORD });
      // Closing an account asks for the password alone: no email was typed, so none is mentioned.
      expect(wrong.message).toBe("The password is not correct.");
      expect(bed.securityEvents[0]).toEqual({
        kind: SecurityEventKind.LOGIN_FAILED,
        userId: user.id,
        detail: "wrong password",
      });
      expect(JSON.stringify(bed.securityEvents)).not.toMatch(/ada@example|not the password/);
    });

    it("counts failures with the sign-ins of the email, and once throttled refuses even the right password", async () => {
      const { user } = await bed.signUp({ email: "ada@example.com" });
      bed.securityEvents.length = 0;
      for (let i = 0; i < 3; i++) await failure(bed.services.users.verifyPassword(bed.ctx(), user.id, `wrong-${i}`));
      for (let i = 0; i < 2; i++) await failure(bed.services.users.signIn(bed.ctx(), "ada@example.com", `wrong-${i}`));

      const throttled = await failure(bed.services.users.verifyPassword(bed.ctx(), user.id, PASSWORD));
      const signIn = await failure(bed.services.users.signIn(bed.ctx(), "ada@example.com", PASSWORD));

      expect(throttled.code).toBe(ErrorCode.RATE_LIMITED);
      expect(signIn.code).toBe(ErrorCode.RATE_LIMITED);
      expect(bed.securityEvents.filter((e) => e.userId === user.id).map((e) => e.kind)).toEqual([
        ...Array(3).fill(SecurityEventKind.LOGIN_FAILED),
        SecurityEventKind.RATE_LIMITED,
      ]);
      // Five failures: the next try waits 30 seconds.
      bed.clock.advance(30 * 1000);
      await expect(bed.services.users.verifyPassword(bed.ctx(), user.id, PASSWORD)).resolves.toBeUndefined();
    });

    it("refuses a closed account, an unknown id, and a call inside a transaction", async () => {
      const { user } = await bed.signUp();
      const other = await bed.signUp();
      await bed.services.users.close(bed.ctx(), user.id);

      expect((await failure(bed.services.users.verifyPassword(bed.ctx(), user.id, PASSWORD))).code).toBe(
        ErrorCode.UNAUTHENTICATED,
      );
      expect(
        (await failure(bed.services.users.verifyPassword(bed.ctx(), "00000000-0000-7000-8000-000000000000", PASSWORD)))
          .code,
      ).toBe(ErrorCode.NOT_FOUND);
      const inside = await failure(
        bed.ctx().transaction((tx) => bed.services.users.verifyPassword(tx, other.user.id, PASSWORD)),
      );
      expect(inside.code).toBeUndefined();
      expect(inside.message).toMatch(/outside a transaction/);
    });
  });

  describe("audit log", () => {
    it("records one PERSON_VIEWED per account a staff member lists, but theirs, with one statement", async () => {
      const people = [await bed.signUp(), await bed.signUp(), await bed.signUp()];
      const support = await staff(Role.SUPPORT);
      const logQuery = jest.spyOn(bed.db.dataSource.logger, "logQuery");

      const page = await bed.services.users.list(support.ctx, { first: 10 });

      const inserts = logQuery.mock.calls.filter(([sql]) => /insert into\s+\W?audit_entry/i.test(String(sql)));
      logQuery.mockRestore();
      expect(page.nodes).toHaveLength(4);
      expect(inserts).toHaveLength(1);
      const entries = await auditEntries();
      expect(entries.map((e) => e.subjectId).sort()).toEqual(people.map((p) => p.user.id).sort());
      for (const entry of entries) {
        expect(entry).toMatchObject({
          actorId: support.user.id,
          actorKind: "user",
          action: AuditAction.PERSON_VIEWED,
          detail: null,
          at: bed.clock.now(),
        });
      }
    });

    it("records nothing for an empty page", async () => {
      const support = await staff(Role.SUPPORT);

      await bed.services.users.list(support.ctx, { search: "nobody" });

      expect(await auditEntries()).toEqual([]);
    });

    it("records a staff read of one account, not a person reading their own", async () => {
      const { user, ctx } = await bed.signUp();
      const support = await staff(Role.SUPPORT);

      await bed.services.users.viewAsStaff(support.ctx, user.id);
      await bed.services.users.current(ctx);
      await bed.services.users.viewAsStaff(support.ctx, support.user.id);

      expect(await auditEntries()).toEqual([
        expect.objectContaining({ actorId: support.user.id, action: AuditAction.PERSON_VIEWED, subjectId: user.id }),
      ]);
      expect(
        (await failure(bed.services.users.viewAsStaff(support.ctx, "00000000-0000-7000-8000-000000000000"))).code,
      ).toBe(ErrorCode.NOT_FOUND);
    });

    it("records ROLE_CHANGED with the new role, in the role change's transaction", async () => {
      const { user } = await bed.signUp();
      const admin = await staff(Role.ADMIN);

      await bed.services.users.setRole(admin.ctx, user.id, Role.MARKETING);
      await bed.services.users.setRole(admin.ctx, user.id, Role.MARKETING); // no change, no entry

      expect(await auditEntries()).toEqual([
        expect.objectContaining({
          actorId: admin.user.id,
          action: AuditAction.ROLE_CHANGED,
          subjectId: user.id,
          detail: "MARKETING",
        }),
      ]);
      expect(bed.securityEvents.at(-1)).toMatchObject({ kind: SecurityEventKind.STAFF_ACTION, userId: admin.user.id });
    });
  });

  describe("correctAccount", () => {
    it("corrects the given fields, records their names (not values) and a staff action", async () => {
      const { user } = await bed.signUp({ email: "ada@example.com", name: "Ada Byron", jobTitle: "Analyst" });
      const support = await staff(Role.SUPPORT);
      bed.clock.advance(1000);

      const corrected = await bed.services.users.correctAccount(support.ctx, user.id, {
        email: "Ada@Lovelace.example",
        name: "Ada Lovelace",
        jobTitle: "Analyst",
        phone: "+44 20 7946 0000",
        address: { line1: "12 St James's Square", city: "London", postcode: "sw1y 4jh", country: "gb" },
      });

      expect(corrected).toMatchObject({
        email: "ada@lovelace.example",
        name: "Ada Lovelace",
        jobTitle: "Analyst",
        phone: "+442079460000",
        address: { line1: "12 St James's Square", line2: null, city: "London", postcode: "SW1Y 4JH", country: "GB" },
        updatedAt: bed.clock.now(),
      });
      expect(corrected).not.toHaveProperty("passwordHash");
      expect(await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id })).toMatchObject({
        email: "ada@lovelace.example",
        name: "Ada Lovelace",
        phone: "+442079460000",
        addressCity: "London",
      });
      expect(await auditEntries()).toEqual([
        expect.objectContaining({
          actorId: support.user.id,
          action: AuditAction.PERSON_CORRECTED,
          subjectId: user.id,
          detail: "email,name,phone,address",
        }),
      ]);
      expect(bed.securityEvents.at(-1)).toEqual({
        kind: SecurityEventKind.STAFF_ACTION,
        userId: support.user.id,
        detail: `corrected account ${user.id}`,
      });
      // The person signs in with the corrected email and their own password.
      await expect(bed.services.users.signIn(bed.ctx(), "ada@lovelace.example", PASSWORD)).resolves.toBeDefined();
    });

    it("checks every field as the profile update does, and writes nothing when one is wrong", async () => {
      const { user } = await bed.signUp();
      const support = await staff(Role.SUPPORT);

      const error = await failure(
        bed.services.users.correctAccount(support.ctx, user.id, {
          email: "not an email",
          name: "  ",
          organisationUrl: "ftp://example.com",
          phone: "020 7946 0000",
          address: { line1: "", city: "London", postcode: "SW1Y 4JH", country: "XX" },
        }),
      );

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field).sort()).toEqual([
        "input.address.country",
        "input.address.line1",
        "input.email",
        "input.name",
        "input.organisationUrl",
        "input.phone",
      ]);
      expect(await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id })).toMatchObject({
        email: user.email,
        name: user.name,
      });
      expect(await auditEntries()).toEqual([]);
    });

    it("refuses an email another account has with CONFLICT", async () => {
      const { user } = await bed.signUp();
      await bed.signUp({ email: "taken@example.com" });
      const support = await staff(Role.SUPPORT);

      const error = await failure(
        bed.services.users.correctAccount(support.ctx, user.id, { email: "TAKEN@example.com" }),
      );

      expect(error.code).toBe(ErrorCode.CONFLICT);
      expect(await auditEntries()).toEqual([]);
    });

    it("refuses the caller's own account, a closed one and an unknown one", async () => {
      const { user } = await bed.signUp();
      const support = await staff(Role.SUPPORT);
      await bed.services.users.close(bed.ctx(), user.id);

      const own = await failure(bed.services.users.correctAccount(support.ctx, support.user.id, { name: "Me" }));
      const closed = await failure(bed.services.users.correctAccount(support.ctx, user.id, { name: "Ada" }));
      const unknown = await failure(
        bed.services.users.correctAccount(support.ctx, "00000000-0000-7000-8000-000000000000", { name: "Ada" }),
      );
      const anonymous = await failure(bed.services.users.correctAccount(bed.ctx(), user.id, { name: "Ada" }));

      expect([own.code, closed.code, unknown.code, anonymous.code]).toEqual([
        ErrorCode.FORBIDDEN,
        ErrorCode.CONFLICT,
        ErrorCode.NOT_FOUND,
        ErrorCode.UNAUTHENTICATED,
      ]);
      expect((await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id })).name).toBe("");
    });

    it("lets only an administrator correct a staff account", async () => {
      const marketing = await staff(Role.MARKETING);
      const support = await staff(Role.SUPPORT);
      const admin = await staff(Role.ADMIN);

      const bySupport = await failure(
        bed.services.users.correctAccount(support.ctx, marketing.user.id, { email: "mine@example.com" }),
      );
      const byAdmin = await bed.services.users.correctAccount(admin.ctx, marketing.user.id, { name: "Mark Eting" });

      expect(bySupport.code).toBe(ErrorCode.FORBIDDEN);
      expect(byAdmin.name).toBe("Mark Eting");
      expect((await auditEntries()).map((e) => [e.actorId, e.action])).toEqual([
        [admin.user.id, AuditAction.PERSON_CORRECTED],
      ]);
    });

    it("records a read, not a correction, when nothing changes", async () => {
      const { user } = await bed.signUp({ name: "Ada" });
      const support = await staff(Role.SUPPORT);

      await bed.services.users.correctAccount(support.ctx, user.id, { name: "Ada", email: user.email });

      expect((await auditEntries()).map((e) => e.action)).toEqual([AuditAction.PERSON_VIEWED]);
    });
  });
});
