import {
  ANONYMOUS,
  ErrorCode,
  RequestContext,
  JobEntity,
  SecurityEventKind,
  TRANSACTIONAL_MAIL_JOB,
  type TransactionalMailPayload,
} from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { Secret, TOTP } from "otpauth";
import { MfaChallengeEntity } from "../src/mfa/mfa-challenge.entity";
import { RecoveryCodeEntity } from "../src/mfa/recovery-code.entity";
import { TotpEntity } from "../src/mfa/totp.entity";
import { UsersErrorCode } from "../src";
import { failure, openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe.each(testDatabaseKinds())("two-factor authentication on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  /** The code an authenticator app with `secret` shows now (the bed's clock). */
  const codeOf = (secret: string, at = bed.clock.now().getTime()) =>
    new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: at });

  /** An account with two-factor on: its secret and recovery codes; the clock moved on one step. */
  async function withTwoFactor(email = "ada@example.com") {
    const account = await bed.signUp({ email });
    const enrolment = await bed.services.mfa.startEnrolment(account.ctx);
    const recoveryCodes = await bed.services.mfa.confirmEnrolment(account.ctx, codeOf(enrolment.secret));
    bed.clock.advance(30 * SECOND);
    return { ...account, secret: enrolment.secret, recoveryCodes };
  }

  /** Signs in with the password: the challenge of MFA_REQUIRED (fails the test otherwise). */
  async function challengeFor(email: string): Promise<string> {
    const error = await failure(bed.services.users.signIn(bed.ctx(), email, PASSWORD));
    expect(error.code).toBe(ErrorCode.MFA_REQUIRED);
    expect(error.extra?.reason).toBe(UsersErrorCode.MFA_REQUIRED);
    return error.extra?.challenge as string;
  }
  const complete = (challenge: string, code: string) => bed.services.users.completeLogin(bed.ctx(), challenge, code);

  it("enrols an authenticator: secret, otpauth URI and QR code; the secret is stored sealed", async () => {
    const { ctx, user } = await bed.signUp({ email: "ada@example.com" });

    const enrolment = await bed.services.mfa.startEnrolment(ctx);

    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolment.otpauthUri).toBe(
      `otpauth://totp/Honour:ada%40example.com?issuer=Honour&secret=${enrolment.secret}&algorithm=SHA1&digits=6&period=30`,
    );
    expect(enrolment.qrCodeSvg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>.*<\/svg>\n?$/s);
    const stored = await bed.ctx().manager.findOneByOrFail(TotpEntity, { userId: user.id });
    expect(stored.sealedSecret).toMatch(/^v1\./);
    expect(stored.sealedSecret).not.toContain(enrolment.secret);
    expect(await bed.services.mfa.isEnabled(bed.ctx(), user.id)).toBe(false);
  });

  it("turns on with the first code, handing out 10 recovery codes stored only as hashes", async () => {
    const { user, recoveryCodes } = await withTwoFactor();

    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[2-9a-z]{5}-[2-9a-z]{5}$/);
    const stored = await bed.ctx().manager.findBy(RecoveryCodeEntity, { userId: user.id });
    expect(stored).toHaveLength(10);
    expect(JSON.stringify(stored)).not.toContain(recoveryCodes[0]!.replace("-", ""));
    expect(await bed.services.mfa.isEnabled(bed.ctx(), user.id)).toBe(true);
    expect(bed.securityEvents).toContainEqual(
      expect.objectContaining({ kind: SecurityEventKind.MFA_ENABLED, userId: user.id }),
    );
  });

  it("refuses a wrong first code, and a second enrolment once on", async () => {
    const { ctx } = await bed.signUp();
    await bed.services.mfa.startEnrolment(ctx);

    const wrong = await failure(bed.services.mfa.confirmEnrolment(ctx, "000000"));
    expect(wrong.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(wrong.fields).toEqual([{ field: "code", message: "is not a valid code" }]);

    const on = await withTwoFactor("grace@example.com");
    expect((await failure(bed.services.mfa.startEnrolment(on.ctx))).extra?.reason).toBe(
      UsersErrorCode.TOTP_ALREADY_ENABLED,
    );
  });

  it("answers a right password with MFA_REQUIRED and a challenge, then signs in with a TOTP code", async () => {
    const { user, secret } = await withTwoFactor();

    const challenge = await challengeFor("ada@example.com");
    const signedIn = await complete(challenge, codeOf(secret));

    expect(signedIn.user.id).toBe(user.id);
    expect(await bed.services.sessions.resolveActor(bed.ctx(), signedIn.session.token)).toMatchObject({
      userId: user.id,
    });
    // Single use: the challenge is gone.
    bed.clock.advance(30 * SECOND);
    expect((await failure(complete(challenge, codeOf(secret)))).extra?.reason).toBe(
      UsersErrorCode.INVALID_MFA_CHALLENGE,
    );
  });

  it("refuses a replayed TOTP code, even on a fresh challenge", async () => {
    const { secret } = await withTwoFactor();
    const code = codeOf(secret);
    await complete(await challengeFor("ada@example.com"), code);

    const replay = await failure(complete(await challengeFor("ada@example.com"), code));

    expect(replay.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(replay.extra?.reason).toBe(UsersErrorCode.INVALID_MFA_CODE);
    // A code of a later step works, and then the earlier step's code (still inside the window) does not.
    bed.clock.advance(30 * SECOND);
    await complete(await challengeFor("ada@example.com"), codeOf(secret));
    const earlier = codeOf(secret, bed.clock.now().getTime() - 30 * SECOND);
    expect((await failure(complete(await challengeFor("ada@example.com"), earlier))).code).toBe(
      ErrorCode.BAD_USER_INPUT,
    );
  });

  it("accepts each recovery code once", async () => {
    const { user, recoveryCodes } = await withTwoFactor();

    await complete(await challengeFor("ada@example.com"), recoveryCodes[3]!.toUpperCase());
    const again = await failure(complete(await challengeFor("ada@example.com"), recoveryCodes[3]!));

    expect(again.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(again.extra?.reason).toBe(UsersErrorCode.INVALID_MFA_CODE);
    expect(bed.securityEvents).toContainEqual(
      expect.objectContaining({ kind: SecurityEventKind.MFA_FAILED, userId: user.id }),
    );
    expect((await bed.services.mfa.recordOf(bed.ctx(), user.id)).recoveryCodesLeft).toBe(9);
  });

  it("throttles wrong codes like passwords: after 5, even the right code waits", async () => {
    const { secret } = await withTwoFactor();
    const challenge = await challengeFor("ada@example.com");
    for (let i = 0; i < 5; i++)
      expect((await failure(complete(challenge, "123456"))).code).toBe(ErrorCode.BAD_USER_INPUT);

    const throttled = await failure(complete(challenge, codeOf(secret)));

    expect(throttled.code).toBe(ErrorCode.RATE_LIMITED);
    expect(throttled.extra).toEqual({ reason: UsersErrorCode.SIGN_IN_THROTTLED, retryAfterSeconds: 30 });
    expect(bed.securityEvents.filter((e) => e.kind === SecurityEventKind.MFA_FAILED)).toHaveLength(5);
    bed.clock.advance(30 * SECOND);
    await expect(complete(challenge, codeOf(secret))).resolves.toBeDefined();
  });

  it("slows a stranger's wrong passwords on an account with two-factor on, per account, not only per client", async () => {
    await withTwoFactor();
    // Each guess from another client address: only the account's counter can stop them.
    const from = (i: number) =>
      new RequestContext(bed.db.dataSource, ANONYMOUS, bed.clock, undefined, `198.51.100.${i}`);
    for (let i = 0; i < 5; i++) {
      const wrong = await failure(bed.services.users.signIn(from(i), "ada@example.com", `guess ${i}`));
      expect(wrong.code).toBe(ErrorCode.UNAUTHENTICATED);
    }

    const refused = await failure(bed.services.users.signIn(from(5), "ada@example.com", "guess 5"));
    expect(refused.code).toBe(ErrorCode.RATE_LIMITED);
    expect(refused.extra).toEqual({ reason: UsersErrorCode.SIGN_IN_THROTTLED, retryAfterSeconds: 30 });
    // While the delay runs the right password is refused the same way: no guess can be told right.
    const owner = await failure(bed.services.users.signIn(from(6), "ada@example.com", PASSWORD));
    expect(owner.code).toBe(ErrorCode.RATE_LIMITED);
    bed.clock.advance(30 * SECOND);
    expect((await failure(bed.services.users.signIn(from(7), "ada@example.com", PASSWORD))).code).toBe(
      ErrorCode.MFA_REQUIRED,
    );
  });

  it("lets the owner with a second factor in through a reset link while a stranger's wrong passwords slow the account", async () => {
    const { secret, user } = await withTwoFactor();
    for (let i = 0; i < 10; i++) await failure(bed.services.users.signIn(bed.ctx(), "ada@example.com", `guess ${i}`));
    expect((await failure(bed.services.users.signIn(bed.ctx(), "ada@example.com", PASSWORD))).code).toBe(
      ErrorCode.RATE_LIMITED,
    );

    await bed.services.users.requestPasswordReset(bed.ctx(), "ada@example.com");
    const jobs = await bed.ctx().manager.find(JobEntity, { where: { name: TRANSACTIONAL_MAIL_JOB } });
    const mail = jobs.map((j) => j.payload as TransactionalMailPayload).find((p) => p.kind === "PASSWORD_RESET")!;
    const token = /\/account\/reset\?token=([A-Za-z0-9_-]+)/.exec(mail.text)![1]!;
    const reset = await failure(
      bed.services.users.resetPassword(bed.ctx(), { token, newPassword: "a brand new password" }),
    );
    expect(reset.code).toBe(ErrorCode.MFA_REQUIRED);
    const signedIn = await complete(reset.extra!.challenge as string, codeOf(secret));

    expect(signedIn.user.id).toBe(user.id);
  });

  it("lets a challenge expire after 5 minutes", async () => {
    const { secret } = await withTwoFactor();
    const challenge = await challengeFor("ada@example.com");
    bed.clock.advance(5 * MINUTE);

    const expired = await failure(complete(challenge, codeOf(secret)));

    expect(expired.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(expired.extra?.reason).toBe(UsersErrorCode.INVALID_MFA_CHALLENGE);
  });

  it("turns off with the password and a code, deleting the secret and codes", async () => {
    const { ctx, user, secret } = await withTwoFactor();

    const wrongPassword = await failure(
      bed.services.users.disableTotp(ctx, { currentPassword: "nope nope nope", code: codeOf(secret) }),
    );
    expect(wrongPassword.fields).toEqual([{ field: "input.currentPassword", message: "is not your current password" }]);
    const wrongCode = await failure(bed.services.users.disableTotp(ctx, { currentPassword: PASSWORD, code: "111111" }));
    expect(wrongCode.fields).toEqual([{ field: "input.code", message: "is not a valid code" }]);

    await bed.services.users.disableTotp(ctx, { currentPassword: PASSWORD, code: codeOf(secret) });

    expect(await bed.ctx().manager.countBy(TotpEntity, { userId: user.id })).toBe(0);
    expect(await bed.ctx().manager.countBy(RecoveryCodeEntity, { userId: user.id })).toBe(0);
    expect(bed.securityEvents).toContainEqual(
      expect.objectContaining({ kind: SecurityEventKind.MFA_DISABLED, userId: user.id }),
    );
    await expect(bed.services.users.signIn(bed.ctx(), "ada@example.com", PASSWORD)).resolves.toBeDefined();
  });

  it("exports whether two-factor is on, never its secret or codes; closure erases them at once", async () => {
    const { user, secret, recoveryCodes } = await withTwoFactor();
    await challengeFor("ada@example.com");
    const subject = await bed.services.users.personalDataSubject(bed.ctx(), user.id);

    const exported = await bed.services.personalData.export(bed.ctx(), subject);

    expect(exported.twoFactor).toEqual({ totpEnabled: true, enabledAt: expect.any(String), recoveryCodesLeft: 10 });
    const text = JSON.stringify(exported);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(recoveryCodes[0]);

    await bed.services.users.close(bed.ctx(), user.id);

    for (const entity of [TotpEntity, RecoveryCodeEntity, MfaChallengeEntity]) {
      expect(await bed.ctx().manager.countBy(entity, { userId: user.id })).toBe(0);
    }
  });
});
