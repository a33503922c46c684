import { Channel, ErrorCode, Topic } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { UserEntity } from "@honour/users";
import { ConsentActorKind, ConsentMethod, ConsentPreferenceEntity } from "../src";
import { ConsentEventEntity } from "../src/preference/consent-event.entity";
import { SOFT_OPT_IN } from "../src/preference/consent.service";
import { failure, openConsentTestBed, PASSWORD, type ConsentTestBed } from "./consent-test-bed";

describe.each(testDatabaseKinds())("consent at registration on %s", (kind) => {
  let bed: ConsentTestBed;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  const granted = async (userId: string) =>
    (await bed.services.consent.preferences(bed.ctx(), userId))
      .filter((p) => p.granted)
      .map(({ topic, channel }) => `${topic}/${channel}`)
      .sort();

  it("grants the company's topics by email under the soft opt-in when the form offered no choice", async () => {
    const { user } = await bed.signUp();

    expect(await granted(user.id)).toEqual(
      ["COMPANY_INFO/EMAIL", "NEWSLETTER/EMAIL", "PRODUCT_UPDATES/EMAIL", "SPECIAL_OFFERS/EMAIL"].sort(),
    );
    expect(SOFT_OPT_IN.some((c) => c.topic === Topic.PARTNER_OFFERS)).toBe(false);
    const events = await bed.dataSource.manager.find(ConsentEventEntity);
    expect(events).toHaveLength(4);
    for (const event of events) {
      expect(event).toMatchObject({
        action: "GRANTED",
        method: ConsentMethod.SOFT_OPT_IN,
        actorKind: ConsentActorKind.PERSON,
        actorRef: null,
        policyVersion: 1,
      });
    }
  });

  it("records exactly the pairs the form ticked, partner offers included when ticked", async () => {
    const { user } = await bed.signUp({
      communications: [
        { topic: Topic.NEWSLETTER, channel: Channel.EMAIL },
        { topic: Topic.PARTNER_OFFERS, channel: Channel.EMAIL },
        { topic: Topic.PRODUCT_UPDATES, channel: Channel.TELEPHONE },
      ],
    });

    expect(await granted(user.id)).toEqual(["NEWSLETTER/EMAIL", "PARTNER_OFFERS/EMAIL", "PRODUCT_UPDATES/TELEPHONE"]);
  });

  it("grants nothing when the form showed choices and none was ticked", async () => {
    const { user } = await bed.signUp({ communications: [] });

    expect(await granted(user.id)).toEqual([]);
    expect(await bed.dataSource.manager.count(ConsentEventEntity)).toBe(0);
  });

  it("never stores the account id in the ledger, only its keyed hash", async () => {
    const { user } = await bed.signUp();

    const events = await bed.dataSource.query("SELECT * FROM consent_event");
    expect(JSON.stringify(events)).not.toContain(user.id);
    expect(JSON.stringify(events)).not.toContain(user.email);
    expect(events[0].subjectHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("leaves no account and no consent behind when the registration fails", async () => {
    await bed.signUp({ email: "taken@example.com" });
    const before = await bed.dataSource.manager.count(ConsentEventEntity);

    const error = await failure(
      bed.users.users.register(bed.ctx(), { email: "TAKEN@example.com", password: PASSWORD, name: "Again" }),
    );

    expect(error.code).toBe(ErrorCode.CONFLICT);
    expect(await bed.dataSource.manager.count(UserEntity)).toBe(1);
    expect(await bed.dataSource.manager.count(ConsentEventEntity)).toBe(before);
  });

  it("withdraws everything when the account closes, and never sends to it again", async () => {
    const { user } = await bed.signUp({
      communications: [
        { topic: Topic.NEWSLETTER, channel: Channel.EMAIL },
        { topic: Topic.NEWSLETTER, channel: Channel.MAIL },
      ],
    });

    await bed.closeAccount(user.id);

    expect(await granted(user.id)).toEqual([]);
    const withdrawals = await bed.dataSource.manager.findBy(ConsentEventEntity, { action: "WITHDRAWN" as never });
    expect(withdrawals.map((e) => e.method)).toEqual([ConsentMethod.ACCOUNT_CLOSED, ConsentMethod.ACCOUNT_CLOSED]);
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, user.email)).toBe(true);
    // The current state goes with the account; the ledger keeps the record.
    expect(await bed.dataSource.manager.findBy(ConsentPreferenceEntity, { userId: user.id })).toEqual([]);
  });
});
