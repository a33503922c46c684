import { Channel, ErrorCode, ManualClock, Role, sha256, Topic } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { RemovalRequestEntity } from "../src/suppression/removal-request.entity";
import { SuppressionEntity, SuppressionReason } from "../src/suppression/suppression.entity";
import { failure, openConsentTestBed, type ConsentTestBed } from "./consent-test-bed";

describe.each(testDatabaseKinds())("the suppression list on %s", (kind) => {
  let bed: ConsentTestBed;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());
  const clock = () => bed.clock as ManualClock;

  const suppress = (identifier: string, reason: SuppressionReason, channel = Channel.EMAIL) =>
    bed.services.suppressions.suppress(bed.ctx(), { channel, identifier, reason });

  it("stores keyed hashes only, never the number or address", async () => {
    const support = await bed.staff(Role.SUPPORT);
    await bed.services.suppressions.recordRemovalRequest(bed.ctx(support), {
      channel: Channel.TELEPHONE,
      value: "+44 20 7946 0000",
      note: "Called on Monday",
    });
    await suppress("ada@example.com", SuppressionReason.BOUNCED);

    const stored = JSON.stringify([
      ...(await bed.dataSource.query("SELECT * FROM consent_suppression")),
      ...(await bed.dataSource.query("SELECT * FROM consent_removal_request")),
    ]);
    for (const plain of ["+442079460000", "2079460000", "ada@example.com", sha256("ada@example.com")]) {
      expect(stored).not.toContain(plain);
    }
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.TELEPHONE, "+442079460000")).toBe(true);
    // The same number on another channel is another identifier.
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.FAX, "+442079460000")).toBe(false);
  });

  it("never lets a system reason replace the person's own opt-out", async () => {
    await suppress("ada@example.com", SuppressionReason.UNSUBSCRIBED);
    clock().advance(1000);
    await suppress("ada@example.com", SuppressionReason.BOUNCED);
    await suppress("ada@example.com", SuppressionReason.ACCOUNT_CLOSED);

    const [entry] = await bed.dataSource.manager.find(SuppressionEntity);
    expect(entry).toMatchObject({
      reason: SuppressionReason.UNSUBSCRIBED,
      suppressedAt: new Date("2026-11-25T12:00:00.000Z"),
    });
  });

  it("lets the person's own opt-out replace a system reason", async () => {
    await suppress("ada@example.com", SuppressionReason.BOUNCED);
    await suppress("ada@example.com", SuppressionReason.COMPLAINT);

    expect((await bed.dataSource.manager.find(SuppressionEntity)).map((e) => e.reason)).toEqual([
      SuppressionReason.COMPLAINT,
    ]);
  });

  it("is lifted only by the person's own grant, and applies again when re-suppressed", async () => {
    const { ctx, user } = await bed.signUp({ communications: [] });
    await suppress(user.email, SuppressionReason.REMOVAL_REQUEST);
    // Staff granting on the person's behalf does not exist; a withdrawal by the person does not lift it.
    await bed.services.consent.setPreferences(ctx, [
      { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: false },
    ]);
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, user.email)).toBe(true);

    await bed.services.consent.setPreferences(ctx, [
      { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: true },
    ]);
    expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, user.email)).toBe(false);

    clock().advance(5000);
    await suppress(user.email, SuppressionReason.BOUNCED);
    const [entry] = await bed.dataSource.manager.find(SuppressionEntity);
    expect(entry).toMatchObject({ reason: SuppressionReason.BOUNCED, liftedAt: null, suppressedAt: clock().now() });
  });

  describe("removal requests", () => {
    it("records who recorded what and when, and suppresses the number at once", async () => {
      const support = await bed.staff(Role.SUPPORT);

      const entry = await bed.services.suppressions.recordRemovalRequest(bed.ctx(support), {
        channel: Channel.FAX,
        value: "+44 (0)20 7946 0001".replace("(0)", ""),
        note: "  Fax of 3 March  ",
      });

      expect(entry).toMatchObject({ channel: Channel.FAX, reason: SuppressionReason.REMOVAL_REQUEST });
      const [request] = await bed.dataSource.manager.find(RemovalRequestEntity);
      expect(request).toMatchObject({
        channel: Channel.FAX,
        identifierHash: entry.identifierHash,
        note: "Fax of 3 March",
        recordedBy: (support as { userId: string }).userId,
        recordedAt: clock().now(),
      });
    });

    it.each([
      [Channel.TELEPHONE, "020 7946 0000"],
      [Channel.TELEPHONE, "+44 20 7946 000x"],
      [Channel.FAX, "fax me"],
      [Channel.EMAIL, "not-an-address"],
      [Channel.MAIL, "1 High Street, London"],
      [Channel.MAIL, "1 High Street, London, SW1A 1AA, Britain"],
    ])("refuses a malformed %s value %j with BAD_USER_INPUT on input.value", async (channel, value) => {
      const support = await bed.staff(Role.SUPPORT);

      const error = await failure(bed.services.suppressions.recordRemovalRequest(bed.ctx(support), { channel, value }));

      expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(error.fields?.map((f) => f.field)).toEqual(["input.value"]);
      expect(await bed.dataSource.manager.count(SuppressionEntity)).toBe(0);
      expect(await bed.dataSource.manager.count(RemovalRequestEntity)).toBe(0);
    });

    it("refuses an unknown channel and a long note, naming both", async () => {
      const support = await bed.staff(Role.SUPPORT);
      const error = await failure(
        bed.services.suppressions.recordRemovalRequest(bed.ctx(support), {
          channel: "PIGEON" as Channel,
          value: "x",
          note: "n".repeat(1001),
        }),
      );
      expect(error.fields?.map((f) => f.field)).toEqual(["input.channel", "input.note"]);
    });
  });

  describe("what partners must not contact (checkPartnerSuppressions asks this)", () => {
    it("names suppressed addresses (EMAIL) and partner-offer withdrawals (their channels), and no one else", async () => {
      const partnerOffers = [
        { topic: Topic.PARTNER_OFFERS, channel: Channel.EMAIL },
        { topic: Topic.PARTNER_OFFERS, channel: Channel.TELEPHONE },
      ];
      const ada = await bed.signUp({ email: "Ada@Example.com", communications: partnerOffers });
      const alan = await bed.signUp({ email: "alan@example.com" });
      await bed.signUp({ email: "still-in@example.com", communications: partnerOffers });
      await bed.services.consent.setPreferences(ada.ctx, [
        { topic: Topic.PARTNER_OFFERS, channel: Channel.TELEPHONE, granted: false },
      ]);
      await bed.services.consent.optOutOfAll(alan.ctx, Channel.EMAIL);
      const support = await bed.staff(Role.SUPPORT);
      await bed.services.suppressions.recordRemovalRequest(bed.ctx(support), {
        channel: Channel.EMAIL,
        value: "Not-A-Customer@example.com",
      });

      const found = await bed.services.suppressions.partnerDoNotContact(bed.ctx(bed.partner()), [
        "ada@example.com",
        "alan@example.com",
        "still-in@example.com",
        "not-a-customer@example.com",
        "stranger@example.com",
      ]);

      expect(Object.fromEntries(found)).toEqual({
        "ada@example.com": [Channel.TELEPHONE],
        "alan@example.com": [Channel.EMAIL],
        "not-a-customer@example.com": [Channel.EMAIL],
      });
    });
  });
});
