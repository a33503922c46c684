import { Channel, ManualClock, Role, Topic } from "@honour/platform";
import { lastVerificationToken, signUpTestAccount, testDatabaseKinds } from "@honour/testing";
import { type RegistrationDetails } from "@honour/users";
import { ConsentMethod } from "../src";
import { ConsentEventEntity } from "../src/preference/consent-event.entity";
import { ConsentProofEntity } from "../src/preference/consent-proof.entity";
import { PendingConsentEntity } from "../src/preference/pending-consent.entity";
import { SuppressionEntity, SuppressionReason } from "../src/suppression/suppression.entity";
import { openConsentTestBed, PASSWORD, type ConsentTestBed } from "./consent-test-bed";

const NEWSLETTER_BY_EMAIL = [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }];

describe.each(testDatabaseKinds())("double opt-in of registration topics on %s", (kind) => {
  let bed: ConsentTestBed;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  /** Registers without using the welcome mail's link. */
  const register = (details: Partial<RegistrationDetails>) =>
    signUpTestAccount(bed.users, bed.ctx, details, undefined, { verifyEmail: false });
  const verify = async (email: string) =>
    bed.users.emailVerifications.verify(bed.ctx(), await lastVerificationToken(bed.ctx(), email));
  const granted = async (userId: string) =>
    (await bed.services.consent.preferences(bed.ctx(), userId))
      .filter((p) => p.granted)
      .map(({ topic, channel }) => `${topic}/${channel}`)
      .sort();

  it("keeps ticked topics pending until the address is verified, then grants them with the verification as proof", async () => {
    const { user } = await register({
      communications: [...NEWSLETTER_BY_EMAIL, { topic: Topic.PRODUCT_UPDATES, channel: Channel.TELEPHONE }],
    });
    expect(await granted(user.id)).toEqual([]);
    expect(await bed.dataSource.manager.count(ConsentEventEntity)).toBe(0);
    expect(await bed.dataSource.manager.countBy(PendingConsentEntity, { userId: user.id })).toBe(2);
    const pendingExport = await bed.services.pendingConsents.export(bed.ctx(), {
      userId: user.id,
      email: user.email,
      phone: null,
    });
    expect(pendingExport.waitingForVerification).toHaveLength(2);

    (bed.clock as ManualClock).advance(60_000);
    await verify(user.email);

    expect(await granted(user.id)).toEqual(["NEWSLETTER/EMAIL", "PRODUCT_UPDATES/TELEPHONE"]);
    expect(await bed.dataSource.manager.countBy(PendingConsentEntity, { userId: user.id })).toBe(0);
    const events = await bed.dataSource.manager.find(ConsentEventEntity);
    expect(events.map((e) => e.method)).toEqual([ConsentMethod.REGISTRATION_FORM, ConsentMethod.REGISTRATION_FORM]);
    const proofs = await bed.dataSource.manager.find(ConsentProofEntity);
    expect(proofs.map((p) => p.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    for (const proof of proofs) {
      expect(proof.proof).toMatch(/^email-verification:[0-9a-f-]{36}$/);
      // When it was ticked, a minute before the grant.
      expect(events[0]!.occurredAt.getTime() - proof.chosenAt.getTime()).toBe(60_000);
    }
    const after = await bed.services.pendingConsents.export(bed.ctx(), {
      userId: user.id,
      email: user.email,
      phone: null,
    });
    expect(after).toMatchObject({ waitingForVerification: [], verifiedGrants: expect.any(Array) });
    expect((after.verifiedGrants as unknown[]).length).toBe(2);
  });

  it("never lifts an ACCOUNT_CLOSED suppression for an unverified registration, and does once its owner verifies", async () => {
    const { user: first } = await bed.signUp({ email: "owner@example.com", communications: NEWSLETTER_BY_EMAIL });
    await bed.closeAccount(first.id);
    const entry = {
      channel: Channel.EMAIL,
      identifierHash: bed.services.suppressions.hash(Channel.EMAIL, "owner@example.com"),
    };
    expect(await bed.dataSource.manager.findOneBy(SuppressionEntity, entry)).toMatchObject({
      reason: SuppressionReason.ACCOUNT_CLOSED,
      liftedAt: null,
    });

    // Somebody registers with the address and ticks the newsletter: the suppression stands.
    const { user } = await register({ email: "owner@example.com", communications: NEWSLETTER_BY_EMAIL });
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, "owner@example.com")).toBe(true);
    expect(await granted(user.id)).toEqual([]);

    // The address's owner uses the link: their explicit choice, now proved, lifts it.
    await verify("owner@example.com");
    expect(await granted(user.id)).toEqual(["NEWSLETTER/EMAIL"]);
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, "owner@example.com")).toBe(false);
  });

  it("grants the soft opt-in only on verification, and never to a suppressed address", async () => {
    await bed.services.suppressions.recordRemovalRequest(bed.ctx(await bed.staff(Role.SUPPORT)), {
      channel: Channel.EMAIL,
      value: "asked-to-be-removed@example.com",
    });
    const { user: removed } = await register({ email: "asked-to-be-removed@example.com" });
    const { user: fresh } = await register({ email: "fresh@example.com" });
    expect(await granted(fresh.id)).toEqual([]);

    await verify("asked-to-be-removed@example.com");
    await verify("fresh@example.com");

    expect(await granted(removed.id)).toEqual([]);
    expect(
      await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, "asked-to-be-removed@example.com"),
    ).toBe(true);
    expect(await granted(fresh.id)).toHaveLength(4);
    expect(await bed.dataSource.manager.countBy(PendingConsentEntity, { userId: removed.id })).toBe(0);
  });

  it("deletes what still waits when the account closes", async () => {
    const { user } = await register({ communications: NEWSLETTER_BY_EMAIL });
    await bed.closeAccount(user.id);
    expect(await bed.dataSource.manager.countBy(PendingConsentEntity, { userId: user.id })).toBe(0);
    expect(await bed.dataSource.manager.count(ConsentEventEntity)).toBe(0);
  });

  it("lets the person's own opt-out follow them to a new address, but not a bounce of the old one", async () => {
    const changeTo = async (ctx: Parameters<typeof bed.users.emailChanges.request>[0], newEmail: string) => {
      await bed.users.emailChanges.request(ctx, { newEmail, currentPassword: PASSWORD });
      const jobs = await bed.dataSource.manager.query("SELECT payload FROM job");
      const text = jobs.map((j: { payload: unknown }) => JSON.stringify(j.payload)).join("");
      const token = [...text.matchAll(/account\/email\?token=([A-Za-z0-9_-]+)/g)].at(-1)![1]!;
      await bed.users.emailChanges.confirm(bed.ctx(), token);
    };
    const leaver = await bed.signUp({ email: "leaver@example.com", communications: NEWSLETTER_BY_EMAIL });
    await bed.services.consent.optOutOfAll(leaver.ctx, Channel.EMAIL);
    await changeTo(leaver.ctx, "leaver-new@example.com");
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, "leaver-new@example.com")).toBe(true);

    const bounced = await bed.signUp({ email: "bounced@example.com", communications: NEWSLETTER_BY_EMAIL });
    await bed.services.suppressions.suppress(bed.ctx(), {
      channel: Channel.EMAIL,
      identifier: "bounced@example.com",
      reason: SuppressionReason.BOUNCED,
      userId: bounced.user.id,
    });
    (bed.clock as ManualClock).advance(1000);
    await changeTo(bounced.ctx, "bounced-new@example.com");
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, "bounced-new@example.com")).toBe(
      false,
    );
    // Grants are the account's: the newsletter goes to the new, verified address.
    expect(await granted(bounced.user.id)).toEqual(["NEWSLETTER/EMAIL"]);
  });

  it("never lifts a suppression from the preference centre of an unverified account", async () => {
    const { user: first } = await bed.signUp({ email: "owner@example.com", communications: NEWSLETTER_BY_EMAIL });
    await bed.closeAccount(first.id);

    const { ctx, user } = await register({ email: "owner@example.com", communications: [] });
    await bed.services.consent.setPreferences(ctx, [
      { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: true },
    ]);
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, "owner@example.com")).toBe(true);

    // Verified, the same choice in the preference centre is the owner's own, and lifts it.
    await verify("owner@example.com");
    (bed.clock as ManualClock).advance(1000);
    await bed.services.consent.setPreferences(ctx, [
      { topic: Topic.SPECIAL_OFFERS, channel: Channel.EMAIL, granted: true },
    ]);
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, "owner@example.com")).toBe(false);
    expect(await granted(user.id)).toEqual(["NEWSLETTER/EMAIL", "SPECIAL_OFFERS/EMAIL"]);
  });
});
