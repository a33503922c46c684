import {
  ANONYMOUS,
  createPlatform,
  ErrorCode,
  hmac,
  JobEntity,
  RequestContext,
  Role,
  SecurityEventKind,
  TRANSACTIONAL_MAIL_JOB,
  type TransactionalMailPayload,
} from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { createUsersServices, UserEntity, UsersErrorCode, USERS_JOBS, usersJobs } from "../src";
import { PasswordService } from "../src/password/password.service";
import { SignInFailureEntity } from "../src/sign-in/sign-in-failure.entity";
import { failure, openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe.each(testDatabaseKinds())("sign-in on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  const signIn = (email: string, password: string) => bed.services.users.signIn(bed.ctx(), email, password);
  const waitOf = async (call: Promise<unknown>) => (await failure(call)).extra?.retryAfterSeconds as number;
  const fromIp = (ip: string) => new RequestContext(bed.db.dataSource, ANONYMOUS, bed.clock, undefined, ip);
  /** The token of the newest reset link mailed to account `userId`. */
  async function resetTokenOf(userId: string): Promise<string> {
    const jobs = await bed.ctx().manager.find(JobEntity, { where: { name: TRANSACTIONAL_MAIL_JOB } });
    const mail = jobs
      .map((j) => j.payload as TransactionalMailPayload)
      .filter((p) => p.accountId === userId && p.kind === "PASSWORD_RESET")
      .at(-1);
    return /\/account\/reset\?token=([A-Za-z0-9_-]+)/.exec(mail!.text)![1]!;
  }

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
    bed.securityEvents.length = 0;
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

  it("slows further tries with growing delays after 5 failures, then lets the right password in", async () => {
    await bed.signUp({ email: "ada@example.com" });
    for (let i = 1; i <= 5; i++) {
      bed.clock.advance(MINUTE);
      expect((await failure(signIn("ada@example.com", `wrong password ${i}`))).code).toBe(ErrorCode.UNAUTHENTICATED);
    }

    const limited = await failure(signIn("ADA@example.com", PASSWORD));
    expect(limited.code).toBe(ErrorCode.RATE_LIMITED);
    expect(limited.extra).toEqual({ reason: UsersErrorCode.SIGN_IN_THROTTLED, retryAfterSeconds: 30 });
    // Each failure after the free ones doubles the wait: 30 s, then 60, 120, 240.
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      bed.clock.advance((await waitOf(signIn("ada@example.com", "wrong"))) * SECOND);
      expect((await failure(signIn("ada@example.com", `still wrong ${i}`))).code).toBe(ErrorCode.UNAUTHENTICATED);
      waits.push(await waitOf(signIn("ada@example.com", PASSWORD)));
    }
    expect(waits).toEqual([60, 120, 240]);

    bed.clock.advance(240 * SECOND);
    await expect(signIn("ada@example.com", PASSWORD)).resolves.toMatchObject({ user: { email: "ada@example.com" } });
    // The right password cleared the account's failures.
    for (let i = 0; i < 5; i++) {
      expect((await failure(signIn("ada@example.com", "typo password"))).code).toBe(ErrorCode.UNAUTHENTICATED);
    }
  });

  it("never waits more than 15 minutes, and forgets failures 12 hours after the last", async () => {
    await bed.signUp({ email: "ada@example.com" });
    for (let i = 0; i < 12; i++) {
      await failure(signIn("ada@example.com", "wrong password"));
      bed.clock.advance(15 * MINUTE);
    }
    await failure(signIn("ada@example.com", "wrong password"));
    expect(await waitOf(signIn("ada@example.com", PASSWORD))).toBe(15 * 60);

    bed.clock.advance(12 * 60 * MINUTE);
    await expect(signIn("ada@example.com", PASSWORD)).resolves.toBeDefined();
  });

  it("limits wrong passwords per client IP across accounts, without stopping the owner elsewhere", async () => {
    await bed.signUp({ email: "ada@example.com" });
    const fromStranger = () => fromIp("203.0.113.9");
    for (let i = 0; i < 20; i++) {
      await failure(bed.services.users.signIn(fromStranger(), `target${i}@example.com`, "wrong password"));
    }

    const refused = await failure(bed.services.users.signIn(fromStranger(), "ada@example.com", PASSWORD));
    expect(refused.code).toBe(ErrorCode.RATE_LIMITED);
    expect(bed.securityEvents.at(-1)).toMatchObject({ kind: SecurityEventKind.RATE_LIMITED });
    expect(bed.securityEvents.at(-1)?.detail).toBe("sign-in throttled (client)");
    await expect(bed.services.users.signIn(fromIp("198.51.100.1"), "ada@example.com", PASSWORD)).resolves.toBeDefined();
  });

  it("does not refuse concurrent sign-ins with the right password", async () => {
    await bed.signUp({ email: "ada@example.com" });

    const results = await Promise.allSettled(Array.from({ length: 12 }, () => signIn("ada@example.com", PASSWORD)));

    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
  });

  it("checks no more wrong passwords in a parallel burst than the free ones, refusing the rest", async () => {
    await bed.signUp({ email: "ada@example.com" });

    const errors = await Promise.all(
      Array.from({ length: 15 }, (_, i) => failure(signIn("ada@example.com", `guess ${i}`))),
    );

    expect(errors.filter((e) => e.code === ErrorCode.UNAUTHENTICATED)).toHaveLength(5);
    expect(errors.filter((e) => e.code === ErrorCode.RATE_LIMITED)).toHaveLength(10);
  });

  it("counts nothing when the check itself fails (the database went away mid-check)", async () => {
    await bed.signUp({ email: "ada@example.com" });
    const verify = jest.spyOn(PasswordService.prototype, "verify").mockRejectedValue(new Error("connection lost"));
    try {
      for (let i = 0; i < 8; i++)
        expect((await failure(signIn("ada@example.com", PASSWORD))).message).toBe("connection lost");
    } finally {
      verify.mockRestore();
    }

    await expect(signIn("ada@example.com", PASSWORD)).resolves.toBeDefined();
    expect(await bed.ctx().manager.find(SignInFailureEntity)).toEqual([
      expect.objectContaining({ failures: 0, pending: 0 }),
    ]);
  });

  it("lets the owner in through a reset link while a stranger's wrong passwords slow the account", async () => {
    const { user } = await bed.signUp({ email: "ada@example.com" });
    for (let i = 0; i < 8; i++) await failure(signIn("ada@example.com", "stranger's guess"));
    expect((await failure(signIn("ada@example.com", PASSWORD))).code).toBe(ErrorCode.RATE_LIMITED);

    await bed.services.users.requestPasswordReset(bed.ctx(), "ada@example.com");
    const token = await resetTokenOf(user.id);
    const signedIn = await bed.services.users.resetPassword(bed.ctx(), { token, newPassword: "a brand new password" });

    expect(signedIn.user.id).toBe(user.id);
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

  it("keys failures by an HMAC of the normalised email, never the email itself, and leaves no check in progress", async () => {
    await failure(signIn(" Ada@Example.com", "wrong password"));

    const failures = await bed.ctx().manager.find(SignInFailureEntity);
    expect(failures).toEqual([
      expect.objectContaining({
        keyHash: hmac(bed.platform.config.secret, "users.sign-in-throttle.account", "ada@example.com"),
        failures: 1,
        pending: 0,
      }),
    ]);
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

  it("the stale-attempts job deletes only failures that no longer count", async () => {
    await failure(signIn("old@example.com", "wrong password"));
    bed.clock.advance(11 * 60 * MINUTE);
    await failure(signIn("recent@example.com", "wrong password"));
    bed.clock.advance(2 * 60 * MINUTE);
    const job = usersJobs(bed.services).jobs.find((j) => j.name === USERS_JOBS.deleteStaleSignInAttempts)!;

    await job.handle(bed.ctx(), {}, { id: "job", name: job.name, payload: {}, attempt: 1, maxAttempts: 3 });

    const left = await bed.ctx().manager.find(SignInFailureEntity);
    expect(left.map((a) => a.keyHash)).toEqual([
      hmac(bed.platform.config.secret, "users.sign-in-throttle.account", "recent@example.com"),
    ]);
  });
});
