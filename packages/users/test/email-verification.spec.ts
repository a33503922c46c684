import { ErrorCode, JobEntity, TRANSACTIONAL_MAIL_JOB, type TransactionalMailPayload } from "@honour/platform";
import { lastVerificationToken, signUpTestAccount, testDatabaseKinds } from "@honour/testing";
import { UserEntity, UsersErrorCode, type RegistrationDetails } from "../src";
import { EmailVerificationEntity } from "../src/email-verification/email-verification.entity";
import { failure, openUsersTestBed, type UsersTestBed } from "./users-test-bed";

const HOUR = 60 * 60 * 1000;

describe.each(testDatabaseKinds())("email verification on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  /** Registers and signs in without using the welcome mail's link. */
  const register = (details: Partial<RegistrationDetails> = {}) =>
    signUpTestAccount(bed.services, bed.ctx, details, undefined, { verifyEmail: false });
  const verify = (token: string) => bed.services.emailVerifications.verify(bed.ctx(), token);
  const tokenFor = (email: string) => lastVerificationToken(bed.ctx(), email);
  const verifiedAt = async (id: string) =>
    (await bed.ctx().manager.findOneByOrFail(UserEntity, { id })).emailVerifiedAt;
  async function mails(mailKind: string): Promise<TransactionalMailPayload[]> {
    const jobs = await bed.ctx().manager.find(JobEntity, { where: { name: TRANSACTIONAL_MAIL_JOB } });
    return jobs.map((j) => j.payload as TransactionalMailPayload).filter((p) => p.kind === mailKind);
  }

  it("welcomes with a 24-hour link (text and HTML) whose token is stored only as a keyed hash", async () => {
    const { user } = await register();
    expect(await verifiedAt(user.id)).toBeNull();

    const [welcome] = await mails("WELCOME");
    expect(welcome).toMatchObject({ accountId: user.id, to: { address: user.email } });
    expect(welcome!.text).toContain(`${bed.platform.config.publicUrl}/account/verify?token=`);
    expect(welcome!.html).toContain("/account/verify?token=");
    const token = await tokenFor(user.email);
    expect(Buffer.from(token, "base64url").length).toBe(32);
    const [row] = await bed.ctx().manager.find(EmailVerificationEntity);
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(24 * HOUR);
  });

  it("verifies once: the same link again is INVALID_VERIFICATION_TOKEN, and the security log says EMAIL_VERIFIED", async () => {
    const { user } = await register();
    const token = await tokenFor(user.email);

    const verified = await verify(token);
    expect(verified).toMatchObject({ id: user.id, emailVerifiedAt: expect.any(Date) });
    expect(await verifiedAt(user.id)).toEqual(bed.clock.now());
    expect(bed.securityEvents).toContainEqual(expect.objectContaining({ kind: "EMAIL_VERIFIED", userId: user.id }));

    const again = await failure(verify(token));
    expect(again).toMatchObject({
      code: ErrorCode.BAD_USER_INPUT,
      extra: { reason: UsersErrorCode.INVALID_VERIFICATION_TOKEN },
    });
    expect(again.fields).toEqual([{ field: "token", message: "is not valid any more" }]);
  });

  it("refuses an expired link and changes nothing", async () => {
    const { user } = await register();
    const token = await tokenFor(user.email);
    bed.clock.advance(24 * HOUR + 1);

    const expired = await failure(verify(token));
    expect(expired.extra?.reason).toBe(UsersErrorCode.INVALID_VERIFICATION_TOKEN);
    expect(await verifiedAt(user.id)).toBeNull();
  });

  it("kills older links when a newer one is mailed; resend is throttled and false once verified", async () => {
    const { user, ctx } = await register();
    const first = await tokenFor(user.email);
    // Mail is read back newest first by the time it was queued.
    bed.clock.advance(1000);
    expect(await bed.services.emailVerifications.resend(ctx)).toBe(true);
    const second = await tokenFor(user.email);
    expect(second).not.toBe(first);
    expect(await mails("EMAIL_VERIFICATION")).toHaveLength(1);

    const superseded = await failure(verify(first));
    expect(superseded.extra?.reason).toBe(UsersErrorCode.INVALID_VERIFICATION_TOKEN);
    bed.clock.advance(1000);
    await bed.services.emailVerifications.resend(ctx);
    bed.clock.advance(1000);
    await bed.services.emailVerifications.resend(ctx);
    const throttled = await failure(bed.services.emailVerifications.resend(ctx));
    expect(throttled).toMatchObject({
      code: ErrorCode.RATE_LIMITED,
      extra: { reason: UsersErrorCode.EMAIL_VERIFICATION_THROTTLED, retryAfterSeconds: expect.any(Number) },
    });

    await verify(await tokenFor(user.email));
    bed.clock.advance(HOUR);
    expect(await bed.services.emailVerifications.resend(ctx)).toBe(false);
  });

  it("refuses nonsense tokens with the same code", async () => {
    for (const token of ["", "   ", "x".repeat(500), "not-a-token"]) {
      expect((await failure(verify(token))).extra?.reason).toBe(UsersErrorCode.INVALID_VERIFICATION_TOKEN);
    }
  });

  it("exports the verification state and links, and closure deletes the links", async () => {
    const { user } = await register();
    await verify(await tokenFor(user.email));
    const subject = { userId: user.id, email: user.email, phone: null };
    const document = await bed.platform.personalData.exportAll(bed.ctx(), subject);
    expect(document.accountEmail).toMatchObject({
      emailVerified: true,
      emailVerifiedAt: bed.clock.now().toISOString(),
      verificationLinks: [{ email: user.email, verifiedAt: bed.clock.now().toISOString() }],
    });
    expect(JSON.stringify(document.accountEmail)).not.toMatch(/token/i);

    await bed.services.users.close(bed.ctx({ kind: "system", name: "test" }), user.id);
    expect(await bed.ctx().manager.countBy(EmailVerificationEntity, { userId: user.id })).toBe(0);
    expect(await verifiedAt(user.id)).toBeNull();
  });
});
