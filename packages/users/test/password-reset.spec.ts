import {
  ErrorCode,
  JobEntity,
  RequestContext,
  TRANSACTIONAL_MAIL_JOB,
  type TransactionalMailPayload,
} from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { Secret, TOTP } from "otpauth";
import { SessionEntity, SignInAttemptEntity, UserEntity, UsersErrorCode } from "../src";
import { PasswordResetEntity } from "../src/password-reset/password-reset.entity";
import { failure, openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

const NEW_PASSWORD = "a brand new password";

describe.each(testDatabaseKinds())("password reset on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  /** The mail jobs of a kind, oldest first. */
  async function mails(mailKind: string): Promise<TransactionalMailPayload[]> {
    const jobs = await bed.ctx().manager.find(JobEntity, { where: { name: TRANSACTIONAL_MAIL_JOB } });
    return jobs.map((j) => j.payload as TransactionalMailPayload).filter((p) => p.kind === mailKind);
  }

  /** The token of the newest reset link mailed. */
  async function lastToken(): Promise<string> {
    const sent = await mails("PASSWORD_RESET");
    const link = /\/account\/reset\?token=([A-Za-z0-9_-]+)/.exec(sent.at(-1)!.text)?.[1];
    expect(link).toBeDefined();
    return link!;
  }

  it("answers the same for an unknown address, queues nothing, logs nothing and keeps only its throttle count", async () => {
    await expect(bed.services.users.requestPasswordReset(bed.ctx(), "nobody@example.com")).resolves.toBeUndefined();
    expect(await mails("PASSWORD_RESET")).toEqual([]);
    expect(await bed.ctx().manager.count(PasswordResetEntity)).toBe(0);
    expect(bed.securityEvents).toEqual([]);
    // The row it writes to take as long as an account's is gone: one throttle count for the address.
    expect(await bed.ctx().manager.count(SignInAttemptEntity)).toBe(1);
  });

  it("mails a link (text and HTML, about the account) and stores only a keyed hash of its token", async () => {
    const { user } = await bed.signUp();
    await bed.services.users.requestPasswordReset(bed.ctx(), ` ${user.email.toUpperCase()} `);

    const [mail] = await mails("PASSWORD_RESET");
    expect(mail).toMatchObject({ accountId: user.id, to: { address: user.email } });
    expect(mail!.html).toContain("/account/reset?token=");
    const token = await lastToken();
    expect(Buffer.from(token, "base64url").length).toBeGreaterThanOrEqual(16);
    const [row] = await bed.ctx().manager.find(PasswordResetEntity);
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(30 * 60 * 1000);
    // The sign-up's EMAIL_VERIFIED aside.
    expect(bed.securityEvents.filter((e) => e.kind !== "EMAIL_VERIFIED")).toEqual([
      expect.objectContaining({ kind: "PASSWORD_RESET_REQUESTED", userId: user.id }),
    ]);
  });

  it("sets the password, ends every session, signs in this one and mails the notice", async () => {
    const { user, token: oldSession } = await bed.signUp();
    const other = await bed.services.users.signIn(bed.ctx(), user.email, PASSWORD);
    await bed.services.users.requestPasswordReset(bed.ctx(), user.email);

    const signedIn = await bed.services.users.resetPassword(bed.ctx(), {
      token: await lastToken(),
      newPassword: NEW_PASSWORD,
    });

    expect(signedIn.user.id).toBe(user.id);
    const sessions = await bed.ctx().manager.findBy(SessionEntity, { userId: user.id });
    expect(sessions.map((s) => s.id)).toEqual([signedIn.session.sessionId]);
    expect((await bed.as(oldSession)).userId ?? null).toBeNull();
    expect((await bed.as(other.session.token)).userId ?? null).toBeNull();
    expect((await bed.as(signedIn.session.token)).userId).toBe(user.id);
    await expect(bed.services.users.authenticate(bed.ctx(), user.email, NEW_PASSWORD)).resolves.toMatchObject({
      id: user.id,
    });
    expect(await mails("PASSWORD_CHANGED")).toEqual([
      expect.objectContaining({ accountId: user.id, text: expect.stringContaining("If this was not you") }),
    ]);
    expect(bed.securityEvents.map((e) => e.kind)).toContain("PASSWORD_CHANGED");
  });

  it("with two-factor on, changes the password and ends every session but signs in only after a code", async () => {
    const { user, ctx, token: oldSession } = await bed.signUp();
    const enrolment = await bed.services.mfa.startEnrolment(ctx);
    const codeNow = () =>
      new TOTP({ secret: Secret.fromBase32(enrolment.secret) }).generate({ timestamp: bed.clock.now().getTime() });
    await bed.services.mfa.confirmEnrolment(ctx, codeNow());
    bed.clock.advance(30_000);
    await bed.services.users.requestPasswordReset(bed.ctx(), user.email);

    const error = await failure(
      bed.services.users.resetPassword(bed.ctx(), { token: await lastToken(), newPassword: NEW_PASSWORD }),
    );

    // Whoever reads the mailbox has the password now, but no session without the second factor.
    expect(error.code).toBe(ErrorCode.MFA_REQUIRED);
    expect(error.extra?.reason).toBe(UsersErrorCode.MFA_REQUIRED);
    expect(await bed.ctx().manager.countBy(SessionEntity, { userId: user.id })).toBe(0);
    expect((await bed.as(oldSession)).userId ?? null).toBeNull();
    await expect(bed.services.users.authenticate(bed.ctx(), user.email, NEW_PASSWORD)).resolves.toMatchObject({
      id: user.id,
    });
    expect(await mails("PASSWORD_CHANGED")).toHaveLength(1);
    const wrong = await failure(
      bed.services.users.completeLogin(bed.ctx(), error.extra?.challenge as string, "000000"),
    );
    expect(wrong.code).toBe(ErrorCode.BAD_USER_INPUT);
    const signedIn = await bed.services.users.completeLogin(bed.ctx(), error.extra?.challenge as string, codeNow());
    expect((await bed.as(signedIn.session.token)).userId).toBe(user.id);
  });

  it("refuses a link used twice with the one invalid-token answer", async () => {
    const { user } = await bed.signUp();
    await bed.services.users.requestPasswordReset(bed.ctx(), user.email);
    const token = await lastToken();
    await bed.services.users.resetPassword(bed.ctx(), { token, newPassword: NEW_PASSWORD });

    const error = await failure(
      bed.services.users.resetPassword(bed.ctx(), { token, newPassword: "another new password" }),
    );
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.extra?.reason).toBe(UsersErrorCode.INVALID_RESET_TOKEN);
    expect(error.fields?.map((f) => f.field)).toEqual(["input.token"]);
  });

  it("refuses an expired link (after 30 minutes)", async () => {
    const { user } = await bed.signUp();
    await bed.services.users.requestPasswordReset(bed.ctx(), user.email);
    const token = await lastToken();
    bed.clock.advance(30 * 60 * 1000 + 1);

    const error = await failure(bed.services.users.resetPassword(bed.ctx(), { token, newPassword: NEW_PASSWORD }));
    expect(error.extra?.reason).toBe(UsersErrorCode.INVALID_RESET_TOKEN);
    await expect(bed.services.users.authenticate(bed.ctx(), user.email, PASSWORD)).resolves.toBeDefined();
  });

  it("refuses an older link after a newer request, and accepts the newer", async () => {
    const { user } = await bed.signUp();
    await bed.services.users.requestPasswordReset(bed.ctx(), user.email);
    const older = await lastToken();
    bed.clock.advance(1000);
    await bed.services.users.requestPasswordReset(bed.ctx(), user.email);
    const newer = await lastToken();

    const error = await failure(
      bed.services.users.resetPassword(bed.ctx(), { token: older, newPassword: NEW_PASSWORD }),
    );
    expect(error.extra?.reason).toBe(UsersErrorCode.INVALID_RESET_TOKEN);
    await expect(
      bed.services.users.resetPassword(bed.ctx(), { token: newer, newPassword: NEW_PASSWORD }),
    ).resolves.toBeDefined();
  });

  it("refuses a link after a password change", async () => {
    const { user, ctx } = await bed.signUp();
    await bed.services.users.requestPasswordReset(bed.ctx(), user.email);
    const token = await lastToken();
    await bed.services.users.changePassword(ctx, { currentPassword: PASSWORD, newPassword: "changed in the profile" });

    const error = await failure(bed.services.users.resetPassword(bed.ctx(), { token, newPassword: NEW_PASSWORD }));
    expect(error.extra?.reason).toBe(UsersErrorCode.INVALID_RESET_TOKEN);
  });

  it("refuses an unknown token, and reports every invalid field at once", async () => {
    const unknown = await failure(
      bed.services.users.resetPassword(bed.ctx(), { token: "x".repeat(43), newPassword: NEW_PASSWORD }),
    );
    expect(unknown.extra?.reason).toBe(UsersErrorCode.INVALID_RESET_TOKEN);

    const error = await failure(bed.services.users.resetPassword(bed.ctx(), { token: " ", newPassword: "short" }));
    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields?.map((f) => f.field).sort()).toEqual(["input.newPassword", "input.token"]);
  });

  it("throttles per address (known or not) and per client IP, with retryAfterSeconds", async () => {
    for (let i = 0; i < 3; i += 1) await bed.services.users.requestPasswordReset(bed.ctx(), "nobody@example.com");
    const error = await failure(bed.services.users.requestPasswordReset(bed.ctx(), "nobody@example.com"));
    expect(error.code).toBe(ErrorCode.RATE_LIMITED);
    expect(error.extra?.retryAfterSeconds).toBeGreaterThan(0);

    const fromIp = () =>
      new RequestContext(bed.db.dataSource, { kind: "anonymous" }, bed.clock, undefined, "192.0.2.7");
    for (let i = 0; i < 20; i += 1) await bed.services.users.requestPasswordReset(fromIp(), `person${i}@example.com`);
    const byIp = await failure(bed.services.users.requestPasswordReset(fromIp(), "someone-else@example.com"));
    expect(byIp.code).toBe(ErrorCode.RATE_LIMITED);

    bed.clock.advance(15 * 60 * 1000 + 1);
    await expect(bed.services.users.requestPasswordReset(fromIp(), "nobody@example.com")).resolves.toBeUndefined();
  });

  it("throttles a known address exactly as an unknown one (the refusal tells nothing)", async () => {
    const { user } = await bed.signUp();
    const refusalFor = async (email: string) => {
      for (let i = 0; i < 3; i += 1) await bed.services.users.requestPasswordReset(bed.ctx(), email);
      return failure(bed.services.users.requestPasswordReset(bed.ctx(), email));
    };
    const known = await refusalFor(user.email);
    const unknown = await refusalFor("nobody@example.com");
    expect({ code: known.code, extra: known.extra }).toEqual({ code: unknown.code, extra: unknown.extra });
    expect(known.message).toBe(unknown.message);
    expect(known.extra).toMatchObject({ reason: UsersErrorCode.PASSWORD_RESET_THROTTLED, retryAfterSeconds: 900 });
  });

  it("exports the dates of reset requests (never tokens) and deletes them at closure", async () => {
    const { user } = await bed.signUp();
    await bed.services.users.requestPasswordReset(bed.ctx(), user.email);
    const token = await lastToken();
    const subject = await bed.services.users.personalDataSubject(bed.ctx(), user.id);

    const exported = await bed.services.personalData.export(bed.ctx(), subject);
    expect(exported.passwordResetRequests).toEqual([{ requestedAt: bed.clock.now().toISOString() }]);
    const [row] = await bed.ctx().manager.find(PasswordResetEntity);
    expect(JSON.stringify(exported)).not.toContain(token);
    expect(JSON.stringify(exported)).not.toContain(row!.tokenHash);
    // Nor in the copy of the mail that carried it.
    const document = await bed.platform.personalData.exportAll(bed.ctx(), subject);
    expect(JSON.stringify(document)).toContain("/account/reset?token=[REDACTED]");
    expect(JSON.stringify(document)).not.toContain(token);

    await bed.services.users.close(bed.ctx(), user.id);
    expect(await bed.ctx().manager.count(PasswordResetEntity)).toBe(0);
    expect((await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id })).closedAt).not.toBeNull();
  });

  it("deletes reset requests a day after they were made", async () => {
    const { user } = await bed.signUp();
    await bed.services.users.requestPasswordReset(bed.ctx(), user.email);
    bed.clock.advance(23 * 60 * 60 * 1000);
    expect(await bed.services.users.deleteStalePasswordResets(bed.ctx())).toBe(0);
    bed.clock.advance(60 * 60 * 1000);
    expect(await bed.services.users.deleteStalePasswordResets(bed.ctx())).toBe(1);
  });

  it("takes about as long for an unknown address as for a known one (median of 200 calls each)", async () => {
    const { user } = await bed.signUp();
    const known: number[] = [];
    const unknown: number[] = [];
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const time = async (email: string, into: number[]) => {
      // Past the throttling window each time: the work measured is the request's, not a refusal's.
      bed.clock.advance(15 * 60 * 1000 + 1);
      const started = process.hrtime.bigint();
      await bed.services.users.requestPasswordReset(bed.ctx(), email);
      into.push(Number(process.hrtime.bigint() - started) / 1e6);
    };
    // Warm-up (not counted): the first statements of each kind compile, and the target settles.
    for (let i = 0; i < 20; i += 1) {
      await time(user.email, []);
      await time(`warm-up${i}@example.com`, []);
    }
    for (let i = 0; i < 200; i += 1) {
      // Alternated, each first in turn, so that a slow patch of the machine hits both alike.
      const pair = [() => time(user.email, known), () => time(`nobody${i}@example.com`, unknown)];
      for (const call of i % 2 === 0 ? pair : pair.reverse()) await call();
    }
    const k = median(known);
    const u = median(unknown);
    const difference = Math.abs(k - u) / Math.max(k, u);
    console.log(
      `requestPasswordReset on ${kind}, median of 200 each: known ${k.toFixed(3)} ms, unknown ${u.toFixed(3)} ms ` +
        `(difference ${(difference * 100).toFixed(1)} %)`,
    );
    expect(difference).toBeLessThan(0.1);
    // Every known call mailed (none was refused or lost), and no unknown one stored anything.
    expect(await mails("PASSWORD_RESET")).toHaveLength(220);
    expect(await bed.ctx().manager.count(PasswordResetEntity)).toBe(220);
  }, 120_000);
});
