import { ErrorCode, JobEntity, TRANSACTIONAL_MAIL_JOB } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { SessionEntity, UserEntity, UsersErrorCode } from "../src";
import { failure, openUsersTestBed, PASSWORD, type UsersTestBed } from "./users-test-bed";

describe.each(testDatabaseKinds())("profile and password on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  describe("updateProfile", () => {
    it("changes the given fields, clears those set to null and leaves the rest", async () => {
      const { ctx, user } = await bed.signUp({ organisation: "Old Ltd", jobTitle: "Clerk", referralSource: "Search" });
      bed.clock.advance(1000);

      const updated = await bed.services.users.updateProfile(ctx, {
        name: " New Name ",
        organisation: "New Ltd",
        jobTitle: null,
      });

      expect(updated).toMatchObject({
        name: "New Name",
        organisation: "New Ltd",
        jobTitle: null,
        referralSource: "Search",
      });
      expect(updated).not.toHaveProperty("passwordHash");
      const stored = await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id });
      expect(stored).toMatchObject({
        name: "New Name",
        organisation: "New Ltd",
        jobTitle: null,
        referralSource: "Search",
      });
      expect(stored.updatedAt.getTime()).toBe(bed.clock.now().getTime());
    });

    it("keeps billing details and order history by default, and switches them off and on", async () => {
      const { ctx, user } = await bed.signUp();
      expect(user).toMatchObject({ keepBillingDetails: true, keepOrderHistory: true });

      const updated = await bed.services.users.updateProfile(ctx, { keepBillingDetails: false });

      expect(updated).toMatchObject({ keepBillingDetails: false, keepOrderHistory: true });
      const stored = await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id });
      expect(stored).toMatchObject({ keepBillingDetails: false, keepOrderHistory: true });
      await bed.services.users.updateProfile(ctx, { keepBillingDetails: true, keepOrderHistory: false });
      expect(await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id })).toMatchObject({
        keepBillingDetails: true,
        keepOrderHistory: false,
      });
    });

    it("tells other domains when a switch changes, inside the same transaction", async () => {
      const { ctx, user } = await bed.signUp();
      const seen: unknown[] = [];
      let failNext = false;
      const unsubscribe = bed.platform.events.subscribe("users.profileSettingsChanged", async (tx, event) => {
        expect(tx.inTransaction).toBe(true);
        seen.push(event);
        if (failNext) throw new Error("the subscriber failed");
      });

      await bed.services.users.updateProfile(ctx, { name: "No switch changed", keepBillingDetails: true });
      expect(seen).toEqual([]);
      await bed.services.users.updateProfile(ctx, { keepOrderHistory: false });
      expect(seen).toEqual([{ userId: user.id, keepBillingDetails: true, keepOrderHistory: false }]);

      // A failing reaction undoes the change: the profile never says off while data is still kept.
      failNext = true;
      try {
        await expect(bed.services.users.updateProfile(ctx, { keepBillingDetails: false })).rejects.toThrow(
          "the subscriber failed",
        );
      } finally {
        unsubscribe();
      }
      expect((await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id })).keepBillingDetails).toBe(true);
    });

    it("keeps phone and fax in E.164 and the address whole, and clears them with null", async () => {
      const { ctx, user } = await bed.signUp();
      expect(user).toMatchObject({ phone: null, fax: null, address: null });

      const updated = await bed.services.users.updateProfile(ctx, {
        phone: "+44 (20) 7946-0000",
        fax: " +44.20.7946.0001 ",
        address: { line1: " 1  High Street ", city: "London", postcode: "sw1a 1aa", country: "gb" },
      });

      const address = { line1: "1 High Street", line2: null, city: "London", postcode: "SW1A 1AA", country: "GB" };
      expect(updated).toMatchObject({ phone: "+442079460000", fax: "+442079460001", address });
      const stored = await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id });
      expect(stored).toMatchObject({ phone: "+442079460000", fax: "+442079460001", address });

      await bed.services.users.updateProfile(ctx, { phone: null, address: null });
      expect(await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id })).toMatchObject({
        phone: null,
        fax: "+442079460001",
        address: null,
        addressLine1: null,
        addressCountry: null,
      });
    });

    it("refuses a malformed number and an incomplete address with BAD_USER_INPUT, changing nothing", async () => {
      const { ctx, user } = await bed.signUp();

      const error = await failure(
        bed.services.users.updateProfile(ctx, {
          name: "Changed",
          phone: "020 7946 0000",
          fax: "+0 123",
          address: { line1: "1 High Street", city: " ", postcode: "SW1A 1AA", country: "XX" },
        }),
      );

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field).sort()).toEqual([
        "input.address.city",
        "input.address.country",
        "input.fax",
        "input.phone",
      ]);
      expect(await bed.ctx().manager.findOneByOrFail(UserEntity, { id: user.id })).toMatchObject({
        name: user.name,
        phone: null,
        fax: null,
        address: null,
      });
    });

    it("refuses null for a switch with BAD_USER_INPUT", async () => {
      const { ctx } = await bed.signUp();
      const error = await failure(bed.services.users.updateProfile(ctx, { keepOrderHistory: null }));
      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field)).toEqual(["input.keepOrderHistory"]);
    });

    it("refuses an empty name and a non-http organisation URL with BAD_USER_INPUT", async () => {
      const { ctx } = await bed.signUp();

      const error = await failure(
        bed.services.users.updateProfile(ctx, { name: null, organisationUrl: "ftp://x.example" }),
      );

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field).sort()).toEqual(["input.name", "input.organisationUrl"]);
    });

    it("never switches the email itself: that is requestEmailChange, confirmed from the new mailbox", async () => {
      const { ctx, user } = await bed.signUp({ email: "old@example.com" });

      for (const changes of [{ email: "new@example.com" }, { email: "new@example.com", currentPassword: PASSWORD }]) {
        const error = await failure(bed.services.users.updateProfile(ctx, { ...changes, name: "Renamed" }));
        expect(error).toMatchObject({
          code: ErrorCode.BAD_USER_INPUT,
          extra: { reason: UsersErrorCode.EMAIL_CHANGE_NEEDS_CONFIRMATION },
        });
        expect(error.fields?.map((f) => f.field)).toEqual(["input.email"]);
      }
      expect(await bed.services.users.findById(bed.ctx(), user.id)).toMatchObject({
        email: "old@example.com",
        name: user.name,
      });
    });

    it("needs no password when the email only differs in case or spacing", async () => {
      const { ctx } = await bed.signUp({ email: "same@example.com" });

      const updated = await bed.services.users.updateProfile(ctx, { email: " SAME@example.com", name: "Renamed" });

      expect(updated).toMatchObject({ email: "same@example.com", name: "Renamed" });
    });

    it("refuses an anonymous caller with UNAUTHENTICATED", async () => {
      const error = await failure(bed.services.users.updateProfile(bed.ctx(), { name: "Nobody" }));

      expect(error.code).toBe(ErrorCode.UNAUTHENTICATED);
    });
  });

  describe("changePassword", () => {
    it("revokes every other session of the user but keeps the current one", async () => {
      const { ctx, user, token } = await bed.signUp({ email: "ada@example.com" });
      const laptop = await bed.services.sessions.create(bed.ctx(), user.id);
      const phone = await bed.services.sessions.create(bed.ctx(), user.id);
      const someoneElse = await bed.signUp();

      await bed.services.users.changePassword(ctx, {
        currentPassword: PASSWORD,
        newPassword: "a brand new passphrase",
      });

      expect((await bed.services.sessions.resolveActor(bed.ctx(), token)).kind).toBe("user");
      expect((await bed.services.sessions.resolveActor(bed.ctx(), laptop.token)).kind).toBe("anonymous");
      expect((await bed.services.sessions.resolveActor(bed.ctx(), phone.token)).kind).toBe("anonymous");
      expect((await bed.services.sessions.resolveActor(bed.ctx(), someoneElse.token)).kind).toBe("user");
      expect(await bed.ctx().manager.countBy(SessionEntity, { userId: user.id })).toBe(1);
    });

    it("tells the owner by mail, queued with the change and free of the password", async () => {
      const { ctx, user } = await bed.signUp({ email: "ada@example.com" });

      await bed.services.users.changePassword(ctx, {
        currentPassword: PASSWORD,
        newPassword: "a brand new passphrase",
      });

      const jobs = (await bed.ctx().manager.findBy(JobEntity, { name: TRANSACTIONAL_MAIL_JOB })).filter(
        // The welcome mail of the registration aside.
        (job) => (job.payload as { kind: string }).kind !== "WELCOME",
      );
      expect(jobs).toHaveLength(1);
      expect(jobs[0]!.payload).toMatchObject({
        kind: "PASSWORD_CHANGED",
        to: { name: user.name, address: "ada@example.com" },
      });
      expect(JSON.stringify(jobs[0]!.payload)).not.toContain("a brand new passphrase");
      expect(JSON.stringify(jobs[0]!.payload)).not.toContain(PASSWORD);

      // A change that fails (wrong current password) sends nothing.
      await failure(
        bed.services.users.changePassword(ctx, { currentPassword: "not-the-password", newPassword: "x".repeat(12) }),
      );
      expect(await bed.ctx().manager.countBy(JobEntity, { name: TRANSACTIONAL_MAIL_JOB })).toBe(1);
    });

    it("makes the new password the one that signs in", async () => {
      const { ctx } = await bed.signUp({ email: "ada@example.com" });

      await bed.services.users.changePassword(ctx, {
        currentPassword: PASSWORD,
        newPassword: "a brand new passphrase",
      });

      await expect(
        bed.services.users.signIn(bed.ctx(), "ada@example.com", "a brand new passphrase"),
      ).resolves.toBeDefined();
      expect((await failure(bed.services.users.signIn(bed.ctx(), "ada@example.com", PASSWORD))).code).toBe(
        ErrorCode.UNAUTHENTICATED,
      );
    });

    it("refuses a wrong current password with BAD_USER_INPUT and changes nothing", async () => {
      const { ctx, user } = await bed.signUp({ email: "ada@example.com" });
      const other = await bed.services.sessions.create(bed.ctx(), user.id);

      const error = await failure(
        bed.services.users.changePassword(ctx, {
          currentPassword: "not my password",
          newPassword: "a brand new passphrase",
        }),
      );

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field)).toEqual(["input.currentPassword"]);
      expect((await bed.services.sessions.resolveActor(bed.ctx(), other.token)).kind).toBe("user");
      await expect(bed.services.users.signIn(bed.ctx(), "ada@example.com", PASSWORD)).resolves.toBeDefined();
    });

    it("refuses a weak new password with BAD_USER_INPUT on input.newPassword", async () => {
      const { ctx } = await bed.signUp();

      const error = await failure(
        bed.services.users.changePassword(ctx, { currentPassword: PASSWORD, newPassword: "short" }),
      );

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field)).toEqual(["input.newPassword"]);
    });

    it("refuses an anonymous caller with UNAUTHENTICATED", async () => {
      const error = await failure(
        bed.services.users.changePassword(bed.ctx(), {
          currentPassword: PASSWORD,
          newPassword: "a brand new passphrase",
        }),
      );

      expect(error.code).toBe(ErrorCode.UNAUTHENTICATED);
    });
  });
});
