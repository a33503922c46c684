import {
  AuditAction,
  AuditEntryEntity,
  Channel,
  ErrorCode,
  ManualClock,
  Role,
  Topic,
  type Actor,
  type PersonalDataSubject,
} from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import {
  CampaignStatus,
  ConsentActorKind,
  ConsentKeys,
  ConsentMethod,
  ConsentPreferenceEntity,
  type CampaignDraft,
} from "../src";
import { OutboxMessageEntity, OutboxOutcome, OutboxStatus } from "../src/campaign/outbox-message.entity";
import { ListExportEntity } from "../src/contact-list/list-export.entity";
import { ConsentEventEntity } from "../src/preference/consent-event.entity";
import { type ConsentDataExport } from "../src/privacy/consent-personal-data.service";
import { RemovalRequestEntity } from "../src/suppression/removal-request.entity";
import { SuppressionEntity, SuppressionReason } from "../src/suppression/suppression.entity";
import { UnsubscribeTokenEntity } from "../src/unsubscribe/unsubscribe-token.entity";
import {
  CONSENT_TABLES,
  consentSnapshot,
  failure,
  openConsentTestBed,
  SECRET,
  tableContents,
  type ConsentTestBed,
} from "./consent-test-bed";

const keys = new ConsentKeys(SECRET);

/** The plain details of a person, as the erasure scan looks for them. */
interface Details {
  name: string;
  email: string;
  /** As typed; stored in E.164 (`phoneE164`). */
  phone: string;
  phoneE164: string;
  fax: string;
  line1: string;
  city: string;
  postcode: string;
}

const ADA: Details = {
  name: "Ada Lovelace",
  email: "ada.lovelace@example.com",
  phone: "+44 7700 900123",
  phoneE164: "+447700900123",
  fax: "+447700900124",
  line1: "12 Acacia Avenue",
  city: "Wolverhampton",
  postcode: "WV1 4AA",
};

const BOB: Details = {
  name: "Bob Marlowe",
  email: "bob.marlowe@example.org",
  phone: "+44 7700 900456",
  phoneE164: "+447700900456",
  fax: "+447700900457",
  line1: "3 Quayside Lane",
  city: "Bristol",
  postcode: "BS1 5TT",
};

describe.each(testDatabaseKinds())("privacy rights in consent on %s", (kind) => {
  let bed: ConsentTestBed;
  let marketing: Actor;
  let support: Actor;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(async () => {
    await bed.reset();
    marketing = await bed.staff(Role.MARKETING);
    support = await bed.staff(Role.SUPPORT);
  });

  const clock = () => bed.clock as ManualClock;
  const create = (input: CampaignDraft) =>
    bed.ctx(marketing).transaction((tx) => bed.services.campaigns.create(tx, input));
  /** Sends a campaign and runs the consent jobs to the end; returns the addresses it reached. */
  async function campaign(topic: Topic, subject = `About ${topic}`): Promise<string[]> {
    const before = bed.transport.sent.length;
    const created = await create({ topic, subject, bodyText: "Hello." });
    await bed.ctx(marketing).transaction((tx) => bed.services.campaigns.send(tx, created.id));
    await drain();
    expect((await bed.services.campaigns.find(bed.ctx(), created.id))?.status).toBe(CampaignStatus.SENT);
    // Marketing only: a closure's confirmation mail goes out in the same run.
    return bed.transport.marketingRecipients(before);
  }
  async function drain(): Promise<void> {
    const runner = bed.runner();
    while (await runner.runOnce());
  }
  const subjectOf = async (userId: string): Promise<PersonalDataSubject> => {
    const user = (await bed.users.users.findById(bed.ctx(), userId))!;
    return { userId, email: user.email, phone: user.phone };
  };
  const exportOf = async (userId: string) =>
    (await bed.platform.personalData.exportAll(bed.ctx(), await subjectOf(userId))).consent as ConsentDataExport;
  const granted = async (userId: string) =>
    (await bed.services.consent.preferences(bed.ctx(), userId))
      .filter((p) => p.granted)
      .map(({ topic, channel }) => `${topic}/${channel}`)
      .sort();

  /**
   * A person with rows in every consent table: ledger entries (registration, preference centre,
   * one-click unsubscribe), preferences, a fax opt-out, a removal request for their phone whose
   * staff note names them, a campaign message and an unsubscribe token.
   */
  async function person(details: Details) {
    const signed = await bed.signUp({
      name: details.name,
      email: details.email,
      communications: [
        { topic: Topic.NEWSLETTER, channel: Channel.EMAIL },
        { topic: Topic.SPECIAL_OFFERS, channel: Channel.EMAIL },
        { topic: Topic.PRODUCT_UPDATES, channel: Channel.TELEPHONE },
        { topic: Topic.COMPANY_INFO, channel: Channel.MAIL },
      ],
    });
    await bed.users.users.updateProfile(signed.ctx, {
      phone: details.phone,
      fax: details.fax,
      address: { line1: details.line1, city: details.city, postcode: details.postcode, country: "GB" },
    });
    clock().advance(1000);
    await bed.services.consent.setPreferences(signed.ctx, [
      { topic: Topic.PARTNER_OFFERS, channel: Channel.EMAIL, granted: true },
      { topic: Topic.COMPANY_INFO, channel: Channel.MAIL, granted: false },
    ]);
    clock().advance(1000);
    await bed.services.consent.optOutOfAll(signed.ctx, Channel.FAX);
    clock().advance(1000);
    await bed.services.suppressions.recordRemovalRequest(bed.ctx(support), {
      channel: Channel.TELEPHONE,
      value: details.phone,
      note: `Telephone call from ${details.name} (${details.phone}, ${details.email}), ${details.line1}`,
    });
    return signed;
  }

  /** A NEWSLETTER campaign to everyone who granted it, then the first person one-click unsubscribes. */
  async function newsletterThenUnsubscribe(userId: string) {
    clock().advance(1000);
    await campaign(Topic.NEWSLETTER, "Winter newsletter");
    clock().advance(1000);
    const token = await bed.services.unsubscribe.tokenFor(bed.ctx(), userId, Topic.NEWSLETTER);
    expect(await bed.services.unsubscribe.oneClick(bed.ctx(), token)).toMatchObject({ done: true });
  }

  describe("export", () => {
    it("holds every consent row about the person, as plain JSON, and nothing about anyone else", async () => {
      const ada = await person(ADA);
      const bob = await person(BOB);
      await newsletterThenUnsubscribe(ada.user.id);

      const exported = await exportOf(ada.user.id);

      // Plain JSON: what JSON gives back is the same document (dates are ISO strings).
      expect(JSON.parse(JSON.stringify(exported))).toEqual(exported);
      // Every ledger entry of the subject, oldest first, and who recorded it.
      const events = await bed.dataSource.manager.find(ConsentEventEntity, {
        where: { subjectHash: keys.subject(ada.user.id) },
        order: { id: "ASC" },
      });
      // Registration 4, preference centre 2, the fax opt-out none (nothing was granted there), unsubscribe 1.
      expect(events.length).toBe(7);
      expect(exported.ledger).toEqual(
        events.map((e) => ({
          topic: e.topic,
          channel: e.channel,
          action: e.action,
          granted: e.action === "GRANTED",
          method: e.method,
          policyVersion: e.policyVersion,
          at: e.occurredAt.toISOString(),
          recordedBy: e.actorKind,
          recordedByName: null,
        })),
      );
      expect(exported.ledger.at(-1)).toEqual({
        topic: "NEWSLETTER",
        channel: "EMAIL",
        action: "WITHDRAWN",
        granted: false,
        method: ConsentMethod.ONE_CLICK_UNSUBSCRIBE,
        policyVersion: 1,
        at: "2026-11-25T12:00:08.000Z",
        recordedBy: ConsentActorKind.UNSUBSCRIBE_LINK,
        recordedByName: null,
      });
      // Current preferences: every row the account has, granted or withdrawn.
      const rows = await bed.dataSource.manager.findBy(ConsentPreferenceEntity, { userId: ada.user.id });
      expect(exported.preferences).toHaveLength(rows.length);
      expect(exported.preferences).toContainEqual({
        topic: "PARTNER_OFFERS",
        channel: "EMAIL",
        granted: true,
        method: ConsentMethod.PREFERENCE_CENTRE,
        policyVersion: 1,
        updatedAt: "2026-11-25T12:00:01.000Z",
      });
      expect(
        exported.preferences
          .filter((p) => p.granted)
          .map((p) => `${p.topic}/${p.channel}`)
          .sort(),
      ).toEqual(await granted(ada.user.id));
      // Suppression entries: channel, reason, since; never the hash.
      expect(exported.suppressions).toEqual([
        { channel: "FAX", reason: SuppressionReason.UNSUBSCRIBED, since: "2026-11-25T12:00:02.000Z", liftedAt: null },
        {
          channel: "TELEPHONE",
          reason: SuppressionReason.REMOVAL_REQUEST,
          since: "2026-11-25T12:00:03.000Z",
          liftedAt: null,
        },
      ]);
      expect(exported.removalRequests).toEqual([
        {
          channel: "TELEPHONE",
          recordedAt: "2026-11-25T12:00:03.000Z",
          note: `Telephone call from ${ADA.name} (${ADA.phone}, ${ADA.email}), ${ADA.line1}`,
        },
      ]);
      expect(exported.marketingMessages).toEqual([
        {
          campaign: "Winter newsletter",
          topic: "NEWSLETTER",
          status: OutboxStatus.SENT,
          outcome: null,
          preparedAt: "2026-11-25T12:00:07.000Z",
          sentAt: "2026-11-25T12:00:07.000Z",
        },
      ]);
      expect(exported.unsubscribeTokens).toEqual([{ topic: "NEWSLETTER", issuedAt: "2026-11-25T12:00:07.000Z" }]);

      // Nothing about Bob, who has the same kinds of rows, nor any keyed hash or token.
      const text = JSON.stringify(exported).toLowerCase();
      for (const needle of [BOB.name, BOB.email, BOB.phone, BOB.phoneE164, BOB.fax, BOB.line1, bob.user.id]) {
        expect(text).not.toContain(needle.toLowerCase());
      }
      expect(text).not.toContain(keys.subject(ada.user.id));
      expect(text).not.toMatch(/[0-9a-f]{32}/);
      const bobExport = await exportOf(bob.user.id);
      expect(bobExport.ledger).toHaveLength(6); // no unsubscribe
      expect(JSON.stringify(bobExport).toLowerCase()).not.toContain(ADA.name.toLowerCase());
    });

    it("is an empty section for an account that has nothing in consent", async () => {
      const { user } = await bed.signUp({ communications: [] });

      expect(await exportOf(user.id)).toEqual({
        ledger: [],
        preferences: [],
        suppressions: [],
        removalRequests: [],
        marketingMessages: [],
        unsubscribeTokens: [],
      });
    });
  });

  describe("erasure at closure", () => {
    it("leaves none of the person's plain details in any consent table, and keeps every ledger row", async () => {
      const ada = await person(ADA);
      const bob = await person(BOB);
      await newsletterThenUnsubscribe(ada.user.id);
      const ledgerBefore = (await tableContents(bed.dataSource, "consent_event")) as { id: string }[];
      const grantedBefore = await granted(ada.user.id);
      const outboxBefore = await bed.dataSource.manager.count(OutboxMessageEntity);
      const bobBefore = await exportOf(bob.user.id);
      const bobPreferences = await bed.dataSource.manager.findBy(ConsentPreferenceEntity, { userId: bob.user.id });
      // Before closure the scan finds the note that names Ada: the scan can fail.
      expect(await plainDetailsIn(ADA)).toEqual(["consent_removal_request"]);

      clock().advance(1000);
      await bed.closeAccount(ada.user.id, ada.actor);

      expect(await plainDetailsIn(ADA)).toEqual([]);
      // The account id is in no row of the ledger, the suppression list or the removal requests.
      for (const table of ["consent_event", "consent_suppression", "consent_removal_request"]) {
        expect(JSON.stringify(await tableContents(bed.dataSource, table))).not.toContain(ada.user.id);
      }
      // The ledger deleted and changed nothing; closure appended one withdrawal per grant.
      const ledgerAfter = (await tableContents(bed.dataSource, "consent_event")) as { id: string }[];
      const afterById = new Map(ledgerAfter.map((row) => [row.id, row]));
      for (const row of ledgerBefore) expect(afterById.get(row.id)).toEqual(row);
      expect(ledgerAfter).toHaveLength(ledgerBefore.length + grantedBefore.length);
      const closing = await bed.dataSource.manager.findBy(ConsentEventEntity, {
        subjectHash: keys.subject(ada.user.id),
        method: ConsentMethod.ACCOUNT_CLOSED,
      });
      expect(closing.map((e) => `${e.topic}/${e.channel}`).sort()).toEqual(grantedBefore);
      expect(closing.every((e) => e.action === "WITHDRAWN" && e.actorKind === ConsentActorKind.PERSON)).toBe(true);
      // Current state, tokens: gone. Outbox rows stay for the campaign's counts.
      expect(await bed.dataSource.manager.countBy(ConsentPreferenceEntity, { userId: ada.user.id })).toBe(0);
      expect(await bed.dataSource.manager.countBy(UnsubscribeTokenEntity, { userId: ada.user.id })).toBe(0);
      expect(await bed.dataSource.manager.count(OutboxMessageEntity)).toBe(outboxBefore);
      // The removal request is still on record (channel, hash, staff, time), without the note.
      const removals = await bed.dataSource.manager.find(RemovalRequestEntity, { order: { id: "ASC" } });
      expect(removals.map((r) => r.note === null)).toEqual([true, false]);
      // Bob's data is untouched.
      expect(await exportOf(bob.user.id)).toEqual(bobBefore);
      expect(await bed.dataSource.manager.findBy(ConsentPreferenceEntity, { userId: bob.user.id })).toEqual(
        bobPreferences,
      );
      expect(await plainDetailsIn(BOB)).toEqual(["consent_removal_request"]);
    });

    it("puts the email and phone on the suppression list as ACCOUNT_CLOSED, naming no account", async () => {
      const { user, ctx } = await bed.signUp({ email: ADA.email });
      await bed.users.users.updateProfile(ctx, { phone: ADA.phone });

      await bed.closeAccount(user.id);

      const entries = await bed.dataSource.manager.find(SuppressionEntity, { order: { channel: "ASC" } });
      expect(entries).toEqual([
        expect.objectContaining({
          channel: Channel.EMAIL,
          identifierHash: keys.identifier(Channel.EMAIL, ADA.email),
          reason: SuppressionReason.ACCOUNT_CLOSED,
          suppressedAt: bed.clock.now(),
          liftedAt: null,
          userId: null,
        }),
        expect.objectContaining({
          channel: Channel.TELEPHONE,
          identifierHash: keys.identifier(Channel.TELEPHONE, ADA.phoneE164),
          reason: SuppressionReason.ACCOUNT_CLOSED,
          liftedAt: null,
          userId: null,
        }),
      ]);
      expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, ADA.email)).toBe(true);
      expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.TELEPHONE, ADA.phoneE164)).toBe(true);
    });

    it("never replaces the person's own opt-out with ACCOUNT_CLOSED", async () => {
      const { user, ctx } = await bed.signUp({ email: ADA.email });
      await bed.users.users.updateProfile(ctx, { phone: ADA.phone });
      await bed.services.consent.optOutOfAll(ctx, Channel.EMAIL);
      const since = bed.clock.now();
      clock().advance(60_000);

      await bed.closeAccount(user.id);

      const byChannel = new Map(
        (await bed.dataSource.manager.find(SuppressionEntity)).map((entry) => [entry.channel, entry]),
      );
      expect(byChannel.get(Channel.EMAIL)).toMatchObject({
        reason: SuppressionReason.UNSUBSCRIBED,
        suppressedAt: since,
        userId: null,
      });
      expect(byChannel.get(Channel.TELEPHONE)).toMatchObject({ reason: SuppressionReason.ACCOUNT_CLOSED });
    });

    it("rolls back with the closing transaction: a failure leaves consent as it was", async () => {
      const ada = await person(ADA);
      const before = await consentSnapshot(bed.dataSource);

      const error = await failure(
        bed.ctx().transaction(async (tx) => {
          await bed.platform.personalData.eraseAll(tx, await subjectOf(ada.user.id));
          throw new Error("a later contributor failed");
        }),
      );

      expect(error.message).toBe("a later contributor failed");
      expect(await consentSnapshot(bed.dataSource)).toEqual(before);
    });

    it("skips the person's messages still waiting in an outbox, and leaves them out of later campaigns", async () => {
      const ada = await bed.signUp({
        email: ADA.email,
        communications: [{ topic: Topic.SPECIAL_OFFERS, channel: Channel.EMAIL }],
      });
      await bed.signUp({ email: BOB.email, communications: [{ topic: Topic.SPECIAL_OFFERS, channel: Channel.EMAIL }] });
      const first = await create({ topic: Topic.SPECIAL_OFFERS, subject: "Sale", bodyText: "20% off." });
      await bed.ctx(marketing).transaction((tx) => bed.services.campaigns.send(tx, first.id));
      // The outbox is written (both are recipients), nothing is sent yet.
      await bed.services.sender.prepare(bed.ctx({ kind: "system", name: "test" }), first.id);
      expect(await bed.dataSource.manager.countBy(OutboxMessageEntity, { campaignId: first.id })).toBe(2);

      await bed.closeAccount(ada.user.id);
      const waiting = await bed.dataSource.manager.findOneByOrFail(OutboxMessageEntity, {
        campaignId: first.id,
        userId: ada.user.id,
      });
      expect(waiting).toMatchObject({ status: OutboxStatus.SKIPPED, outcome: OutboxOutcome.ACCOUNT_CLOSED });
      await drain();

      expect(bed.transport.marketingRecipients()).toEqual([BOB.email]);
      expect(await campaign(Topic.SPECIAL_OFFERS)).toEqual([BOB.email]);
      const later = await bed.dataSource.manager.countBy(OutboxMessageEntity, { userId: ada.user.id });
      expect(later).toBe(1); // only the first campaign's skipped row
    });
  });

  describe("records under a shared fax number or postal address", () => {
    it("are not the person's: neither in their export nor erased with their account", async () => {
      const ada = await person(ADA);
      const household = [
        {
          channel: Channel.MAIL,
          value: `${ADA.line1}, ${ADA.city}, ${ADA.postcode}, GB`,
          note: "Letter from the lodger",
        },
        { channel: Channel.FAX, value: ADA.fax, note: "Fax from the office manager" },
      ];
      for (const request of household) await bed.services.suppressions.recordRemovalRequest(bed.ctx(support), request);

      const exported = await exportOf(ada.user.id);
      expect(exported.removalRequests.map((r) => r.channel)).toEqual(["TELEPHONE"]);
      expect(JSON.stringify(exported)).not.toContain("lodger");
      expect(JSON.stringify(exported)).not.toContain("office manager");

      await bed.closeAccount(ada.user.id);
      const notes = (await bed.dataSource.manager.find(RemovalRequestEntity, { order: { id: "ASC" } })).map((r) => [
        r.channel,
        r.note,
      ]);
      expect(notes.sort()).toEqual([
        ["FAX", "Fax from the office manager"],
        ["MAIL", "Letter from the lodger"],
        ["TELEPHONE", null],
      ]);
    });
  });

  describe("registering again with the same email after closure", () => {
    async function closedAda() {
      const ada = await bed.signUp({
        email: ADA.email,
        communications: [
          { topic: Topic.NEWSLETTER, channel: Channel.EMAIL },
          { topic: Topic.SPECIAL_OFFERS, channel: Channel.EMAIL },
        ],
      });
      await bed.users.users.updateProfile(ada.ctx, { phone: ADA.phone });
      await bed.closeAccount(ada.user.id);
      // Control: someone new gets the soft opt-in and the campaigns below reach them.
      await bed.signUp({ email: BOB.email });
      clock().advance(1000);
      return ada;
    }

    it("with nothing ticked (the soft opt-in case) grants nothing and is sent no marketing", async () => {
      await closedAda();

      const again = await bed.signUp({ email: ADA.email, name: ADA.name });

      expect(again.user.email).toBe(ADA.email);
      expect(await granted(again.user.id)).toEqual([]);
      expect(
        await bed.dataSource.manager.countBy(ConsentEventEntity, { subjectHash: keys.subject(again.user.id) }),
      ).toBe(0);
      for (const topic of [Topic.NEWSLETTER, Topic.SPECIAL_OFFERS, Topic.COMPANY_INFO, Topic.PRODUCT_UPDATES]) {
        expect(await campaign(topic)).toEqual([BOB.email]);
      }
      expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.EMAIL, ADA.email)).toBe(true);
    });

    it("with a topic ticked grants exactly that topic, lifts the address's entry, and sends only that topic", async () => {
      await closedAda();

      const again = await bed.signUp({
        email: ADA.email,
        name: ADA.name,
        communications: [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }],
      });

      expect(await granted(again.user.id)).toEqual(["NEWSLETTER/EMAIL"]);
      const email = await bed.dataSource.manager.findOneByOrFail(SuppressionEntity, { channel: Channel.EMAIL });
      expect(email).toMatchObject({ reason: SuppressionReason.ACCOUNT_CLOSED, liftedAt: bed.clock.now() });
      // The phone number stays suppressed: registering ticked nothing on the telephone.
      expect(await bed.services.suppressions.isSuppressed(bed.ctx(), Channel.TELEPHONE, ADA.phoneE164)).toBe(true);
      expect((await campaign(Topic.NEWSLETTER)).sort()).toEqual([ADA.email, BOB.email].sort());
      expect(await campaign(Topic.SPECIAL_OFFERS)).toEqual([BOB.email]);
    });
  });

  describe("the audit log", () => {
    async function onTelephoneList(details: Details) {
      const signed = await bed.signUp({
        name: details.name,
        email: details.email,
        communications: [{ topic: Topic.PRODUCT_UPDATES, channel: Channel.TELEPHONE }],
      });
      await bed.users.users.updateProfile(signed.ctx, { phone: details.phone });
    }
    const list = (topic: Topic, channel: Channel) =>
      bed.ctx(marketing).transaction((tx) => bed.services.contactLists.export(tx, topic, channel));
    const audit = () =>
      bed.dataSource.manager.find(AuditEntryEntity, {
        where: { action: AuditAction.LIST_EXPORTED },
        order: { at: "ASC" },
      });

    it("records LIST_EXPORTED for every contact list export, with the list and its row count", async () => {
      await onTelephoneList(ADA);
      await onTelephoneList(BOB);

      const first = await list(Topic.PRODUCT_UPDATES, Channel.TELEPHONE);
      clock().advance(1000);
      const second = await list(Topic.NEWSLETTER, Channel.MAIL);

      const entries = await audit();
      expect(entries).toEqual([
        expect.objectContaining({
          action: AuditAction.LIST_EXPORTED,
          actorId: (marketing as { userId: string }).userId,
          actorKind: "user",
          subjectId: null,
          detail: `list ${first.id}: PRODUCT_UPDATES by TELEPHONE, 2 rows`,
          at: first.exportedAt,
        }),
        expect.objectContaining({
          action: AuditAction.LIST_EXPORTED,
          subjectId: null,
          detail: `list ${second.id}: NEWSLETTER by MAIL, 0 rows`,
          at: second.exportedAt,
        }),
      ]);
      expect(first.rowCount).toBe(2);
      const text = JSON.stringify(entries).toLowerCase();
      for (const needle of [ADA.name, ADA.phoneE164, BOB.name, BOB.phoneE164])
        expect(text).not.toContain(needle.toLowerCase());
    });

    it("writes the entry in the export's transaction, and none for a refused export", async () => {
      await onTelephoneList(ADA);

      const rolledBack = await failure(
        bed.ctx(marketing).transaction(async (tx) => {
          await bed.services.contactLists.export(tx, Topic.PRODUCT_UPDATES, Channel.TELEPHONE);
          throw new Error("the response could not be written");
        }),
      );
      const refused = await failure(list(Topic.PRODUCT_UPDATES, Channel.EMAIL));

      expect(rolledBack.message).toBe("the response could not be written");
      expect(refused.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(await audit()).toEqual([]);
      expect(await bed.dataSource.manager.count(ListExportEntity)).toBe(0);
    });
  });

  describe("withdrawAll (an objection, acted on through a privacy request)", () => {
    it("withdraws every granted topic on every channel as PRIVACY_REQUEST, recorded as the staff member", async () => {
      const ada = await person(ADA);
      const grantedBefore = await granted(ada.user.id);
      const ledgerBefore = await bed.dataSource.manager.count(ConsentEventEntity);
      clock().advance(1000);

      const withdrawn = await bed.services.consent.withdrawAll(
        bed.ctx(support),
        ada.user.id,
        ConsentMethod.PRIVACY_REQUEST,
      );

      expect(withdrawn).toBe(grantedBefore.length);
      expect(await granted(ada.user.id)).toEqual([]);
      const entries = await bed.dataSource.manager.findBy(ConsentEventEntity, {
        method: ConsentMethod.PRIVACY_REQUEST,
      });
      expect(entries.map((e) => `${e.topic}/${e.channel}`).sort()).toEqual(grantedBefore);
      for (const entry of entries) {
        expect(entry).toMatchObject({
          subjectHash: keys.subject(ada.user.id),
          action: "WITHDRAWN",
          actorKind: ConsentActorKind.STAFF,
          actorRef: keys.staff((support as { userId: string }).userId),
          occurredAt: bed.clock.now(),
        });
      }
      // Nothing left to withdraw: nothing written.
      expect(await bed.services.consent.withdrawAll(bed.ctx(support), ada.user.id)).toBe(0);
      expect(await bed.dataSource.manager.count(ConsentEventEntity)).toBe(ledgerBefore + withdrawn);
      // The account is still open and can grant again in the preference centre.
      await bed.services.consent.setPreferences(ada.ctx, [
        { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: true },
      ]);
      expect(await granted(ada.user.id)).toEqual(["NEWSLETTER/EMAIL"]);
    });

    it("is recorded as the person when they object themselves, and PRIVACY_REQUEST is the default method", async () => {
      const ada = await bed.signUp();

      expect(await bed.services.consent.withdrawAll(ada.ctx, ada.user.id)).toBe(4);

      const entries = await bed.dataSource.manager.findBy(ConsentEventEntity, { action: "WITHDRAWN" as never });
      expect(entries.map((e) => [e.method, e.actorKind, e.actorRef])).toEqual(
        Array(4).fill([ConsentMethod.PRIVACY_REQUEST, ConsentActorKind.PERSON, null]),
      );
    });

    // SQLite transactions take turns, so only MySQL/MariaDB can commit a grant inside another's.
    (kind === "mysql" ? it : it.skip)(
      "withdraws a grant committed after the caller's transaction took its snapshot",
      async () => {
        const ada = await person(ADA);
        await bed.services.consent.withdrawAll(bed.ctx(support), ada.user.id);
        expect(await granted(ada.user.id)).toEqual([]);

        const withdrawn = await bed.ctx(support).transaction(async (tx) => {
          // A plain read takes the transaction's snapshot (as a privacy request's handler does)…
          await tx.manager.findBy(ConsentPreferenceEntity, { userId: ada.user.id });
          // …then Ada ticks the newsletter in the preference centre, committed on another connection.
          await bed.services.consent.setPreferences(ada.ctx, [
            { topic: Topic.NEWSLETTER, channel: Channel.EMAIL, granted: true },
          ]);
          return bed.services.consent.withdrawAll(tx, ada.user.id);
        });

        expect(withdrawn).toBe(1);
        expect(await granted(ada.user.id)).toEqual([]);
      },
    );

    it("refuses an unknown account with NOT_FOUND and an unknown method with BAD_USER_INPUT, writing nothing", async () => {
      const ada = await bed.signUp();
      const before = await consentSnapshot(bed.dataSource);

      const unknown = await failure(
        bed.services.consent.withdrawAll(bed.ctx(support), "00000000-0000-7000-8000-000000000000"),
      );
      const badMethod = await failure(
        bed.services.consent.withdrawAll(bed.ctx(support), ada.user.id, "BECAUSE" as ConsentMethod),
      );

      expect(unknown.code).toBe(ErrorCode.NOT_FOUND);
      expect(badMethod.code).toBe(ErrorCode.BAD_USER_INPUT);
      expect(badMethod.fields?.map((f) => f.field)).toEqual(["method"]);
      expect(await consentSnapshot(bed.dataSource)).toEqual(before);
    });
  });

  /**
   * The consent tables in which any text column holds one of the person's details in plain form
   * (name, email, phone as typed or in E.164, fax, address line, town, postcode with or without
   * its space), compared case-insensitively.
   */
  async function plainDetailsIn(details: Details): Promise<string[]> {
    const needles = [
      details.name,
      details.email,
      details.email.split("@")[0]!,
      details.phone,
      details.phoneE164,
      details.phoneE164.slice(1),
      details.fax,
      details.line1,
      details.city,
      details.postcode,
      details.postcode.replace(/\s/g, ""),
    ].map((n) => n.toLowerCase());
    const found: string[] = [];
    for (const [table, order] of CONSENT_TABLES) {
      const rows = (await tableContents(bed.dataSource, table, order)) as Record<string, unknown>[];
      const text = rows
        .flatMap((row) => Object.values(row))
        .filter((value): value is string => typeof value === "string")
        .join("\n")
        .toLowerCase();
      if (needles.some((needle) => text.includes(needle))) found.push(table);
    }
    return found;
  }
});
