import { ErrorCode, SecurityEventKind } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { PasskeyEntity } from "../src/passkey/passkey.entity";
import { WebauthnChallengeEntity } from "../src/passkey/webauthn-challenge.entity";
import { UsersErrorCode } from "../src";
import { failure, openUsersTestBed, type UsersTestBed } from "./users-test-bed";

// The ceremonies themselves run in Chromium with a virtual authenticator
// (apps/gateway/test/passkeys.browser.e2e-spec.ts); these are the service's own rules.

describe.each(testDatabaseKinds())("passkeys on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  /** A passkey row for `userId` as a registration would store it. */
  async function storedPasskey(userId: string, name = "Laptop") {
    const now = bed.clock.now();
    const row = {
      id: `00000000-0000-7000-8000-${String(Math.floor(Math.random() * 1e12)).padStart(12, "0")}`,
      userId,
      credentialId: `cred-${name}-${Math.random().toString(36).slice(2)}`,
      publicKey: "pQECAyYgASFYIA",
      counter: 0,
      transports: "internal",
      name,
      createdAt: now,
      lastUsedAt: null,
    };
    await bed.ctx().manager.insert(PasskeyEntity, row);
    return row;
  }

  it("offers registration options for the relying party, naming the account by its id, excluding its passkeys", async () => {
    const { ctx, user } = await bed.signUp({ email: "ada@example.com" });
    const existing = await storedPasskey(user.id);

    const options = await bed.services.passkeys.startRegistration(ctx);

    expect(options.rp).toEqual({ name: "Honour", id: "127.0.0.1" });
    expect(options.user).toMatchObject({ name: "ada@example.com", id: Buffer.from(user.id).toString("base64url") });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(options.excludeCredentials).toEqual([
      { id: existing.credentialId, type: "public-key", transports: ["internal"] },
    ]);
    expect(await bed.ctx().manager.findOneBy(WebauthnChallengeEntity, { challenge: options.challenge })).toMatchObject({
      purpose: "REGISTRATION",
      userId: user.id,
    });
  });

  it("refuses an answer that is not a credential, or answers an unknown challenge, as INVALID_PASSKEY", async () => {
    const { ctx } = await bed.signUp();
    await bed.services.passkeys.startRegistration(ctx);
    const clientData = Buffer.from(JSON.stringify({ type: "webauthn.create", challenge: "not-ours" })).toString(
      "base64url",
    );

    for (const response of [
      {},
      { id: "x", type: "public-key", response: {} },
      { id: "x", type: "public-key", response: { clientDataJSON: "%%%", attestationObject: "AA" } },
      { id: "x", type: "public-key", response: { clientDataJSON: clientData, attestationObject: "AA" } },
    ]) {
      const error = await failure(bed.services.passkeys.finishRegistration(ctx, response, "Laptop"));
      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.extra?.reason).toBe(UsersErrorCode.INVALID_PASSKEY);
    }
  });

  it("refuses a sign-in answer from an unknown passkey with UNAUTHENTICATED and logs it", async () => {
    const options = await bed.services.passkeys.startSignIn(bed.ctx());
    const clientData = Buffer.from(JSON.stringify({ type: "webauthn.get", challenge: options.challenge })).toString(
      "base64url",
    );
    const answer = {
      id: "unknown",
      type: "public-key",
      response: { clientDataJSON: clientData, authenticatorData: "AA", signature: "AA" },
    };

    const error = await failure(bed.services.users.signInWithPasskey(bed.ctx(), answer));

    expect(error.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(error.extra?.reason).toBe(UsersErrorCode.INVALID_PASSKEY_SIGN_IN);
    expect(bed.securityEvents).toContainEqual(
      expect.objectContaining({ kind: SecurityEventKind.LOGIN_FAILED, detail: "passkey not accepted" }),
    );
    // The challenge was spent by the attempt.
    expect(await bed.ctx().manager.count(WebauthnChallengeEntity)).toBe(0);
  });

  it("lists and removes one's own passkeys only; another person's id is NOT_FOUND", async () => {
    const ada = await bed.signUp({ email: "ada@example.com" });
    const grace = await bed.signUp({ email: "grace@example.com" });
    const laptop = await storedPasskey(ada.user.id, "Laptop");
    const phone = await storedPasskey(grace.user.id, "Phone");

    expect((await bed.services.passkeys.listFor(ada.ctx, ada.user.id)).map((p) => p.name)).toEqual(["Laptop"]);
    const notHers = await failure(bed.services.passkeys.remove(ada.ctx, phone.id));
    expect(notHers.code).toBe(ErrorCode.NOT_FOUND);
    expect(notHers.extra?.reason).toBe(UsersErrorCode.PASSKEY_NOT_FOUND);

    await bed.services.passkeys.remove(ada.ctx, laptop.id);

    expect(await bed.services.passkeys.listFor(ada.ctx, ada.user.id)).toEqual([]);
    expect(await bed.services.passkeys.listFor(grace.ctx, grace.user.id)).toHaveLength(1);
  });

  it("exports passkeys by name and dates only, and closure deletes them and pending challenges at once", async () => {
    const { ctx, user } = await bed.signUp({ email: "ada@example.com" });
    const laptop = await storedPasskey(user.id, "Laptop");
    await bed.services.passkeys.startRegistration(ctx);
    const subject = await bed.services.users.personalDataSubject(bed.ctx(), user.id);

    const exported = await bed.services.personalData.export(bed.ctx(), subject);

    expect(exported.passkeys).toEqual([
      { name: "Laptop", createdAt: laptop.createdAt.toISOString(), lastUsedAt: null },
    ]);
    expect(JSON.stringify(exported)).not.toContain(laptop.credentialId);

    await bed.services.users.close(bed.ctx(), user.id);

    expect(await bed.ctx().manager.countBy(PasskeyEntity, { userId: user.id })).toBe(0);
    expect(await bed.ctx().manager.countBy(WebauthnChallengeEntity, { userId: user.id })).toBe(0);
  });
});
