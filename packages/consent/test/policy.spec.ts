import { Channel, ErrorCode, ManualClock, Role, sha256, Topic } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { ConsentPreferenceEntity } from "../src";
import { PolicyVersionEntity } from "../src/policy/policy-version.entity";
import { POLICY_V1 } from "../src/policy/policy.service";
import { ConsentEventEntity } from "../src/preference/consent-event.entity";
import { failure, openConsentTestBed, type ConsentTestBed } from "./consent-test-bed";

describe.each(testDatabaseKinds())("privacy policy versions on %s", (kind) => {
  let bed: ConsentTestBed;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  it("starts at version 1, the policy last updated on 12 January 2006", async () => {
    const current = await bed.services.policy.current(bed.ctx());

    expect(current).toMatchObject({ version: 1, lastUpdated: "2006-01-12" });
    expect(current.body).toContain("Honour user requests to be removed from our telephone, fax or mail lists");
    expect(current.body).toBe(POLICY_V1.body);
    // Seeded once, however often it is read.
    await bed.services.policy.list(bed.ctx());
    expect(await bed.dataSource.manager.count(PolicyVersionEntity)).toBe(1);
  });

  it("publishes the next version dated today; consent before and after points at the right one", async () => {
    const clock = bed.clock as ManualClock;
    const early = await bed.signUp({ communications: [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }] });
    const admin = await bed.staff(Role.ADMIN);
    clock.set("2026-12-01T09:30:00.000Z");

    const published = await bed
      .ctx(admin)
      .transaction((tx) =>
        bed.services.policy.publish(tx, { summaryOfChanges: "Partners named.", body: "# Privacy policy\n\nNew." }),
      );
    await bed.signUp({ communications: [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }] }); // "late"
    clock.advance(1000);
    // The early account grants something new, and confirms what it had under the new policy.
    await bed.services.consent.setPreferences(early.ctx, [
      { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: true },
      { topic: Topic.COMPANY_INFO, channel: Channel.EMAIL, granted: true },
    ]);

    expect(published).toMatchObject({ version: 2, lastUpdated: "2026-12-01", summaryOfChanges: "Partners named." });
    expect(await bed.services.policy.current(bed.ctx())).toMatchObject({ version: 2, lastUpdated: "2026-12-01" });
    expect((await bed.services.policy.list(bed.ctx())).map((v) => v.version)).toEqual([2, 1]);
    const events = await bed.dataSource.manager.find(ConsentEventEntity, { order: { occurredAt: "ASC" } });
    const subject = (userId: string) => bed.services.consent["keys"].subject(userId);
    expect(
      events
        .map((e) => `${e.subjectHash === subject(early.user.id) ? "early" : "late"} ${e.topic} v${e.policyVersion}`)
        .sort(),
    ).toEqual(["early COMPANY_INFO v2", "early NEWSLETTER v1", "early NEWSLETTER v2", "late NEWSLETTER v2"]);
    const state = await bed.dataSource.manager.findOneByOrFail(ConsentPreferenceEntity, {
      userId: early.user.id,
      topic: Topic.NEWSLETTER,
      channel: Channel.EMAIL,
    });
    expect(state.policyVersion).toBe(2);
  });

  it("refuses an empty summary or body with BAD_USER_INPUT and publishes nothing", async () => {
    const error = await failure(bed.services.policy.publish(bed.ctx(), { summaryOfChanges: " ", body: "" }));

    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields?.map((f) => f.field)).toEqual(["input.summaryOfChanges", "input.body"]);
    expect((await bed.services.policy.current(bed.ctx())).version).toBe(1);
  });

  it("refuses a body larger than its column with BAD_USER_INPUT", async () => {
    const error = await failure(
      bed.services.policy.publish(bed.ctx(), { summaryOfChanges: "Long", body: "€".repeat(22_000) }),
    );
    expect(error.fields?.map((f) => f.field)).toEqual(["input.body"]);
  });

  it("keeps version 1 exactly as the shared policy text", () => {
    expect(sha256(POLICY_V1.body)).toBe("b39e157c99ceab524743a7743bdd2baf4c73e67ab8c065ce1821a23f490645da");
  });
});
