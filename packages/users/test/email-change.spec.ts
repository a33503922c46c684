import { ErrorCode, JobEntity, TRANSACTIONAL_MAIL_JOB, type TransactionalMailPayload } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { IsNull } from "typeorm";
import { UserEntity, UsersErrorCode } from "../src";
import { EmailChangeEntity } from "../src/email-change/email-change.entity";
import { EmailVerificationEntity } from "../src/email-verification/email-verification.entity";
import { PasswordResetEntity } from "../src/password-reset/password-reset.entity";
import { failure, openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

const HOUR = 60 * 60 * 1000;

describe.each(testDatabaseKinds())("email change on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  async function mails(mailKind: string): Promise<TransactionalMailPayload[]> {
    const jobs = await bed.ctx().manager.find(JobEntity, {
      where: { name: TRANSACTIONAL_MAIL_JOB },
      order: { createdAt: "ASC", id: "ASC" },
    });
    return jobs.map((j) => j.payload as TransactionalMailPayload).filter((p) => p.kind === mailKind);
  }
  /** The token of the newest confirmation link mailed to `address`. */
  async function tokenFor(address: string): Promise<string> {
    const sent = (await mails("EMAIL_CHANGE_CONFIRMATION")).filter((m) => m.to.address === address);
    const token = /\/account\/email\?token=([A-Za-z0-9_-]+)/.exec(sent.at(-1)?.text ?? "")?.[1];
    expect(token).toBeDefined();
    return token!;
  }
  const stored = (id: string) => bed.ctx().manager.findOneByOrFail(UserEntity, { id });
  const request = (
    ctx: Awaited<ReturnType<UsersTestBed["signUp"]>>["ctx"],
    newEmail: string,
    currentPassword = PASSWORD,
  ) => bed.services.emailChanges.request(ctx, { newEmail, currentPassword });
  const confirm = (token: string) => bed.services.emailChanges.confirm(bed.ctx(), token);

  it("mails a link to the new address and a notice to the old; the old stays until the link is used", async () => {
    const { ctx, user } = await bed.signUp({ email: "old@example.com" });

    await request(ctx, " New@Example.com ");

    const [link] = await mails("EMAIL_CHANGE_CONFIRMATION");
    expect(link).toMatchObject({ to: { address: "new@example.com" }, accountId: user.id });
    expect(link!.html).toContain("/account/email?token=");
    const [notice] = await mails("EMAIL_CHANGE_REQUESTED");
    expect(notice).toMatchObject({ to: { address: "old@example.com" }, accountId: user.id });
    expect(notice!.text).not.toContain("token=");
    expect((await stored(user.id)).email).toBe("old@example.com");
    const [row] = await bed.ctx().manager.find(EmailChangeEntity);
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(24 * HOUR);
    expect(JSON.stringify(row)).not.toContain(await tokenFor("new@example.com"));
  });

  it("switches and verifies on confirmation, ends the old address's links, logs and mails both addresses", async () => {
    const { ctx, user } = await bed.signUp({ email: "old@example.com" });
    await bed.services.users.requestPasswordReset(bed.ctx(), "old@example.com");
    await bed.services.emailVerifications.resend(ctx).catch(() => false);
    bed.clock.advance(1000);
    await request(ctx, "new@example.com");
    bed.clock.advance(1000);

    const changed = await confirm(await tokenFor("new@example.com"));

    expect(changed).toMatchObject({ id: user.id, email: "new@example.com", emailVerifiedAt: bed.clock.now() });
    expect(await stored(user.id)).toMatchObject({ email: "new@example.com", emailVerifiedAt: bed.clock.now() });
    expect(await bed.ctx().manager.countBy(PasswordResetEntity, { userId: user.id, endedAt: IsNull() })).toBe(0);
    expect(await bed.ctx().manager.countBy(EmailVerificationEntity, { userId: user.id, endedAt: IsNull() })).toBe(0);
    const kinds = bed.securityEvents.filter((e) => e.userId === user.id).map((e) => e.kind);
    expect(kinds.slice(-2)).toEqual(["EMAIL_CHANGED", "EMAIL_VERIFIED"]);
    const after = await mails("EMAIL_CHANGED");
    expect(after.map((m) => m.to.address).sort()).toEqual(["new@example.com", "old@example.com"]);
    await expect(bed.services.users.signIn(bed.ctx(), "new@example.com", PASSWORD)).resolves.toBeDefined();
    expect((await failure(bed.services.users.signIn(bed.ctx(), "old@example.com", PASSWORD))).code).toBe(
      ErrorCode.UNAUTHENTICATED,
    );
  });

  it("takes a link once, not after it expired, and not after a newer request", async () => {
    const { ctx, user } = await bed.signUp({ email: "old@example.com" });
    await request(ctx, "first@example.com");
    const first = await tokenFor("first@example.com");
    bed.clock.advance(1000);
    await request(ctx, "second@example.com");
    const second = await tokenFor("second@example.com");

    const superseded = await failure(confirm(first));
    expect(superseded).toMatchObject({
      code: ErrorCode.BAD_USER_INPUT,
      extra: { reason: UsersErrorCode.INVALID_EMAIL_CHANGE_TOKEN },
      fields: [{ field: "token", message: "is not valid any more" }],
    });
    await confirm(second);
    expect((await failure(confirm(second))).extra?.reason).toBe(UsersErrorCode.INVALID_EMAIL_CHANGE_TOKEN);

    bed.clock.advance(1000);
    await request(ctx, "third@example.com");
    const third = await tokenFor("third@example.com");
    bed.clock.advance(24 * HOUR + 1);
    expect((await failure(confirm(third))).extra?.reason).toBe(UsersErrorCode.INVALID_EMAIL_CHANGE_TOKEN);
    expect((await stored(user.id)).email).toBe("second@example.com");
  });

  it("checks the input and the current password first, throttled like sign-in", async () => {
    const { ctx } = await bed.signUp({ email: "old@example.com" });

    const invalid = await failure(
      bed.services.emailChanges.request(ctx, { newEmail: "not an address", currentPassword: "" }),
    );
    expect(invalid.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(invalid.fields?.map((f) => f.field).sort()).toEqual(["input.currentPassword", "input.newEmail"]);
    const same = await failure(request(ctx, "OLD@example.com"));
    expect(same.fields).toEqual([{ field: "input.newEmail", message: "is your address already" }]);
    const wrong = await failure(request(ctx, "new@example.com", "not my password"));
    expect(wrong.fields?.map((f) => f.field)).toEqual(["input.currentPassword"]);
    expect(await mails("EMAIL_CHANGE_CONFIRMATION")).toEqual([]);
    const anonymous = await failure(request(bed.ctx(), "new@example.com"));
    expect(anonymous.code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it("does not tell the requester that an address is taken; confirming then answers EMAIL_TAKEN and changes nothing", async () => {
    await bed.signUp({ email: "taken@example.com" });
    const { ctx, user } = await bed.signUp({ email: "mine@example.com" });

    await expect(request(ctx, "TAKEN@example.com")).resolves.toBeUndefined();
    const taken = await failure(confirm(await tokenFor("taken@example.com")));

    expect(taken).toMatchObject({ code: ErrorCode.CONFLICT, extra: { reason: UsersErrorCode.EMAIL_TAKEN } });
    expect((await stored(user.id)).email).toBe("mine@example.com");
    expect(await mails("EMAIL_CHANGED")).toEqual([]);
  });

  it("exports the changes asked for, and closure deletes them and mails a confirmation that survives the erasure", async () => {
    const { ctx, user } = await bed.signUp({ email: "old@example.com" });
    await request(ctx, "new@example.com");
    const subject = { userId: user.id, email: user.email, phone: null };
    const document = await bed.platform.personalData.exportAll(bed.ctx(), subject);
    expect(document.accountEmail).toMatchObject({
      emailChanges: [{ newEmail: "new@example.com", confirmedAt: null, endedAt: null }],
    });

    await bed.services.users.close(bed.ctx({ kind: "system", name: "test" }), user.id);

    expect(await bed.ctx().manager.countBy(EmailChangeEntity, { userId: user.id })).toBe(0);
    const [closed] = await mails("ACCOUNT_CLOSED");
    expect(closed).toMatchObject({ to: { address: "old@example.com", name: user.name } });
    expect(closed!.accountId).toBeUndefined();
    expect(closed!.html).toContain("<p>");
  });
});
