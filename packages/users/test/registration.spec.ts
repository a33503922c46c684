import { Channel, ErrorCode, Role, Topic } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { UserEntity } from "../src";
import { failure, openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

describe.each(testDatabaseKinds())("registration on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  const details = {
    email: "  Ada.Lovelace@Example.COM ",
    password: PASSWORD,
    name: " Ada Lovelace ",
    organisation: "Analytical Engines Ltd",
    organisationUrl: "https://engines.example.com",
    jobTitle: "Mathematician",
    referralSource: "A friend at the Royal Society",
  };

  it("creates a customer with a trimmed lower-case email and returns no password hash", async () => {
    const user = await bed.services.users.register(bed.ctx(), details);

    expect(user).toMatchObject({
      email: "ada.lovelace@example.com",
      name: "Ada Lovelace",
      organisation: "Analytical Engines Ltd",
      organisationUrl: "https://engines.example.com",
      jobTitle: "Mathematician",
      referralSource: "A friend at the Royal Society",
      role: Role.CUSTOMER,
      closedAt: null,
    });
    expect(user.createdAt.toISOString()).toBe(bed.clock.now().toISOString());
    expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(user).not.toHaveProperty("passwordHash");
    const stored = await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id });
    expect(stored.email).toBe("ada.lovelace@example.com");
    expect(stored).not.toHaveProperty("passwordHash");
  });

  it("stores the password as a salted scrypt hash with its parameters, never the password", async () => {
    const a = await bed.services.users.register(bed.ctx(), { ...details, email: "a@example.com" });
    const b = await bed.services.users.register(bed.ctx(), { ...details, email: "b@example.com" });
    const hashes = await bed
      .ctx()
      .manager.createQueryBuilder(UserEntity, "u")
      .addSelect("u.passwordHash")
      .whereInIds([a.id, b.id])
      .getMany();

    for (const { passwordHash } of hashes) {
      expect(passwordHash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(passwordHash).not.toContain(PASSWORD);
    }
    // The same password, two salts: two different hashes.
    expect(hashes[0]!.passwordHash).not.toBe(hashes[1]!.passwordHash);
  });

  it("refuses an email already registered in another case with CONFLICT", async () => {
    await bed.services.users.register(bed.ctx(), { ...details, email: "grace@example.com" });

    const error = await failure(bed.services.users.register(bed.ctx(), { ...details, email: "GRACE@Example.com" }));

    expect(error.code).toBe(ErrorCode.CONFLICT);
    expect(await bed.ctx().manager.count(UserEntity)).toBe(1);
  });

  it("refuses a password shorter than 10 characters with BAD_USER_INPUT on input.password", async () => {
    const error = await failure(bed.services.users.register(bed.ctx(), { ...details, password: "nine-char" }));

    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields).toEqual([{ field: "input.password", message: expect.any(String) }]);
    expect(await bed.ctx().manager.count(UserEntity)).toBe(0);
  });

  it("refuses a password longer than 200 characters", async () => {
    const error = await failure(bed.services.users.register(bed.ctx(), { ...details, password: "x".repeat(201) }));

    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields?.map((f) => f.field)).toEqual(["input.password"]);
  });

  it("reports every invalid field at once", async () => {
    const error = await failure(
      bed.services.users.register(bed.ctx(), {
        email: "not an email",
        password: "short",
        name: "   ",
        organisationUrl: "javascript:alert(1)",
      }),
    );

    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields?.map((f) => f.field).sort()).toEqual([
      "input.email",
      "input.name",
      "input.organisationUrl",
      "input.password",
    ]);
  });

  it("stores blank optional answers as no answer", async () => {
    const user = await bed.services.users.register(bed.ctx(), { ...details, organisation: "  ", jobTitle: "" });

    expect(user.organisation).toBeNull();
    expect(user.jobTitle).toBeNull();
  });

  it("signs the new account up with a session that resolves to it", async () => {
    const { user, session } = await bed
      .ctx()
      .transaction((tx) => bed.services.users.signUp(tx, { ...details, email: "new@example.com" }));

    expect(session.expiresAt.getTime()).toBe(bed.clock.now().getTime() + 30 * 24 * 3600 * 1000);
    expect(await bed.services.sessions.resolveActor(bed.ctx(), session.token)).toEqual({
      kind: "user",
      userId: user.id,
      role: Role.CUSTOMER,
      sessionId: session.sessionId,
    });
  });

  it("leaves nothing behind when signing up fails on a taken email", async () => {
    await bed.signUp({ email: "taken@example.com" });

    const error = await failure(
      bed.ctx().transaction((tx) => bed.services.users.signUp(tx, { ...details, email: "Taken@example.com" })),
    );

    expect(error.code).toBe(ErrorCode.CONFLICT);
    expect(await bed.ctx().manager.count(UserEntity)).toBe(1);
  });

  it("tells other domains what the form ticked, inside the registration transaction", async () => {
    const seen: unknown[] = [];
    let fail = false;
    const unsubscribe = bed.platform.events.subscribe("users.registered", async (tx, event) => {
      expect(tx.inTransaction).toBe(true);
      seen.push(event);
      if (fail) throw new Error("the subscriber failed");
    });
    try {
      const ticked = await bed.services.users.register(bed.ctx(), {
        ...details,
        email: "ticked@example.com",
        communications: [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }],
      });
      const unasked = await bed.services.users.register(bed.ctx(), { ...details, email: "unasked@example.com" });
      expect(seen).toEqual([
        {
          userId: ticked.id,
          email: "ticked@example.com",
          communications: [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }],
        },
        { userId: unasked.id, email: "unasked@example.com", communications: null },
      ]);

      // A failing reaction undoes the registration: no account without its consent records.
      fail = true;
      await expect(bed.services.users.register(bed.ctx(), { ...details, email: "undone@example.com" })).rejects.toThrow(
        "the subscriber failed",
      );
    } finally {
      unsubscribe();
    }
    expect(await bed.ctx().manager.countBy(UserEntity, { email: "undone@example.com" })).toBe(0);
  });

  it("refuses unknown and repeated communication choices with BAD_USER_INPUT, creating nothing", async () => {
    const error = await failure(
      bed.services.users.register(bed.ctx(), {
        ...details,
        communications: [
          { topic: Topic.NEWSLETTER, channel: Channel.EMAIL },
          { topic: "SPAM" as Topic, channel: Channel.EMAIL },
          { topic: Topic.NEWSLETTER, channel: "PIGEON" as Channel },
          { topic: Topic.NEWSLETTER, channel: Channel.EMAIL },
        ],
      }),
    );

    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields?.map((f) => f.field)).toEqual([
      "input.communications.1.topic",
      "input.communications.2.channel",
      "input.communications.3",
    ]);
    const tooMany = await failure(
      bed.services.users.register(bed.ctx(), {
        ...details,
        communications: Array.from({ length: 21 }, () => ({ topic: Topic.NEWSLETTER, channel: Channel.EMAIL })),
      }),
    );
    expect(tooMany.fields?.map((f) => f.field)).toEqual(["input.communications"]);
    expect(await bed.ctx().manager.count(UserEntity)).toBe(0);
  });
});
