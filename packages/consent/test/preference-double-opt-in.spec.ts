import { Channel, ManualClock, Topic } from "@honour/platform";
import { lastVerificationToken, signUpTestAccount, testDatabaseKinds } from "@honour/testing";
import { type RegistrationDetails } from "@honour/users";
import { ConsentMethod } from "../src";
import { ConsentEventEntity } from "../src/preference/consent-event.entity";
import { ConsentProofEntity } from "../src/preference/consent-proof.entity";
import { PendingConsentEntity } from "../src/preference/pending-consent.entity";
import { openConsentTestBed, type ConsentTestBed } from "./consent-test-bed";

const grant = (topic: Topic, channel: Channel, granted = true) => ({ topic, channel, granted });

describe.each(testDatabaseKinds())("double opt-in of the preference centre on %s", (kind) => {
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
  const states = async (userId: string) =>
    (await bed.services.consent.preferences(bed.ctx(), userId))
      .filter((p) => p.granted || p.pending)
      .map((p) => `${p.topic}/${p.channel}:${p.granted ? "granted" : "pending"}`)
      .sort();
  const recipients = (topic: Topic) => bed.services.sender.eligibleRecipients(bed.ctx(), topic);

  it("keeps an unverified account's email grant pending, out of campaigns, until the address is verified", async () => {
    const { ctx, user } = await register({ email: "new@example.com", communications: [] });
    const answer = await bed.services.consent.setPreferences(ctx, [
      grant(Topic.NEWSLETTER, Channel.EMAIL),
      grant(Topic.PRODUCT_UPDATES, Channel.TELEPHONE),
    ]);
    // The answer says it honestly: waiting, not granted. Other channels are not about the address.
    expect(answer.find((p) => p.topic === Topic.NEWSLETTER && p.channel === Channel.EMAIL)).toMatchObject({
      granted: false,
      pending: true,
    });
    expect(await states(user.id)).toEqual(["NEWSLETTER/EMAIL:pending", "PRODUCT_UPDATES/TELEPHONE:granted"]);
    expect(await bed.dataSource.manager.countBy(ConsentEventEntity, { channel: Channel.EMAIL })).toBe(0);
    expect(await recipients(Topic.NEWSLETTER)).toEqual([]);
    const exported = await bed.services.pendingConsents.export(bed.ctx(), {
      userId: user.id,
      email: user.email,
      phone: null,
    });
    expect(exported.waitingForVerification).toEqual([
      expect.objectContaining({ topic: Topic.NEWSLETTER, channel: Channel.EMAIL, chosenIn: "PREFERENCE_CENTRE" }),
    ]);

    (bed.clock as ManualClock).advance(60_000);
    await verify("new@example.com");

    expect(await states(user.id)).toEqual(["NEWSLETTER/EMAIL:granted", "PRODUCT_UPDATES/TELEPHONE:granted"]);
    expect(await recipients(Topic.NEWSLETTER)).toEqual([user.id]);
    const entry = await bed.dataSource.manager.findOneByOrFail(ConsentEventEntity, { channel: Channel.EMAIL });
    expect(entry).toMatchObject({
      topic: Topic.NEWSLETTER,
      action: "GRANTED",
      method: ConsentMethod.PREFERENCE_CENTRE,
    });
    const proof = await bed.dataSource.manager.findOneByOrFail(ConsentProofEntity, { eventId: entry.id });
    expect(proof.proof).toMatch(/^email-verification:[0-9a-f-]{36}$/);
    // When it was chosen, a minute before the verification granted it.
    expect(entry.occurredAt.getTime() - proof.chosenAt.getTime()).toBe(60_000);
    expect(await bed.dataSource.manager.countBy(PendingConsentEntity, { userId: user.id })).toBe(0);
  });

  it("drops a pending grant the person withdraws before verifying, the soft opt-in's as well", async () => {
    // No choice on the form: the soft opt-in's four email topics wait for the verification.
    const { ctx, user } = await register({ email: "soft@example.com" });
    expect(await states(user.id)).toHaveLength(4);
    const answer = await bed.services.consent.setPreferences(ctx, [grant(Topic.NEWSLETTER, Channel.EMAIL, false)]);
    expect(answer.find((p) => p.topic === Topic.NEWSLETTER && p.channel === Channel.EMAIL)).toMatchObject({
      granted: false,
      pending: false,
    });
    await bed.services.consent.setPreferences(ctx, [grant(Topic.PARTNER_OFFERS, Channel.EMAIL)]);
    await bed.services.consent.optOutOfAll(ctx, Channel.TELEPHONE);
    expect(await states(user.id)).toEqual([
      "COMPANY_INFO/EMAIL:pending",
      "PARTNER_OFFERS/EMAIL:pending",
      "PRODUCT_UPDATES/EMAIL:pending",
      "SPECIAL_OFFERS/EMAIL:pending",
    ]);

    await verify("soft@example.com");
    expect(await states(user.id)).toEqual([
      "COMPANY_INFO/EMAIL:granted",
      "PARTNER_OFFERS/EMAIL:granted",
      "PRODUCT_UPDATES/EMAIL:granted",
      "SPECIAL_OFFERS/EMAIL:granted",
    ]);
    const methods = (await bed.dataSource.manager.find(ConsentEventEntity)).map((e) => `${e.topic}:${e.method}`);
    expect(methods.sort()).toEqual([
      "COMPANY_INFO:SOFT_OPT_IN",
      "PARTNER_OFFERS:PREFERENCE_CENTRE",
      "PRODUCT_UPDATES:SOFT_OPT_IN",
      "SPECIAL_OFFERS:SOFT_OPT_IN",
    ]);
  });

  it("drops everything pending when the person opts out of email", async () => {
    const { ctx, user } = await register({ email: "out@example.com", communications: [] });
    await bed.services.consent.setPreferences(ctx, [grant(Topic.NEWSLETTER, Channel.EMAIL)]);
    await bed.services.consent.optOutOfAll(ctx, Channel.EMAIL);
    expect(await states(user.id)).toEqual([]);
    await verify("out@example.com");
    expect(await states(user.id)).toEqual([]);
    expect(await recipients(Topic.NEWSLETTER)).toEqual([]);
  });

  it("grants at once for a verified account", async () => {
    const { ctx, user } = await bed.signUp({ email: "verified@example.com", communications: [] });
    await bed.services.consent.setPreferences(ctx, [grant(Topic.NEWSLETTER, Channel.EMAIL)]);
    expect(await states(user.id)).toEqual(["NEWSLETTER/EMAIL:granted"]);
    expect(await recipients(Topic.NEWSLETTER)).toEqual([user.id]);
  });
});
