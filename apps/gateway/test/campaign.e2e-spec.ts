import { consentJobs } from "@honour/consent";
import { JobRunner, SqlJobQueue, silentLogger, systemClock } from "@honour/platform";
import { startSmtpPeer, testDatabaseKinds } from "@honour/testing";
import { verifyAddress } from "./support/people-gateway";
import { REGISTER, newRegistration, signedInAdmin, startTestGateway, type TestGateway } from "./support/test-gateway";

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(testDatabaseKinds())("a marketing campaign end to end on %s", (kind) => {
  let t: TestGateway;
  let smtp: Awaited<ReturnType<typeof startSmtpPeer>>;
  let runner: JobRunner;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    t = await startTestGateway(kind, { SMTP_URL: smtp.url });
    // The worker's part, in this process: the consent jobs on the gateway's database.
    const { dataSource, services } = t.gateway;
    runner = new JobRunner(
      dataSource,
      new SqlJobQueue(dataSource, systemClock),
      systemClock,
      consentJobs(services.consent).jobs,
      [],
      silentLogger,
      { pollMs: 20 },
    );
    runner.start();
  });
  afterAll(async () => {
    await runner?.stop();
    await t?.close();
    await smtp?.close();
  });

  it("reaches the SMTP peer with RFC 8058 headers and a footer, and the one-click POST makes the next campaign skip the person", async () => {
    const reader = newRegistration({ communications: [{ topic: "NEWSLETTER", channel: "EMAIL" }] });
    const leaver = newRegistration({ communications: [{ topic: "NEWSLETTER", channel: "EMAIL" }] });
    const other = newRegistration({ communications: [{ topic: "PRODUCT_UPDATES", channel: "EMAIL" }] });
    for (const input of [reader, leaver, other]) {
      await t.client().ok(REGISTER, { input });
      // Double opt-in: the newsletter ticked at registration is granted once the address is verified.
      await verifyAddress(t, input.email);
    }

    const admin = await signedInAdmin(t);
    const send = async (subject: string) => {
      const { createCampaign } = await admin.ok<{ createCampaign: { id: string } }>(
        `mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
        { input: { topic: "NEWSLETTER", subject, bodyText: "News from Honour." } },
      );
      await admin.ok(`mutation ($id: ID!) { sendCampaign(id: $id) { status } }`, { id: createCampaign.id });
      await waitFor(async () => {
        const { campaign } = await admin.ok<{ campaign: { status: string } }>(
          `query ($id: ID!) { campaign(id: $id) { status } }`,
          { id: createCampaign.id },
        );
        return campaign.status === "SENT";
      });
      return smtp.messages.filter((m) => m.headers.get("subject") === subject);
    };

    const first = await send("November news");
    expect(first.map((m) => m.to).sort()).toEqual([reader.email, leaver.email].sort());
    const toLeaver = first.find((m) => m.to === leaver.email)!;
    expect(toLeaver.headers.get("list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
    const header = toLeaver.headers.get("list-unsubscribe")!;
    const https = /<(https?:\/\/[^>]+\/unsubscribe\/[^>]+)>/.exec(header)?.[1];
    expect(https).toBeDefined();
    expect(header).toMatch(/<mailto:[^>]+>/);
    expect(toLeaver.body).toContain(new URL(https!).pathname);

    // The mail client's one-click POST, to the header's URL (on this gateway's port).
    const oneClick = await t.client().fetch(new URL(https!).pathname, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(oneClick.status).toBe(200);

    const second = await send("December news");
    expect(second.map((m) => m.to)).toEqual([reader.email]);
  });
});
