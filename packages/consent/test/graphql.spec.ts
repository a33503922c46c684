import { ErrorCode, ManualClock, Role, type Actor } from "@honour/platform";
import { buildGraphQLHarness, lastVerificationToken, testDatabaseKinds, type GraphQLHarness } from "@honour/testing";
import { createUsersResolvers } from "@honour/users/graphql";
import { printSchema, type GraphQLSchema } from "graphql";
import { ConsentPreferenceEntity } from "../src";
import { CampaignEntity } from "../src/campaign/campaign.entity";
import { ConsentEventEntity } from "../src/preference/consent-event.entity";
import { createConsentResolvers } from "../src/graphql";
import { consentSnapshot, openConsentTestBed, waitFor, type ConsentTestBed } from "./consent-test-bed";

describe.each(testDatabaseKinds())("consent GraphQL API on %s", (kind) => {
  let bed: ConsentTestBed;
  let schema: GraphQLSchema;
  let call: GraphQLHarness["call"];
  let signature: GraphQLHarness["signature"];

  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
    ({ schema, call, signature } = await buildGraphQLHarness({
      resolvers: [...createUsersResolvers(bed.users), ...createConsentResolvers(bed.services)],
      ctx: (actor) => bed.ctx(actor),
    }));
  });
  afterAll(() => bed?.close());
  beforeEach(() => bed.reset());

  it("declares the operations and types of the contract", () => {
    const queries = [
      "privacyPolicy: PolicyVersion!",
      "privacyPolicyVersions: [PolicyVersion!]!",
      "myPreferences: [Preference!]!",
      "myConsentHistory(first: Int, after: String): ConsentEventConnection!",
      "contactList(topic: Topic!, channel: Channel!): ContactListExport!",
      "campaign(id: ID!): Campaign",
    ];
    const mutations = [
      "publishPolicyVersion(input: PublishPolicyVersionInput!): PolicyVersion!",
      "setPreferences(input: [PreferenceInput!]!): [Preference!]!",
      "optOutOfAll(channel: Channel!): [Preference!]!",
      "unsubscribe(token: String!): UnsubscribeResult!",
      "recordRemovalRequest(input: RemovalRequestInput!): Suppression!",
      "createCampaign(input: CreateCampaignInput!): Campaign!",
      "sendCampaign(id: ID!): Campaign!",
    ];
    for (const expected of queries) expect(signature("Query", expected.split(/[(:]/)[0]!)).toBe(expected);
    for (const expected of mutations) expect(signature("Mutation", expected.split(/[(:]/)[0]!)).toBe(expected);

    const sdl = printSchema(schema);
    const fields = (type: string) =>
      new RegExp(`(type|input) ${type} \\{([^}]*)\\}`)
        .exec(sdl)?.[2]
        ?.split("\n")
        .map((l) => l.trim())
        .filter((l) => /^\w+(\(.*\))?:/.test(l))
        .map((l) => l.split(":")[0]);
    expect(fields("PolicyVersion")).toEqual(["version", "lastUpdated", "summaryOfChanges", "body"]);
    expect(fields("Preference")).toEqual(["topic", "channel", "granted", "pending", "updatedAt"]);
    expect(fields("PublishPolicyVersionInput")).toEqual(["summaryOfChanges", "body"]);
    expect(fields("RemovalRequestInput")).toEqual(["channel", "value", "note"]);
    expect(fields("CreateCampaignInput")).toEqual(["topic", "subject", "bodyText", "bodyHtml"]);
    expect(fields("ContactListRow")).toEqual(["name", "email", "phone", "fax", "address"]);
    expect(fields("ContactListExport")).toEqual(expect.arrayContaining(["rowCount", "exportedAt", "rows"]));
    expect(fields("Campaign")).toEqual(
      expect.arrayContaining(["status", "recipientCount", "sentCount", "skippedCount", "failedCount"]),
    );
    expect(sdl).toMatch(
      /enum Topic \{\s+COMPANY_INFO\s+PRODUCT_UPDATES\s+SPECIAL_OFFERS\s+NEWSLETTER\s+PARTNER_OFFERS\s+\}/,
    );
    expect(sdl).toMatch(/enum Channel \{\s+EMAIL\s+TELEPHONE\s+FAX\s+MAIL\s+\}/);
    expect(sdl).toMatch(/enum CampaignStatus \{\s+DRAFT\s+SENDING\s+SENT\s+\}/);
    expect(sdl).toMatch(
      /enum ConsentMethod \{\s+REGISTRATION_FORM\s+PREFERENCE_CENTRE\s+ONE_CLICK_UNSUBSCRIBE\s+EMAIL_LINK\s+STAFF_ON_REQUEST\s+ACCOUNT_CLOSED\s+PRIVACY_REQUEST\s+SOFT_OPT_IN\s+\}/,
    );
    expect(sdl).not.toMatch(/subjectHash|identifierHash|actorRef|claimedBy/);
  });

  it("shows the policy to anyone, and an admin's new version changes privacyPolicy.lastUpdated", async () => {
    const before = await call(`{ privacyPolicy { version lastUpdated summaryOfChanges } }`);
    expect(before.data).toEqual({
      privacyPolicy: { version: 1, lastUpdated: "2006-01-12", summaryOfChanges: expect.any(String) },
    });

    const published = await call(
      `mutation ($input: PublishPolicyVersionInput!) { publishPolicyVersion(input: $input) { version lastUpdated } }`,
      { input: { summaryOfChanges: "Partners named.", body: "# Policy" } },
      await bed.staff(Role.ADMIN),
    );

    expect(published.data).toEqual({ publishPolicyVersion: { version: 2, lastUpdated: "2026-11-25" } });
    expect((await call(`{ privacyPolicy { version lastUpdated body } }`)).data).toEqual({
      privacyPolicy: { version: 2, lastUpdated: "2026-11-25", body: "# Policy" },
    });
    expect((await call(`{ privacyPolicyVersions { version } }`)).data).toEqual({
      privacyPolicyVersions: [{ version: 2 }, { version: 1 }],
    });
  });

  it("registers with ticked communications, then reads and changes the preferences and history", async () => {
    const registered = await call(`mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`, {
      input: {
        email: "ada@example.com",
        password: "correct horse battery",
        name: "Ada",
        communications: [{ topic: "NEWSLETTER", channel: "EMAIL" }],
      },
    });
    expect(registered.codes).toEqual([]);
    const userId = (registered.data?.register as { user: { id: string } }).user.id;
    const actor: Actor = { kind: "user", userId, role: Role.CUSTOMER, sessionId: "s" };
    // Double opt-in: nothing is granted until the welcome mail's link is used.
    const before = await call(`{ myPreferences { granted } }`, {}, actor);
    expect((before.data?.myPreferences as { granted: boolean }[]).some((p) => p.granted)).toBe(false);
    const token = await lastVerificationToken(bed.ctx(), "ada@example.com");
    const verified = await call(`mutation ($token: String!) { verifyEmail(token: $token) { emailVerified } }`, {
      token,
    });
    expect(verified.data).toEqual({ verifyEmail: { emailVerified: true } });

    const mine = await call(`{ myPreferences { topic channel granted updatedAt } }`, {}, actor);
    const list = mine.data?.myPreferences as { topic: string; channel: string; granted: boolean }[];
    expect(list).toHaveLength(20);
    expect(list.filter((p) => p.granted)).toEqual([
      { topic: "NEWSLETTER", channel: "EMAIL", granted: true, updatedAt: "2026-11-25T12:00:00.000Z" },
    ]);

    (bed.clock as ManualClock).advance(1000);
    const set = await call(
      `mutation ($input: [PreferenceInput!]!) { setPreferences(input: $input) { topic channel granted } }`,
      { input: [{ topic: "SPECIAL_OFFERS", channel: "MAIL", granted: true }] },
      actor,
    );
    expect((set.data?.setPreferences as { granted: boolean }[]).filter((p) => p.granted)).toHaveLength(2);
    (bed.clock as ManualClock).advance(1000);
    const out = await call(`mutation { optOutOfAll(channel: EMAIL) { channel granted } }`, {}, actor);
    expect((out.data?.optOutOfAll as { channel: string; granted: boolean }[]).filter((p) => p.granted)).toEqual([
      { channel: "MAIL", granted: true },
    ]);

    const history = await call(
      `{ myConsentHistory(first: 2) { nodes { topic channel action method actor policyVersion occurredAt } pageInfo { hasNextPage } } }`,
      {},
      actor,
    );
    expect(history.errors).toEqual([]);
    expect(history.data?.myConsentHistory).toEqual({
      nodes: [
        {
          topic: "NEWSLETTER",
          channel: "EMAIL",
          action: "WITHDRAWN",
          method: "PREFERENCE_CENTRE",
          actor: "PERSON",
          policyVersion: 1,
          occurredAt: "2026-11-25T12:00:02.000Z",
        },
        {
          topic: "SPECIAL_OFFERS",
          channel: "MAIL",
          action: "GRANTED",
          method: "PREFERENCE_CENTRE",
          actor: "PERSON",
          policyVersion: 1,
          occurredAt: "2026-11-25T12:00:01.000Z",
        },
      ],
      pageInfo: { hasNextPage: true },
    });
  });

  it("unsubscribes with a token from a message, anonymously, and refuses a bad token with NOT_FOUND", async () => {
    const { user } = await bed.signUp();
    const token = await bed.services.unsubscribe.tokenFor(bed.ctx(), user.id, "NEWSLETTER" as never);
    const UNSUBSCRIBE = `mutation ($token: String!) { unsubscribe(token: $token) { topic channel unsubscribed } }`;

    const done = await call(UNSUBSCRIBE, { token });
    const bad = await call(UNSUBSCRIBE, { token: `${token.slice(0, -1)}${token.endsWith("0") ? "1" : "0"}` });

    expect(done.data).toEqual({ unsubscribe: { topic: "NEWSLETTER", channel: "EMAIL", unsubscribed: true } });
    expect(bad.codes).toEqual([ErrorCode.NOT_FOUND]);
  });

  it("lets support record a removal request and marketing export the telephone list without that number", async () => {
    const ada = await bed.signUp({
      name: "Ada",
      communications: [{ topic: "PRODUCT_UPDATES" as never, channel: "TELEPHONE" as never }],
    });
    await bed.users.users.updateProfile(ada.ctx, { phone: "+442079460000" });
    const LIST = `{ contactList(topic: PRODUCT_UPDATES, channel: TELEPHONE) { rowCount exportedAt rows { name email phone fax address { line1 } } } }`;
    const marketing = await bed.staff(Role.MARKETING);

    const before = await call(LIST, {}, marketing);
    const removal = await call(
      `mutation ($input: RemovalRequestInput!) { recordRemovalRequest(input: $input) { channel reason suppressedAt } }`,
      { input: { channel: "TELEPHONE", value: "+44 20 7946 0000", note: "By phone" } },
      await bed.staff(Role.SUPPORT),
    );
    const after = await call(LIST, {}, marketing);

    expect(before.data?.contactList).toEqual({
      rowCount: 1,
      exportedAt: expect.any(String),
      rows: [{ name: "Ada", email: null, phone: "+442079460000", fax: null, address: null }],
    });
    expect(removal.data?.recordRemovalRequest).toEqual({
      channel: "TELEPHONE",
      reason: "REMOVAL_REQUEST",
      suppressedAt: "2026-11-25T12:00:00.000Z",
    });
    expect(after.data?.contactList).toMatchObject({ rowCount: 0, rows: [] });
  });

  it("creates, sends and reports a campaign", async () => {
    await bed.signUp({ communications: [{ topic: "NEWSLETTER" as never, channel: "EMAIL" as never }] });
    const marketing = await bed.staff(Role.MARKETING);
    const created = await call(
      `mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id status recipientCount } }`,
      { input: { topic: "NEWSLETTER", subject: "News", bodyText: "Hello" } },
      marketing,
    );
    const { id } = created.data?.createCampaign as { id: string };
    expect(created.data?.createCampaign).toEqual({ id, status: "DRAFT", recipientCount: 0 });

    const sent = await call(`mutation ($id: ID!) { sendCampaign(id: $id) { status } }`, { id }, marketing);
    expect(sent.data).toEqual({ sendCampaign: { status: "SENDING" } });
    bed.runner().start();
    await waitFor(async () => (await bed.services.campaigns.find(bed.ctx(), id))?.status === "SENT");

    const report = await call(
      `query ($id: ID!) { campaign(id: $id) { status recipientCount sentCount skippedCount failedCount } }`,
      { id },
      marketing,
    );
    expect(report.data).toEqual({
      campaign: { status: "SENT", recipientCount: 1, sentCount: 1, skippedCount: 0, failedCount: 0 },
    });
    const again = await call(`mutation ($id: ID!) { sendCampaign(id: $id) { status } }`, { id }, marketing);
    expect(again.codes).toEqual([ErrorCode.CONFLICT]);
  });

  it("previews campaign HTML as it will be sent: sanitised, even for a campaign stored before sanitising", async () => {
    const marketing = await bed.staff(Role.MARKETING);
    const created = await call(
      `mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id bodyHtml } }`,
      {
        input: {
          topic: "NEWSLETTER",
          subject: "News",
          bodyText: "Hello",
          bodyHtml: '<p onclick="alert(1)">Hello</p><script>alert(1)</script>',
        },
      },
      marketing,
    );
    const { id } = created.data?.createCampaign as { id: string };
    expect(created.data?.createCampaign).toEqual({ id, bodyHtml: "<p>Hello</p>" });

    // As a row written by an older version holds it.
    await bed.dataSource.manager.update(CampaignEntity, { id }, { bodyHtml: "<p>Old</p><img src=x onerror=alert(1)>" });
    const preview = await call(`query ($id: ID!) { campaign(id: $id) { bodyHtml } }`, { id }, marketing);
    expect(preview.data).toEqual({ campaign: { bodyHtml: "<p>Old</p>" } });
  });

  it("no longer gives partners a hash of every opted-out address (checkPartnerSuppressions replaces it)", () => {
    expect(printSchema(schema)).not.toMatch(/partnerSuppressions|SuppressedHash/);
  });

  describe("bad input", () => {
    it("refuses 10 000 preference entries with BAD_USER_INPUT, writing nothing", async () => {
      const { actor } = await bed.signUp();
      const before = await consentSnapshot(bed.dataSource);
      const input = Array.from({ length: 10_000 }, () => ({ topic: "NEWSLETTER", channel: "EMAIL", granted: false }));

      const result = await call(
        `mutation ($input: [PreferenceInput!]!) { setPreferences(input: $input) { granted } }`,
        { input },
        actor,
      );

      expect(result.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
      expect(await consentSnapshot(bed.dataSource)).toEqual(before);
    });

    it("refuses a pair listed twice, naming it, with nothing half-written", async () => {
      const { actor, user } = await bed.signUp({ communications: [] });

      const result = await call(
        `mutation ($input: [PreferenceInput!]!) { setPreferences(input: $input) { granted } }`,
        {
          input: [
            { topic: "NEWSLETTER", channel: "EMAIL", granted: true },
            { topic: "NEWSLETTER", channel: "EMAIL", granted: false },
          ],
        },
        actor,
      );

      expect(result.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
      expect((result.errors[0]?.originalError as { fields?: { field: string }[] }).fields).toEqual([
        { field: "input.1", message: expect.any(String) },
      ]);
      expect(await bed.dataSource.manager.countBy(ConsentPreferenceEntity, { userId: user.id })).toBe(0);
      expect(await bed.dataSource.manager.count(ConsentEventEntity)).toBe(0);
    });

    it("refuses an unknown topic or channel before any resolver runs", async () => {
      const { actor } = await bed.signUp();
      const before = await consentSnapshot(bed.dataSource);

      const byVariable = await call(
        `mutation ($input: [PreferenceInput!]!) { setPreferences(input: $input) { granted } }`,
        { input: [{ topic: "SPAM", channel: "EMAIL", granted: true }] },
        actor,
      );
      const byLiteral = await call(`mutation { optOutOfAll(channel: PIGEON) { granted } }`, {}, actor);

      // Refused while validating the request (Apollo answers BAD_USER_INPUT / GRAPHQL_VALIDATION_FAILED).
      expect(byVariable.data).toBeNull();
      expect(byVariable.errors).toHaveLength(1);
      expect(byLiteral.data).toBeNull();
      expect(await consentSnapshot(bed.dataSource)).toEqual(before);
    });

    it("refuses a malformed phone number in a removal request and an empty campaign subject", async () => {
      const removal = await call(
        `mutation ($input: RemovalRequestInput!) { recordRemovalRequest(input: $input) { id } }`,
        { input: { channel: "TELEPHONE", value: "020 7946 0000" } },
        await bed.staff(Role.SUPPORT),
      );
      const campaign = await call(
        `mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
        { input: { topic: "NEWSLETTER", subject: "", bodyText: "Hello" } },
        await bed.staff(Role.MARKETING),
      );
      const profile = await call(
        `mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) { id } }`,
        { input: { phone: "not a number" } },
        (await bed.signUp()).actor,
      );

      expect(removal.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
      expect(campaign.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
      expect(profile.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
      const snapshot = await consentSnapshot(bed.dataSource);
      expect(snapshot["consent_suppression"]).toEqual([]);
      expect(snapshot["consent_campaign"]).toEqual([]);
    });
  });

  describe("authorisation", () => {
    const someId = "00000000-0000-7000-8000-000000000000";
    const operations: Record<string, [string, Record<string, unknown>]> = {
      publishPolicyVersion: [
        `mutation ($input: PublishPolicyVersionInput!) { publishPolicyVersion(input: $input) { version } }`,
        { input: { summaryOfChanges: "x", body: "x" } },
      ],
      myPreferences: [`{ myPreferences { granted } }`, {}],
      setPreferences: [
        `mutation ($input: [PreferenceInput!]!) { setPreferences(input: $input) { granted } }`,
        { input: [] },
      ],
      optOutOfAll: [`mutation { optOutOfAll(channel: FAX) { granted } }`, {}],
      myConsentHistory: [`{ myConsentHistory { nodes { id } } }`, {}],
      recordRemovalRequest: [
        `mutation ($input: RemovalRequestInput!) { recordRemovalRequest(input: $input) { id } }`,
        { input: { channel: "FAX", value: "+442079460001" } },
      ],
      contactList: [`{ contactList(topic: NEWSLETTER, channel: MAIL) { rowCount } }`, {}],
      createCampaign: [
        `mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
        { input: { topic: "NEWSLETTER", subject: "x", bodyText: "x" } },
      ],
      sendCampaign: [`mutation ($id: ID!) { sendCampaign(id: $id) { id } }`, { id: someId }],
      campaign: [`query ($id: ID!) { campaign(id: $id) { id } }`, { id: someId }],
    };

    it.each(Object.keys(operations))("refuses %s to an anonymous caller with UNAUTHENTICATED", async (name) => {
      const [source, variables] = operations[name]!;
      expect((await call(source, variables)).codes).toEqual([ErrorCode.UNAUTHENTICATED]);
    });

    it("lets anyone read the policy and use an unsubscribe token", async () => {
      expect((await call(`{ privacyPolicy { version } privacyPolicyVersions { version } }`)).codes).toEqual([]);
      expect((await call(`mutation { unsubscribe(token: "x.y") { topic } }`)).codes).toEqual([ErrorCode.NOT_FOUND]);
    });

    type Who = Role | "PARTNER";
    const allowed: Record<string, Who[]> = {
      publishPolicyVersion: [Role.ADMIN],
      myPreferences: [Role.CUSTOMER, Role.SUPPORT, Role.MARKETING, Role.SECURITY, Role.ADMIN],
      setPreferences: [Role.CUSTOMER, Role.SUPPORT, Role.MARKETING, Role.SECURITY, Role.ADMIN],
      optOutOfAll: [Role.CUSTOMER, Role.SUPPORT, Role.MARKETING, Role.SECURITY, Role.ADMIN],
      myConsentHistory: [Role.CUSTOMER, Role.SUPPORT, Role.MARKETING, Role.SECURITY, Role.ADMIN],
      recordRemovalRequest: [Role.SUPPORT, Role.ADMIN],
      contactList: [Role.MARKETING, Role.ADMIN],
      createCampaign: [Role.MARKETING, Role.ADMIN],
      sendCampaign: [Role.MARKETING, Role.ADMIN],
      campaign: [Role.MARKETING, Role.ADMIN],
    };
    const everyone: Who[] = [Role.CUSTOMER, Role.SUPPORT, Role.MARKETING, Role.SECURITY, Role.ADMIN, "PARTNER"];

    it.each(Object.keys(operations))("lets exactly the right callers through to %s", async (name) => {
      const [source, variables] = operations[name]!;
      for (const who of everyone) {
        const actor = who === "PARTNER" ? bed.partner() : await bed.staff(who);
        const { codes } = await call(source, variables, actor);
        const refused = codes.filter((c) => c === ErrorCode.FORBIDDEN || c === ErrorCode.UNAUTHENTICATED);
        // Allowed callers may still meet NOT_FOUND and the like; the others meet FORBIDDEN and nothing else.
        expect({ who, refused: allowed[name]!.includes(who) ? refused : codes }).toEqual({
          who,
          refused: allowed[name]!.includes(who) ? [] : [ErrorCode.FORBIDDEN],
        });
      }
    });
  });
});
