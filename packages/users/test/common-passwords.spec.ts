import { ErrorCode } from "@honour/platform";
import { lastVerificationToken, testDatabaseKinds } from "@honour/testing";
import { UserEntity, UsersErrorCode } from "../src";
import { failure, openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

describe.each(testDatabaseKinds())("common passwords on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  const tooCommon = (field: string) => ({
    code: ErrorCode.BAD_USER_INPUT,
    fields: [{ field, message: expect.stringContaining("common") }],
    extra: { reason: UsersErrorCode.PASSWORD_TOO_COMMON, hint: expect.stringContaining("passphrase") },
  });

  it("refuses one at registration, and registers nothing", async () => {
    const error = await failure(
      bed.services.users.register(bed.ctx(), { email: "ada@example.com", name: "Ada", password: "password123" }),
    );
    expect(error).toMatchObject(tooCommon("input.password"));
    expect(await bed.ctx().manager.count(UserEntity)).toBe(0);
    await expect(lastVerificationToken(bed.ctx(), "ada@example.com")).rejects.toThrow();
  });

  it("refuses one as the new password of changePassword and of a reset link, which stays usable", async () => {
    const { ctx, user } = await bed.signUp({ email: "ada@example.com" });
    const changed = await failure(
      bed.services.users.changePassword(ctx, { currentPassword: PASSWORD, newPassword: "qwertyuiop" }),
    );
    expect(changed).toMatchObject(tooCommon("input.newPassword"));

    await bed.services.users.requestPasswordReset(bed.ctx(), user.email);
    const jobs = await bed.ctx().manager.query("SELECT payload FROM job");
    const text = jobs.map((j: { payload: string | object }) => JSON.stringify(j.payload)).join("");
    const token = /reset\?token=([A-Za-z0-9_-]+)/.exec(text)![1]!;
    const reset = await failure(bed.services.users.resetPassword(bed.ctx(), { token, newPassword: "1234567890" }));
    expect(reset).toMatchObject(tooCommon("input.newPassword"));
    await expect(
      bed.services.users.resetPassword(bed.ctx(), { token, newPassword: "a long and unusual phrase" }),
    ).resolves.toBeDefined();
  });
});
