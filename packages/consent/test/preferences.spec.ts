import { Channel, CHANNELS, ErrorCode, ManualClock, Topic, TOPICS } from "@honour/platform";
import { statementsOf, testDatabaseKinds } from "@honour/testing";
import { ConsentMethod, type PreferenceChange } from "../src";
import { ConsentEventEntity } from "../src/preference/consent-event.entity";
import { MAX_PREFERENCE_CHANGES } from "../src/preference/consent.service";
import { SuppressionEntity, SuppressionReason } from "../src/suppression/suppression.entity";
import { consentSnapshot, failure, openConsentTestBed, type ConsentTestBed } from "./consent-test-bed";

describe.each(testDatabaseKinds())("preferences on %s", (kind) => {
  let bed: ConsentTestBed;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());
  const clock = () => bed.clock as ManualClock;

  it("lists every topic on every channel, granted or not, in a fixed order", async () => {
    const { ctx } = await bed.signUp({ communications: [{ topic: Topic.NEWSLETTER, channel: Channel.FAX }] });

    const preferences = await bed.services.consent.myPreferences(ctx);

    expect(preferences).toHaveLength(TOPICS.length * CHANNELS.length);
    expect(preferences.map((p) => `${p.topic}/${p.channel}`)).toEqual(
      TOPICS.flatMap((t) => CHANNELS.map((c) => `${t}/${c}`)),
    );
    expect(preferences.filter((p) => p.granted)).toEqual([
      {
        topic: Topic.NEWSLETTER,
        channel: Channel.FAX,
        granted: true,
        pending: false,
        updatedAt: clock().now(),
        policyVersion: 1,
      },
    ]);
    expect(preferences.find((p) => p.topic === Topic.COMPANY_INFO && p.channel === Channel.EMAIL)).toEqual({
      topic: Topic.COMPANY_INFO,
      channel: Channel.EMAIL,
      granted: false,
      pending: false,
      updatedAt: null,
      policyVersion: null,
    });
  });

  it("grants and withdraws, appending one ledger entry per change and none for what stays", async () => {
    const { ctx } = await bed.signUp({ communications: [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }] });
    clock().advance(60_000);

    const after = await bed.services.consent.setPreferences(ctx, [
      { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: true }, // unchanged
      { topic: Topic.SPECIAL_OFFERS, channel: Channel.TELEPHONE, granted: true },
      { topic: Topic.PRODUCT_UPDATES, channel: Channel.MAIL, granted: false }, // never granted: unchanged
    ]);
    clock().advance(1000);
    await bed.services.consent.setPreferences(ctx, [
      { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: false },
    ]);

    expect(after.filter((p) => p.granted).map((p) => `${p.topic}/${p.channel}`)).toEqual([
      "SPECIAL_OFFERS/TELEPHONE",
      "NEWSLETTER/EMAIL",
    ]);
    const events = await bed.dataSource.manager.find(ConsentEventEntity, { order: { occurredAt: "ASC" } });
    expect(events.map((e) => [e.topic, e.channel, e.action, e.method])).toEqual([
      ["NEWSLETTER", "EMAIL", "GRANTED", ConsentMethod.REGISTRATION_FORM],
      ["SPECIAL_OFFERS", "TELEPHONE", "GRANTED", ConsentMethod.PREFERENCE_CENTRE],
      ["NEWSLETTER", "EMAIL", "WITHDRAWN", ConsentMethod.PREFERENCE_CENTRE],
    ]);
  });

  it("shows the signed-in person their own history, newest first, page by page", async () => {
    const { ctx } = await bed.signUp({ communications: [] });
    const other = await bed.signUp();
    for (const topic of [Topic.COMPANY_INFO, Topic.NEWSLETTER, Topic.PARTNER_OFFERS]) {
      clock().advance(1000);
      await bed.services.consent.setPreferences(ctx, [{ topic, channel: Channel.EMAIL, granted: true }]);
    }

    const first = await bed.services.consent.myHistory(ctx, { first: 2 });
    const second = await bed.services.consent.myHistory(ctx, { first: 2, after: first.pageInfo.endCursor });

    expect(first.nodes.map((e) => e.topic)).toEqual([Topic.PARTNER_OFFERS, Topic.NEWSLETTER]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(second.nodes.map((e) => e.topic)).toEqual([Topic.COMPANY_INFO]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect((await bed.services.consent.myHistory(other.ctx, {})).nodes).toHaveLength(4);
  });

  it("opts out of everything on a channel and suppresses the address until the person grants again", async () => {
    const { ctx, user } = await bed.signUp();
    clock().advance(1000);

    const after = await bed.services.consent.optOutOfAll(ctx, Channel.EMAIL);

    expect(after.filter((p) => p.granted)).toEqual([]);
    const entry = await bed.dataSource.manager.findOneByOrFail(SuppressionEntity, { channel: Channel.EMAIL });
    expect(entry).toMatchObject({ reason: SuppressionReason.UNSUBSCRIBED, liftedAt: null, userId: user.id });
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, user.email)).toBe(true);

    // Withdrawing more is not an explicit wish to hear from us: the suppression stays.
    await bed.services.consent.setPreferences(ctx, [{ topic: Topic.NEWSLETTER, channel: Channel.FAX, granted: false }]);
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, user.email)).toBe(true);
    // Granting on the channel is: it lifts it.
    await bed.services.consent.setPreferences(ctx, [
      { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: true },
    ]);
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, user.email)).toBe(false);
  });

  it("opts out of a channel without suppressing anything when the profile has no number for it", async () => {
    const { ctx } = await bed.signUp({ communications: [{ topic: Topic.NEWSLETTER, channel: Channel.TELEPHONE }] });

    const after = await bed.services.consent.optOutOfAll(ctx, Channel.TELEPHONE);

    expect(after.some((p) => p.channel === Channel.TELEPHONE && p.granted)).toBe(false);
    expect(await bed.dataSource.manager.count(SuppressionEntity)).toBe(0);
  });

  describe("bad input", () => {
    const cases: [string, PreferenceChange[], string[]][] = [
      ["an unknown topic", [{ topic: "SPAM" as Topic, channel: Channel.EMAIL, granted: true }], ["input.0.topic"]],
      [
        "an unknown channel",
        [
          { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: true },
          { topic: Topic.NEWSLETTER, channel: "PIGEON" as Channel, granted: true },
        ],
        ["input.1.channel"],
      ],
      [
        "a pair listed twice",
        [
          { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: true },
          { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: false },
        ],
        ["input.1"],
      ],
      [
        "10 000 entries",
        Array.from({ length: 10_000 }, (_, i) => ({
          topic: TOPICS[i % TOPICS.length]!,
          channel: CHANNELS[i % CHANNELS.length]!,
          granted: true,
        })),
        ["input"],
      ],
    ];

    it.each(cases)("refuses %s with BAD_USER_INPUT and writes nothing", async (_name, input, fields) => {
      const { ctx } = await bed.signUp();
      const before = await consentSnapshot(bed.dataSource);

      const error = await failure(bed.services.consent.setPreferences(ctx, input));

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field)).toEqual(fields);
      expect(await consentSnapshot(bed.dataSource)).toEqual(before);
    });

    it("accepts every topic on every channel at once", async () => {
      const { ctx } = await bed.signUp();
      const all = TOPICS.flatMap((topic) => CHANNELS.map((channel) => ({ topic, channel, granted: true })));
      expect(all).toHaveLength(MAX_PREFERENCE_CHANGES);

      const after = await bed.services.consent.setPreferences(ctx, all);

      expect(after.every((p) => p.granted)).toBe(true);
    });

    it("writes any number of changes in a fixed number of statements and answers what it wrote", async () => {
      const { ctx } = await bed.signUp();
      const all = (granted: boolean) =>
        TOPICS.flatMap((topic) => CHANNELS.map((channel) => ({ topic, channel, granted })));

      const granting = await statementsOf(bed.dataSource, () => bed.services.consent.setPreferences(ctx, all(true)));
      clock().advance(1000);
      const withdrawing = await statementsOf(bed.dataSource, () =>
        bed.services.consent.setPreferences(ctx, all(false)),
      );

      // The account locked with the policy version; the preferences with the pairs waiting; the
      // ledger entries; the preference rows; then, granting, the suppression lifted on the one
      // channel the profile has an identifier for (the address).
      const verbs = (sql: string[]) => sql.map((s) => /^\s*\(?\s*(\w+)/.exec(s)![1]!.toUpperCase());
      expect(verbs(granting.sql)).toEqual(["SELECT", "SELECT", "INSERT", "INSERT", "UPDATE"]);
      expect(verbs(withdrawing.sql)).toEqual(["SELECT", "SELECT", "INSERT", "INSERT"]);
      expect(granting.result.every((p) => p.granted)).toBe(true);
      // The answer, made from what the transaction wrote, is what a fresh read says.
      expect(withdrawing.result).toEqual(await bed.services.consent.myPreferences(ctx));
      expect(await bed.dataSource.getRepository(ConsentEventEntity).countBy({})).toBeGreaterThanOrEqual(
        2 * MAX_PREFERENCE_CHANGES,
      );
    });

    it("refuses an unknown channel to optOutOfAll", async () => {
      const { ctx } = await bed.signUp();
      const error = await failure(bed.services.consent.optOutOfAll(ctx, "PIGEON" as Channel));
      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field)).toEqual(["channel"]);
    });

    it("refuses anonymous callers with UNAUTHENTICATED", async () => {
      // One call at a time: a refusal not yet awaited would be an unhandled rejection.
      for (const call of [
        () => bed.services.consent.myPreferences(bed.ctx()),
        () => bed.services.consent.setPreferences(bed.ctx(), []),
        () => bed.services.consent.optOutOfAll(bed.ctx(), Channel.EMAIL),
        () => bed.services.consent.myHistory(bed.ctx(), {}),
      ]) {
        expect((await failure(call())).code).toBe(ErrorCode.UNAUTHENTICATED);
      }
    });
  });
});
