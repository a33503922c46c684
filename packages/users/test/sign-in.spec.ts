import { createPlatform, ErrorCode, hmac, Role, SecurityEventKind } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { createUsersServices, SignInAttemptEntity, UserEntity, UsersErrorCode, USERS_JOBS, usersJobs } from "../src";
import { PasswordService } from "../src/password/password.service";
import { failure, openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

const MINUTE = 60 * 1000;

describe.each(testDatabaseKinds())("sign-in on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  const signIn = (email: string, password: string) => bed.services.users.signIn(bed.ctx(), email, password);

  it("signs in with the right password, whatever the case and spacing of the email", async () => {
    const { user } = await bed.signUp({ email: "ada@example.com" });

    const signedIn = await signIn("  ADA@example.com", PASSWORD);

    expect(signedIn.user.id).toBe(user.id);
    expect(signedIn.user).not.toHaveProperty("passwordHash");
    expect(await bed.services.sessions.resolveActor(bed.ctx(), signedIn.session.token)).toMatchObject({
      kind: "user",
      userId: user.id,
      role: Role.CUSTOMER,
    });
  });

  it("writes successes, failures and throttling to the security log, never the email or password", async () => {
    const { user } = await bed.signUp({ email: "grace@example.com" });
    await signIn("grace@example.com", PASSWORD);
    for (let i = 0; i < 5; i++) await failure(signIn("grace@example.com", `wrong-password-${i}`));
    await failure(signIn("grace@example.com", PASSWORD));

    expect(bed.securityEvents.map((e) => e.kind)).toEqual([
      SecurityEventKind.LOGIN_SUCCEEDED,
      ...Array(5).fill(SecurityEventKind.LOGIN_FAILED),
      SecurityEventKind.RATE_LIMITED,
    ]);
    expect(bed.securityEvents[0]?.userId).toBe(user.id);
    const logged = JSON.stringify(bed.securityEvents);
    expect(logged).not.toContain("grace@example.com");
    expect(logged).not.toContain("wrong-password");
    expect(logged).not.toContain(PASSWORD);
  });

  it("answers an unknown email and a wrong password with the same UNAUTHENTICATED error", async () => {
    await bed.signUp({ email: "ada@example.com" });

    const unknown = await failure(signIn("nobody@example.com", PASSWORD));
    const wrong = await failure(signIn("ada@example.com", "wrong password!"));

    expect(unknown.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(wrong.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(wrong.message).toBe(unknown.message);
    expect(wrong.constructor).toBe(unknown.constructor);
  });

  it("spends one scrypt verification on an unknown email, as on a known one, so timing reveals nothing", async () => {
    await bed.signUp({ email: "ada@example.com" });
    const verify = jest.spyOn(PasswordService.prototype, "verify");
    try {
      await failure(signIn("nobody@example.com", "some password"));
      const forUnknown = verify.mock.calls.length;
      verify.mockClear();
      await failure(signIn("ada@example.com", "some password"));

      expect(forUnknown).toBe(1);
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  it("answers a closed account with the right password like a wrong password", async () => {
    const { user } = await bed.signUp({ email: "closed@example.com" });
    const unknown = await failure(signIn("nobody@example.com", PASSWORD));
    await bed.services.users.close(bed.ctx(), user.id);

    const error = await failure(signIn("closed@example.com", PASSWORD));

    expect(error.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(error.message).toBe(unknown.message);
  });

  it("refuses even the right password with RATE_LIMITED after 5 failures, until 15 minutes have passed", async () => {
    await bed.signUp({ email: "ada@example.com" });
    const start = bed.clock.now().getTime();
    for (let i = 1; i <= 5; i++) {
      bed.clock.set(new Date(start + i * MINUTE));
      expect((await failure(signIn("ada@example.com", `wrong password ${i}`))).code).toBe(ErrorCode.UNAUTHENTICATED);
    }

    const limited = await failure(signIn("ADA@example.com", PASSWORD));
    expect(limited.code).toBe(ErrorCode.RATE_LIMITED);
    // The first failure (minute 1) leaves the window at minute 16, 11 minutes from now.
    expect(limited.extra).toEqual({ reason: UsersErrorCode.SIGN_IN_THROTTLED, retryAfterSeconds: 11 * 60 });
    bed.clock.set(new Date(start + 10 * MINUTE));
    expect((await failure(signIn("ada@example.com", PASSWORD))).code).toBe(ErrorCode.RATE_LIMITED);

    // 15 minutes after the first failure it works again: the refused attempts were not counted.
    bed.clock.set(new Date(start + 16 * MINUTE));
    await expect(signIn("ada@example.com", PASSWORD)).resolves.toMatchObject({ user: { email: "ada@example.com" } });
  });

  it("lets one more attempt through as soon as the oldest failure leaves the window", async () => {
    await bed.signUp({ email: "ada@example.com" });
    const first = bed.clock.now().getTime();
    for (let i = 0; i < 5; i++) {
      await failure(signIn("ada@example.com", "wrong password"));
      bed.clock.advance(MINUTE);
    }
    bed.clock.set(new Date(first + 15 * MINUTE));

    await expect(signIn("ada@example.com", PASSWORD)).resolves.toBeDefined();
  });

  it("throttles an unknown email like a known one, so throttling reveals nothing", async () => {
    for (let i = 0; i < 5; i++) await failure(signIn("nobody@example.com", "wrong password"));

    expect((await failure(signIn("nobody@example.com", "wrong password"))).code).toBe(ErrorCode.RATE_LIMITED);
  });

  it("throttles each email on its own", async () => {
    await bed.signUp({ email: "ada@example.com" });
    for (let i = 0; i < 5; i++) await failure(signIn("mallory@example.com", "wrong password"));

    await expect(signIn("ada@example.com", PASSWORD)).resolves.toBeDefined();
  });

  it("forgives earlier failures after a successful sign-in", async () => {
    await bed.signUp({ email: "ada@example.com" });
    for (let i = 0; i < 4; i++) await failure(signIn("ada@example.com", "typo password"));
    await signIn("ada@example.com", PASSWORD);

    for (let i = 0; i < 5; i++) {
      expect((await failure(signIn("ada@example.com", "typo password"))).code).toBe(ErrorCode.UNAUTHENTICATED);
    }
  });

  it("keys attempts by an HMAC of the normalised email, never the email itself", async () => {
    await failure(signIn(" Ada@Example.com", "wrong password"));

    const attempts = await bed.ctx().manager.find(SignInAttemptEntity);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(attempts[0]!.keyHash).not.toContain("ada");
    expect(attempts[0]!.keyHash).toBe(hmac(bed.platform.config.secret, "users.sign-in-attempt", "ada@example.com"));
  });

  it("refuses to check a password inside a transaction, where a failure could not be recorded", async () => {
    await bed.signUp({ email: "ada@example.com" });

    const error = await failure(
      bed.ctx().transaction((tx) => bed.services.users.signIn(tx, "ada@example.com", PASSWORD)),
    );

    expect(error.code).toBeUndefined();
    expect(error.message).toMatch(/outside a transaction/);
  });

  it("upgrades a hash made with older parameters at the next sign-in", async () => {
    const { user } = await bed.signUp({ email: "ada@example.com" });
    // The same database on a platform of its own: each platform holds one "account" contributor.
    const { config, dataSource, clock, jobs, logger } = bed.platform;
    const stronger = createUsersServices(createPlatform(config, dataSource, { clock, jobs, logger }), {
      passwordHashing: { N: 2 ** 11, r: 8, p: 1 },
    });
    const hashOf = async () =>
      (
        await bed
          .ctx()
          .manager.createQueryBuilder(UserEntity, "u")
          .addSelect("u.passwordHash")
          .where({ id: user.id })
          .getOneOrFail()
      ).passwordHash;
    expect(await hashOf()).toMatch(/^scrypt\$1024\$8\$1\$/);

    await stronger.users.signIn(bed.ctx(), "ada@example.com", PASSWORD);

    expect(await hashOf()).toMatch(/^scrypt\$2048\$8\$1\$/);
    await expect(stronger.users.signIn(bed.ctx(), "ada@example.com", PASSWORD)).resolves.toBeDefined();
  });

  it("the stale-attempts job deletes only attempts that have left the window", async () => {
    await failure(signIn("old@example.com", "wrong password"));
    bed.clock.advance(10 * MINUTE);
    await failure(signIn("recent@example.com", "wrong password"));
    bed.clock.advance(6 * MINUTE);
    const job = usersJobs(bed.services).jobs.find((j) => j.name === USERS_JOBS.deleteStaleSignInAttempts)!;

    await job.handle(bed.ctx(), {}, { id: "job", name: job.name, payload: {}, attempt: 1, maxAttempts: 3 });

    const left = await bed.ctx().manager.find(SignInAttemptEntity);
    expect(left.map((a) => a.keyHash)).toEqual([
      hmac(bed.platform.config.secret, "users.sign-in-attempt", "recent@example.com"),
    ]);
  });
});
