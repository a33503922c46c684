import { testDatabaseKinds, waitFor, type ReceivedMail, type SmtpPeer } from "@honour/testing";
import { startPeopleGateway, type PeopleGateway } from "./support/people-gateway";
import { addProducts, CONTACT, orderInput, placeOrder, signedInStaff } from "./support/orders-fixtures";
import { signedInAdmin, signedInCustomer, type TestGateway } from "./support/test-gateway";

/**
 * The mail that leads people to their pages, read off a real SMTP peer: a guest order's
 * confirmation links to the order's page (no account); a person is told when their copy of their
 * data is ready (the download page) and when staff extend their request (with the reason); a
 * guest's access request is answered with what we hold about their address.
 */

describe.each(testDatabaseKinds())("mail to people and the pages it leads to on %s", (kind) => {
  let t: TestGateway;
  let smtp: SmtpPeer;
  let people: PeopleGateway;

  beforeAll(async () => {
    people = await startPeopleGateway(kind);
    ({ t, smtp } = people);
  });
  afterAll(() => people?.close());

  const mailTo = (address: string, subject: RegExp) =>
    waitFor(() =>
      smtp.messages.find((m: ReceivedMail) => m.to === address && subject.test(m.headers.get("subject") ?? "")),
    );
  const linkIn = (mail: ReceivedMail, path: string) => {
    const url = new RegExp(`${t.url.replace(/[.]/g, "\\.")}${path}[^\\s<>"]*`).exec(mail.body)?.[0];
    if (!url) throw new Error(`no ${path} link in: ${mail.body}`);
    return new URL(url);
  };

  it("links a guest order's confirmation to the order's page, which a changed link does not open", async () => {
    const admin = await signedInAdmin(t);
    const skus = await addProducts(admin, [{ kind: "SERVICE", priceMinor: 4_999 }]);
    const email = `guest.${Date.now()}@example.com`;
    const order = await placeOrder(t.client(), orderInput(skus, { contact: { ...CONTACT, email } }));

    const mail = await mailTo(email, /^Your order/);
    const link = linkIn(mail, "/orders/view\\?token=");
    const page = await t.client().fetch(`${link.pathname}${link.search}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`Your order ${order.number}`);
    expect(html).toContain("£49.99");
    expect(html).not.toContain(email); // no contact details on the page
    const token = link.searchParams.get("token")!;
    const changed = `${token.slice(0, -1)}${token.endsWith("0") ? "1" : "0"}`;
    expect((await t.client().fetch(`/orders/view?token=${changed}`)).status).toBe(404);
    expect((await t.client().fetch(`/orders/view`)).status).toBe(404);

    // An account's order: its buyer signs in to see it, so no link.
    const { client: buyer } = await signedInCustomer(t);
    const buyerEmail = `buyer.${Date.now()}@example.com`;
    await placeOrder(buyer, orderInput(skus, { contact: { ...CONTACT, email: buyerEmail } }));
    expect((await mailTo(buyerEmail, /^Your order/)).body).not.toContain("/orders/view");
  });

  it("mails a person when their copy is ready, with the download page, which needs their session", async () => {
    const { client, input } = await signedInCustomer(t);
    await client.ok(`mutation { requestDataExport { id } }`);

    const mail = await mailTo(input.email, /^Your data is ready/);
    const link = linkIn(mail, "/privacy/exports/");
    const path = link.pathname;
    const page = await client.fetch(path, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain("<h1>Your data is ready</h1>");
    expect(html).toContain('href="?download=1"');
    const file = await client.fetch(`${path}?download=1`, { headers: { accept: "text/html" } });
    expect(file.status).toBe(200);
    expect(file.headers.get("content-disposition")).toMatch(/^attachment/);
    expect(((await file.json()) as { format: string }).format).toBe("honour.personal-data-export/1");
    const signedOut = await t.client().fetch(path, { headers: { accept: "text/html" } });
    expect(signedOut.status).toBe(401);
    expect(await signedOut.text()).toContain("Sign in to download your data");
  });

  it("mails a person when staff extend their request, with the reason", async () => {
    const { userId, input } = await signedInCustomer(t);
    const { client: support } = await signedInStaff(t, "SUPPORT");
    const { recordPrivacyRequest } = await support.ok<{ recordPrivacyRequest: { id: string } }>(
      `mutation ($input: RecordPrivacyRequestInput!) { recordPrivacyRequest(input: $input) { id } }`,
      { input: { type: "OBJECTION", channel: "LETTER", subjectId: userId } },
    );
    await support.ok(
      `mutation ($id: ID!) { extendPrivacyRequest(id: $id, reason: "We are checking with our partners.") { id } }`,
      {
        id: recordPrivacyRequest.id,
      },
    );

    const mail = await mailTo(input.email, /^We need more time/);
    expect(mail.body).toContain("Why: We are checking with our partners.");
    expect(mail.body).toMatch(/We will answer by \d{4}-\d{2}-\d{2}\./);
  });

  it("answers a guest's access request with what we hold about their address, and completes it", async () => {
    const admin = await signedInAdmin(t);
    const skus = await addProducts(admin, [{ kind: "LICENCE", priceMinor: 12_500 }]);
    const email = `asker.${Date.now()}@example.com`;
    const order = await placeOrder(t.client(), orderInput(skus, { contact: { ...CONTACT, email } }));
    const { client: support } = await signedInStaff(t, "SUPPORT");
    const record = (requesterContact: string) =>
      support.ok<{ recordPrivacyRequest: { id: string } }>(
        `mutation ($input: RecordPrivacyRequestInput!) { recordPrivacyRequest(input: $input) { id } }`,
        { input: { type: "ACCESS", channel: "LETTER", requesterContact } },
      );
    const { recordPrivacyRequest } = await record(`Ada, ${email.toUpperCase()}, 020 7946 0000`);

    const { completePrivacyRequest } = await support.ok<{ completePrivacyRequest: { status: string } }>(
      `mutation ($id: ID!) { completePrivacyRequest(id: $id) { status } }`,
      { id: recordPrivacyRequest.id },
    );
    expect(completePrivacyRequest.status).toBe("COMPLETED");
    const mail = await mailTo(email, /^A copy of the personal data/);
    expect(mail.body).toContain(order.number);
    expect(mail.body).toContain('"guestOrders"');
    expect(mail.body).toContain(CONTACT.address.line1);

    // A request with no address to send a copy to still cannot be answered here.
    const byPhone = await record("telephone 020 7946 0000");
    const refused = await support.query(`mutation ($id: ID!) { completePrivacyRequest(id: $id) { status } }`, {
      id: byPhone.recordPrivacyRequest.id,
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
