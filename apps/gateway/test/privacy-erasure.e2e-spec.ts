import { consentJobs } from "@honour/consent";
import { JobRunner, SqlJobQueue, silentLogger, systemClock } from "@honour/platform";
import { startSmtpPeer, testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import { addProducts, everyStoredValue, partnerWithKey, signedInStaff } from "./support/orders-fixtures";
import { exportFor, PASSWORD, personWithData, type Person } from "./support/privacy-fixtures";
import { ME, REGISTER, signedInAdmin, startTestGateway, type TestGateway } from "./support/test-gateway";

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(testDatabaseKinds())("closing an account erases the person everywhere on %s", (kind) => {
  let t: TestGateway;
  let smtp: Awaited<ReturnType<typeof startSmtpPeer>>;
  let runner: JobRunner;
  let admin: GraphQLTestClient;
  let partner: Awaited<ReturnType<typeof partnerWithKey>>;
  let zed: Person;
  let cal: Person;
  let newPassword: string;

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    t = await startTestGateway(kind, { SMTP_URL: smtp.url });
    // The worker's mail and campaign jobs, in this process, on the gateway's database.
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

    admin = await signedInAdmin(t);
    partner = await partnerWithKey(t, admin);
    const skus = await addProducts(admin, [
      { kind: "LICENCE", priceMinor: 12_500 },
      { kind: "SERVICE", priceMinor: 4_999 },
    ]);
    zed = await personWithData(t, admin, partner, skus, "Zed");
    cal = await personWithData(t, admin, partner, skus, "Cal");
    // The partner fulfils Zed's order (it holds the contact in its own systems now).
    await partner.client.ok(`mutation ($id: ID!) { markOrderFulfilled(orderId: $id) { status } }`, {
      id: zed.order.id,
    });
    // A password change queues a notice naming them; a copy of their data waits for download.
    newPassword = `${PASSWORD} again`;
    await zed.client.ok(`mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }`, {
      input: { currentPassword: PASSWORD, newPassword },
    });
    await exportFor(t, zed.client);
    // Support recorded a letter from them, naming them in the contact and the notes.
    const support = await signedInStaff(t, "SUPPORT");
    await support.client.ok(
      `mutation ($input: RecordPrivacyRequestInput!) { recordPrivacyRequest(input: $input) { id } }`,
      {
        input: {
          type: "RECTIFICATION",
          channel: "LETTER",
          subjectId: zed.userId,
          requesterContact: `${zed.name}, ${zed.address.line1}, ${zed.address.postcode}, ${zed.phone}`,
          notes: `Letter from ${zed.name} <${zed.email}> about the city ${zed.address.city}.`,
        },
      },
    );
  });
  afterAll(async () => {
    await runner?.stop();
    await t?.close();
    await smtp?.close();
  });

  it("leaves no trace of their name, email, phone or address, keeps the orders adding up, and tells the partner", async () => {
    const { dataSource } = t.gateway;
    const totals = async (orderId: string) => {
      const [order] = (await dataSource.query("SELECT totalMinor FROM customer_order WHERE id = ?", [orderId])) as {
        totalMinor: unknown;
      }[];
      const [lines] = (await dataSource.query("SELECT SUM(totalMinor) AS total FROM order_line WHERE orderId = ?", [
        orderId,
      ])) as { total: unknown }[];
      return { order: Number(order?.totalMinor), lines: Number(lines?.total) };
    };
    const before = await totals(zed.order.id);
    expect(before.order).toBe(before.lines);
    expect(before.order).toBe(zed.order.totalMinor);
    // Before: the scan does find them (the test can fail).
    const needles = [
      zed.name,
      zed.email,
      zed.phoneE164,
      zed.phone,
      zed.address.line1,
      zed.address.postcode,
      zed.address.city,
    ];
    // The one copy the closure itself makes: its confirmation to the address the account had,
    // waiting for the worker (job rows go with the job history's retention once sent).
    const isClosureConfirmation = (where: string, value: string) =>
      where === "job.payload" && value.includes('"kind":"ACCOUNT_CLOSED"');
    const hits = async () =>
      (await everyStoredValue(dataSource))
        .filter(({ where, value }) => !isClosureConfirmation(where, value))
        .flatMap(({ where, value }) =>
          needles.filter((n) => value.toLowerCase().includes(n.toLowerCase())).map((n) => `${where} holds ${n}`),
        );
    expect((await hits()).length).toBeGreaterThan(5);

    const closed = await zed.client.query<{ closeAccount: boolean }>(
      `mutation ($p: String!) { closeAccount(password: $p) }`,
      {
        p: newPassword,
      },
    );
    expect(closed.errors).toBeUndefined();
    expect(closed.data).toEqual({ closeAccount: true });
    expect(closed.headers.getSetCookie().join("\n")).toMatch(/honour_session=;/);
    expect((await zed.client.ok<{ me: unknown }>(ME)).me).toBeNull();

    // Every text of every table, job payloads included, but the closure's confirmation mail,
    // which holds their name and address and nothing else of them.
    expect(await hits()).toEqual([]);
    const confirmations = (await everyStoredValue(dataSource)).filter(({ where, value }) =>
      isClosureConfirmation(where, value),
    );
    expect(confirmations).toHaveLength(1);
    const confirmation = confirmations[0]!.value;
    expect(confirmation).toContain(zed.email);
    for (const n of [zed.phoneE164, zed.phone, zed.address.line1, zed.address.postcode, zed.address.city]) {
      expect(confirmation.toLowerCase()).not.toContain(n.toLowerCase());
    }
    // Cal is untouched.
    const calStill = (await everyStoredValue(dataSource)).some(({ value }) => value.includes(cal.email));
    expect(calStill).toBe(true);

    // The order stays for accounting, and still adds up.
    expect(await totals(zed.order.id)).toEqual(before);

    // The partner that fulfilled it is told which orders to erase; Cal's is not among them.
    const notices = await partner.client.ok<{
      partnerErasureNotices: { id: string; orderNumbers: string[]; erasedAt: string }[];
    }>(`{ partnerErasureNotices { id orderNumbers erasedAt } }`);
    const numbers = notices.partnerErasureNotices.flatMap((n) => n.orderNumbers);
    expect(numbers).toContain(zed.order.number);
    expect(numbers).not.toContain(cal.order.number);

    // The closure is on record as a completed erasure request.
    const requests = await admin.ok<{
      privacyRequests: { nodes: { type: string; status: string; subjectId: string }[] };
    }>(`{ privacyRequests(first: 100) { nodes { type status subjectId } } }`);
    expect(requests.privacyRequests.nodes).toEqual(
      expect.arrayContaining([{ type: "ERASURE", status: "COMPLETED", subjectId: zed.userId }]),
    );
  });

  it("does not send marketing to a new registration with the same email that did not opt in", async () => {
    // Registered again with no choice on the form: the policy's soft opt-in would grant NEWSLETTER.
    const again = t.client();
    await again.ok(REGISTER, { input: { email: zed.email, password: PASSWORD, name: "Someone New" } });

    const { createCampaign } = await admin.ok<{ createCampaign: { id: string } }>(
      `mutation ($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }`,
      { input: { topic: "NEWSLETTER", subject: "After the closure", bodyText: "News from Honour." } },
    );
    await admin.ok(`mutation ($id: ID!) { sendCampaign(id: $id) { status } }`, { id: createCampaign.id });
    await waitFor(async () => {
      const { campaign } = await admin.ok<{ campaign: { status: string } }>(
        `query ($id: ID!) { campaign(id: $id) { status } }`,
        { id: createCampaign.id },
      );
      return campaign.status === "SENT";
    });
    const recipients = smtp.messages.filter((m) => m.headers.get("subject") === "After the closure").map((m) => m.to);
    expect(recipients).toContain(cal.email);
    expect(recipients).not.toContain(zed.email);
  });
});
