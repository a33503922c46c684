import { Channel, ErrorCode, Role, systemClock, Topic, type Actor } from "@honour/platform";
import {
  buildGraphQLHarness,
  startSmtpPeer,
  statementsOf,
  testDatabaseKinds,
  type GraphQLHarness,
  type SmtpPeer,
} from "@honour/testing";
import { createUsersResolvers } from "@honour/users/graphql";
import { CampaignStatus } from "../src";
import { createConsentResolvers } from "../src/graphql";
import { OutboxMessageEntity } from "../src/campaign/outbox-message.entity";
import { consentSnapshot, openConsentTestBed, PUBLIC_URL, waitFor, type ConsentTestBed } from "./consent-test-bed";

/**
 * What the staff console needs of campaigns: the list with cursors and a status filter, changes to
 * drafts (never to what was sent), the preview of a recipient's message, a test send to oneself
 * through a real SMTP peer, and the soft opt-in footer's wording on a real send.
 */
describe.each(testDatabaseKinds())("campaigns for staff on %s", (kind) => {
  let bed: ConsentTestBed;
  let peer: SmtpPeer;
  let call: GraphQLHarness["call"];
  let marketing: Actor;

  beforeAll(async () => {
    peer = await startSmtpPeer();
    bed = await openConsentTestBed(kind, { clock: systemClock, smtpUrl: peer.url, sender: { sendingRecheckMs: 50 } });
    ({ call } = await buildGraphQLHarness({
      resolvers: [...createUsersResolvers(bed.users), ...createConsentResolvers(bed.services)],
      ctx: (actor) => bed.ctx(actor),
    }));
  });
  afterAll(async () => {
    await bed?.close();
    await peer?.close();
  });
  beforeEach(async () => {
    await bed.reset();
    peer.messages.length = 0;
    marketing = await bed.staff(Role.MARKETING);
  });

  const CREATE = `mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id status } }`;
  async function create(subject: string, topic = Topic.NEWSLETTER): Promise<string> {
    const result = await call(CREATE, { input: { topic, subject, bodyText: `Text of ${subject}` } }, marketing);
    expect(result.errors).toEqual([]);
    return (result.data!.createCampaign as { id: string }).id;
  }
  const status = async (id: string) => (await bed.services.campaigns.find(bed.ctx(), id))?.status;

  it("lists campaigns newest first, page by page with cursors, and by status", async () => {
    const ids: string[] = [];
    for (const subject of ["One", "Two", "Three"]) ids.push(await create(subject));
    await bed.ctx(marketing).transaction((tx) => bed.services.campaigns.send(tx, ids[0]!));
    const LIST = `query ($first: Int, $after: String, $status: CampaignStatus) {
      campaigns(first: $first, after: $after, status: $status) {
        nodes { subject status } pageInfo { hasNextPage endCursor } } }`;

    const first = await call(LIST, { first: 2 }, marketing);
    const page1 = first.data!.campaigns as {
      nodes: { subject: string }[];
      pageInfo: { hasNextPage: boolean; endCursor: string };
    };
    expect(page1.nodes.map((n) => n.subject)).toEqual(["Three", "Two"]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await call(LIST, { first: 2, after: page1.pageInfo.endCursor }, marketing);
    expect(second.data!.campaigns).toMatchObject({
      nodes: [{ subject: "One", status: "SENDING" }],
      pageInfo: { hasNextPage: false },
    });

    const drafts = await call(LIST, { status: "DRAFT" }, marketing);
    expect((drafts.data!.campaigns as { nodes: { subject: string }[] }).nodes.map((n) => n.subject)).toEqual([
      "Three",
      "Two",
    ]);
    const bad = await call(LIST, { after: "not-a-cursor" }, marketing);
    expect(bad.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
    const customer = await bed.staff(Role.CUSTOMER);
    expect((await call(LIST, {}, customer)).codes).toEqual([ErrorCode.FORBIDDEN]);
    expect((await call(LIST, {})).codes).toEqual([ErrorCode.UNAUTHENTICATED]);
  });

  it("changes only the fields given of a draft, and refuses with CAMPAIGN_NOT_DRAFT once it is sent", async () => {
    const id = await create("Draft");
    const UPDATE = `mutation ($id: ID!, $input: UpdateCampaignInput!) {
      updateCampaign(id: $id, input: $input) { subject bodyText bodyHtml topic } }`;

    const changed = await call(
      UPDATE,
      { id, input: { subject: "  Better subject ", bodyHtml: "<p onclick=x>Hi</p>" } },
      marketing,
    );
    expect(changed.data!.updateCampaign).toEqual({
      subject: "Better subject",
      bodyText: "Text of Draft",
      bodyHtml: "<p>Hi</p>",
      topic: "NEWSLETTER",
    });
    const removed = await call(UPDATE, { id, input: { bodyHtml: null, topic: "SPECIAL_OFFERS" } }, marketing);
    expect(removed.data!.updateCampaign).toMatchObject({ bodyHtml: null, topic: "SPECIAL_OFFERS" });

    const invalid = await call(UPDATE, { id, input: { subject: "", bodyText: " " } }, marketing);
    expect(invalid.codes).toEqual([ErrorCode.BAD_USER_INPUT]);
    expect((invalid.errors[0]?.originalError as { fields?: unknown[] }).fields).toEqual([
      { field: "input.subject", message: "must not be empty" },
      { field: "input.bodyText", message: "must not be empty" },
    ]);
    const unknown = await call(
      UPDATE,
      { id: "00000000-0000-0000-0000-000000000000", input: { subject: "x" } },
      marketing,
    );
    expect(unknown.codes).toEqual([ErrorCode.NOT_FOUND]);

    await bed.ctx(marketing).transaction((tx) => bed.services.campaigns.send(tx, id));
    const before = await consentSnapshot(bed.dataSource);
    const late = await call(UPDATE, { id, input: { subject: "Too late" } }, marketing);
    expect(late.codes).toEqual([ErrorCode.CONFLICT]);
    expect(late.reasons).toEqual(["CAMPAIGN_NOT_DRAFT"]);
    expect(await consentSnapshot(bed.dataSource)).toEqual(before);
  });

  it("previews the message as a recipient gets it, footer and links included, and counts who would get it", async () => {
    await bed.signUp({
      email: "ticked@example.com",
      communications: [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }],
    });
    await bed.signUp({ email: "soft@example.com" }); // the soft opt-in: the company's topics by email
    await bed.signUp({ email: "none@example.com", communications: [] });
    const id = await create("News");
    await call(
      `mutation ($id: ID!) { updateCampaign(id: $id, input: { bodyHtml: "<html><body><p>Hello</p></body></html>" }) { id } }`,
      { id },
      marketing,
    );
    const before = await consentSnapshot(bed.dataSource);
    const PREVIEW = `query ($id: ID!, $soft: Boolean) {
      previewCampaign(id: $id, softOptIn: $soft) { to subject text html listUnsubscribe } }`;

    const preview = (await call(PREVIEW, { id }, marketing)).data!.previewCampaign as Record<string, string>;
    expect(preview.subject).toBe("News");
    expect(preview.text).toMatch(
      new RegExp(
        `^Text of News\\n\\n--\\nYou receive newsletters from Honour by email because you chose to\\.\\n` +
          `Unsubscribe from newsletters: ${PUBLIC_URL}/unsubscribe/\\S+\\n` +
          `Manage your communication preferences: ${PUBLIC_URL}/preferences\\?token=\\S+\\n$`,
      ),
    );
    expect(preview.html).toMatch(
      /^<html><body><p>Hello<\/p><hr><p [^>]+>You receive newsletters .*<\/p><\/body><\/html>$/,
    );
    expect(preview.html).toContain(`href="${PUBLIC_URL}/unsubscribe/`);
    expect(preview.listUnsubscribe).toMatch(/^<https:\/\/www\.honour\.example\/unsubscribe\/\S+>, <mailto:/);
    const soft = (await call(PREVIEW, { id, soft: true }, marketing)).data!.previewCampaign as Record<string, string>;
    expect(soft.text).toContain("because you registered or bought from us and have not said no.");
    expect(soft.text).not.toContain("you chose to");
    expect(await consentSnapshot(bed.dataSource)).toEqual(before); // previewing writes nothing

    const count = await call(`query ($id: ID!) { campaign(id: $id) { eligibleRecipientCount } }`, { id }, marketing);
    expect(count.data!.campaign).toEqual({ eligibleRecipientCount: 2 });
    expect((await call(PREVIEW, { id: "00000000-0000-0000-0000-000000000000" }, marketing)).codes).toEqual([
      ErrorCode.NOT_FOUND,
    ]);
  });

  it("counts each topic's eligible recipients once per request, however many campaigns are listed", async () => {
    await bed.signUp({ email: "soft@example.com" }); // the soft opt-in: the company's topics by email
    for (const subject of ["A", "B", "C", "D"]) await create(subject);
    await create("Offer", Topic.SPECIAL_OFFERS);
    const { result, sql } = await statementsOf(bed.dataSource, () =>
      call(`{ campaigns(first: 10) { nodes { subject eligibleRecipientCount } } }`, {}, marketing),
    );
    expect(result.errors).toEqual([]);
    const counts = (result.data!.campaigns as { nodes: { subject: string; eligibleRecipientCount: number }[] }).nodes;
    expect(counts.map((c) => c.subject)).toEqual(["Offer", "D", "C", "B", "A"]);
    const expected = async (topic: Topic) => bed.services.campaigns.eligibleCount(bed.ctx(marketing), topic);
    expect(counts.map((c) => c.eligibleRecipientCount)).toEqual([
      await expected(Topic.SPECIAL_OFFERS),
      ...Array<number>(4).fill(await expected(Topic.NEWSLETTER)),
    ]);
    // Two topics: two reads of the granted accounts, not five.
    expect(sql.filter((statement) => /SELECT p\.\S+ AS userId, u\.\S+ AS email/.test(statement))).toHaveLength(2);
  });

  it("sends a test to the signed-in staff member only, through SMTP, counting nothing", async () => {
    await bed.signUp({
      email: "reader@example.com",
      communications: [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }],
    });
    const id = await create("Test me");
    const staffEmail = (await bed.users.users.findById(bed.ctx(), (marketing as { userId: string }).userId))!.email;

    const result = await call(`mutation ($id: ID!) { sendTestCampaign(id: $id) { to subject } }`, { id }, marketing);

    expect(result.data!.sendTestCampaign).toEqual({ to: staffEmail, subject: "[Test] Test me" });
    expect(peer.messages.map((m) => m.to)).toEqual([staffEmail]);
    const [message] = peer.messages;
    expect(message!.headers.get("subject")).toBe("[Test] Test me");
    expect(message!.body).toMatch(
      /Unsubscribe from newsletters: https:\/\/www\.honour\.example\/unsubscribe\/[A-Za-z0-9_-]{22}\.[0-9a-f]{32}/,
    );
    expect(message!.body).toMatch(/preferences\?token=[A-Za-z0-9_-]{22}\.\d{10}\.[0-9a-f]{32}/);
    expect(await status(id)).toBe(CampaignStatus.DRAFT);
    expect(await bed.dataSource.manager.count(OutboxMessageEntity)).toBe(0);
    const customer = await bed.staff(Role.CUSTOMER);
    expect((await call(`mutation ($id: ID!) { sendTestCampaign(id: $id) { to } }`, { id }, customer)).codes).toEqual([
      ErrorCode.FORBIDDEN,
    ]);
    expect(peer.messages).toHaveLength(1);
  });

  it("tells soft opt-in recipients they get it because they registered or bought, others that they chose to", async () => {
    await bed.signUp({
      email: "ticked@example.com",
      communications: [{ topic: Topic.NEWSLETTER, channel: Channel.EMAIL }],
    });
    await bed.signUp({ email: "soft@example.com" });
    bed.runner().start();
    const id = await create("Both");
    await bed.ctx(marketing).transaction((tx) => bed.services.campaigns.send(tx, id));
    await waitFor(async () => (await status(id)) === CampaignStatus.SENT);

    const body = (to: string) => peer.messages.find((m) => m.to === to)!.body;
    expect(body("ticked@example.com")).toContain("You receive newsletters from Honour by email because you chose to.");
    expect(body("soft@example.com")).toContain(
      "You receive newsletters from Honour by email because you registered or bought from us and have not said no.",
    );
    // Each recipient's footer carries their own preference link, which names them and nobody else.
    for (const to of ["ticked@example.com", "soft@example.com"]) {
      const token = /preferences\?token=([A-Za-z0-9_.-]+)/.exec(body(to))![1]!;
      const userId = await bed.services.unsubscribe.preferencesAccount(bed.ctx(), token);
      expect((await bed.users.users.findById(bed.ctx(), userId!))!.email).toBe(to);
      // A preference token does not unsubscribe, and an unsubscribe token opens no preferences.
      expect(await bed.services.unsubscribe.describe(bed.ctx(), token)).toEqual({ valid: false });
      const unsubscribe = /\/unsubscribe\/([A-Za-z0-9_.-]+)/.exec(body(to))![1]!;
      expect(await bed.services.unsubscribe.preferencesAccount(bed.ctx(), unsubscribe)).toBeNull();
    }
  });
});
