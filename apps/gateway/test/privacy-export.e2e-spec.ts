import { ConsentKeys } from "@honour/consent";
import { RequestContext, systemClock } from "@honour/platform";
import { DataExportEntity } from "@honour/privacy";
import { SESSION_COOKIE } from "@honour/users";
import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import { addProducts, CONTACT, orderInput, partnerWithKey, placeOrder } from "./support/orders-fixtures";
import { exportFor, PASSWORD, personWithData, type Person } from "./support/privacy-fixtures";
import { signedInAdmin, startTestGateway, TEST_SECRET, type TestGateway } from "./support/test-gateway";

interface ExportDocument {
  format: string;
  requestId: string;
  data: {
    account: { profile: Record<string, unknown>; sessions: unknown[] };
    orders: {
      orders: {
        number: string;
        totalMinor: number;
        contact: Record<string, unknown> | null;
        payment: { last4: string } | null;
        lines: unknown[];
      }[];
      savedPaymentMethods: { last4: string }[];
      disclosures: { partnerName: string; orderNumber: string }[];
    };
    consent: { ledger: unknown[]; preferences: { topic: string; channel: string; granted: boolean }[] };
    security: { events: { kind: string }[] };
    privacy: { requests: { id: string; type: string }[] };
    mail: { messages: Record<string, unknown>[] };
  };
}

describe.each(testDatabaseKinds())("data export end to end on %s", (kind) => {
  let t: TestGateway;
  let admin: GraphQLTestClient;
  let partner: Awaited<ReturnType<typeof partnerWithKey>>;
  let ada: Person;
  let bob: Person;
  let skus: string[];

  beforeAll(async () => {
    t = await startTestGateway(kind);
    admin = await signedInAdmin(t);
    partner = await partnerWithKey(t, admin);
    skus = await addProducts(admin, [
      { kind: "LICENCE", priceMinor: 12_500 },
      { kind: "SERVICE", priceMinor: 4_999 },
    ]);
    ada = await personWithData(t, admin, partner, skus, "Ada");
    bob = await personWithData(t, admin, partner, skus, "Bob");
  });
  afterAll(() => t?.close());

  const count = async (sql: string, params: unknown[]) =>
    Number(((await t.gateway.dataSource.query(sql, params)) as { n: unknown }[])[0]!.n);

  it("holds every row about the person and nothing about anyone else", async () => {
    const { path } = await exportFor(t, ada.client);
    const response = await ada.client.fetch(path);
    expect(response.status).toBe(200);
    const body = await response.text();
    const document = JSON.parse(body) as ExportDocument;
    expect(document.format).toBe("honour.personal-data-export/1");
    expect(Object.keys(document.data)).toEqual(
      expect.arrayContaining(["mail", "account", "orders", "consent", "security", "privacy"]),
    );

    // Account: the profile as it stands.
    expect(document.data.account.profile).toMatchObject({ name: ada.name, email: ada.email, phone: ada.phoneE164 });
    expect(body).toContain(ada.address.line1);

    // Orders: each of their orders (rows in customer_order / order_line), its contact and card.
    const { dataSource } = t.gateway;
    const orders = document.data.orders.orders;
    expect(orders).toHaveLength(await count("SELECT COUNT(*) AS n FROM customer_order WHERE userId = ?", [ada.userId]));
    const lines = await count(
      "SELECT COUNT(*) AS n FROM order_line l JOIN customer_order o ON o.id = l.orderId WHERE o.userId = ?",
      [ada.userId],
    );
    expect(orders.flatMap((o) => o.lines)).toHaveLength(lines);
    expect(orders.map((o) => o.number)).toContain(ada.order.number);
    expect(orders[0]!.contact).toMatchObject({ name: ada.name, email: ada.email });
    expect(orders[0]!.payment).toMatchObject({ last4: "4176" });
    // Saved card: brand and last four only.
    expect(document.data.orders.savedPaymentMethods).toHaveLength(
      await count("SELECT COUNT(*) AS n FROM saved_payment_method WHERE userId = ?", [ada.userId]),
    );
    expect(document.data.orders.savedPaymentMethods.map((c) => c.last4)).toEqual(["4176"]);
    // Disclosures of their contact to the partner.
    const disclosures = await count(
      "SELECT COUNT(*) AS n FROM disclosure d JOIN customer_order o ON o.id = d.orderId WHERE o.userId = ?",
      [ada.userId],
    );
    expect(disclosures).toBeGreaterThan(0);
    expect(document.data.orders.disclosures).toHaveLength(disclosures);
    expect(document.data.orders.disclosures[0]).toMatchObject({
      partnerName: partner.name,
      orderNumber: ada.order.number,
    });

    // Consent: every ledger entry under their keyed hash, and the current preferences.
    const subjectHash = new ConsentKeys(TEST_SECRET).subject(ada.userId);
    const ledger = await count("SELECT COUNT(*) AS n FROM consent_event WHERE subjectHash = ?", [subjectHash]);
    expect(ledger).toBeGreaterThanOrEqual(4);
    expect(document.data.consent.ledger).toHaveLength(ledger);
    expect(document.data.consent.preferences).toHaveLength(
      await count("SELECT COUNT(*) AS n FROM consent_preference WHERE userId = ?", [ada.userId]),
    );
    expect(document.data.consent.preferences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ topic: "NEWSLETTER", channel: "EMAIL", granted: true }),
        expect.objectContaining({ topic: "SPECIAL_OFFERS", channel: "EMAIL", granted: false }),
        expect.objectContaining({ topic: "PRODUCT_UPDATES", channel: "TELEPHONE", granted: true }),
      ]),
    );

    // Security events about them (the wrong password, the sign-ins).
    const events = await count("SELECT COUNT(*) AS n FROM security_event WHERE userId = ?", [ada.userId]);
    expect(events).toBeGreaterThanOrEqual(2);
    expect(document.data.security.events).toHaveLength(events);
    expect(document.data.security.events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(["LOGIN_FAILED", "LOGIN_SUCCEEDED"]),
    );

    // Their privacy requests, this one included.
    expect(document.data.privacy.requests.map((r) => r.type)).toEqual(["ACCESS"]);

    // Nothing about Bob, who shares the partner, the products and the days.
    for (const value of [bob.name, bob.email, bob.phoneE164, bob.address.line1, bob.order.number, bob.userId]) {
      expect({ value, found: body.includes(value) }).toEqual({ value, found: false });
    }
    // Nor the secret, a card number or a session token.
    expect(body).not.toContain("4929386025614176");
    expect(body).not.toContain(ada.client.cookies.get(SESSION_COOKIE)!);
    expect(
      await dataSource.query("SELECT id FROM privacy_data_export WHERE subjectUserId = ?", [ada.userId]),
    ).toHaveLength(1);
  });

  it("copies the mail about the account as the person reads it, and no mail about anyone else's order", async () => {
    await ada.client.ok(`mutation ($input: ChangePasswordInput!) { changePassword(input: $input) }`, {
      input: { currentPassword: PASSWORD, newPassword: PASSWORD },
    });
    // Someone orders as a guest with Ada's address: the confirmation goes to it, but is not hers
    // to read (an account does not prove that its holder owns the address).
    const guest = `Guest Impostor ${Date.now()}`;
    await placeOrder(t.client(), orderInput(skus, { contact: { ...CONTACT, name: guest, email: ada.email } }));

    const { path } = await exportFor(t, ada.client);
    const body = await (await ada.client.fetch(path)).text();
    const { data } = JSON.parse(body) as ExportDocument;
    expect(data).not.toHaveProperty("jobs");
    const passwordChanged = data.mail.messages.filter((m) => m.kind === "PASSWORD_CHANGED");
    expect(passwordChanged).toEqual([
      {
        kind: "PASSWORD_CHANGED",
        to: { name: ada.name, address: ada.email },
        subject: "Your password was changed",
        text: expect.stringContaining(ada.name),
        status: "QUEUED",
        queuedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        sentAt: null,
      },
    ]);
    // Her own order's confirmation is hers; the guest's, sent to the same address, is not.
    const confirmations = data.mail.messages.filter((m) => m.kind === "ORDER_CONFIRMATION");
    expect(confirmations).toEqual([
      expect.objectContaining({
        to: { name: ada.name, address: ada.email },
        subject: `Your order ${ada.order.number}`,
      }),
    ]);
    // Only what a reader of the message sees: no job ids, names, keys, attempts or errors.
    for (const message of data.mail.messages) {
      expect(Object.keys(message).sort()).toEqual(["kind", "queuedAt", "sentAt", "status", "subject", "text", "to"]);
    }
    expect(body).not.toContain(guest);
    expect(body).not.toContain("mail.transactional");
    const jobs: { id: string; uniqueKey: string | null }[] = await t.gateway.dataSource.query(
      "SELECT id, uniqueKey FROM job WHERE name = 'mail.transactional'",
    );
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    for (const job of jobs) {
      expect(body).not.toContain(job.id);
      if (job.uniqueKey) expect(body).not.toContain(job.uniqueKey);
    }
  });

  it("serves the file as an attachment that is never cached, and audits the download", async () => {
    const { id, path } = await exportFor(t, bob.client);
    const response = await bob.client.fetch(path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="personal-data-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.json"$/,
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    const log = await admin.ok<{ auditLog: { nodes: { action: string; actorId: string; subjectId: string }[] } }>(
      `query ($s: String) { auditLog(subjectId: $s, first: 100) { nodes { id actorId action subjectId at } } }`,
      { s: bob.userId },
    );
    const actions = log.auditLog.nodes.map((n) => n.action);
    expect(actions).toEqual(
      expect.arrayContaining(["DATA_EXPORTED", "DATA_EXPORT_DOWNLOADED", "PRIVACY_REQUEST_RECORDED"]),
    );
    expect(log.auditLog.nodes.find((n) => n.action === "DATA_EXPORT_DOWNLOADED")!.actorId).toBe(bob.userId);
    expect(id).toBeTruthy();
  });

  it("refuses another user (404), an anonymous caller (401), a wrong signature (404) and an expired link (410)", async () => {
    const { id, path } = await exportFor(t, ada.client);
    const json = async (response: Response) => ({
      status: response.status,
      body: (await response.json()) as { code: string },
    });

    const other = await json(await bob.client.fetch(path));
    expect(other).toMatchObject({ status: 404, body: { code: "EXPORT_NOT_FOUND" } });
    const anonymous = await json(await t.client().fetch(path));
    expect(anonymous).toMatchObject({ status: 401, body: { code: "UNAUTHENTICATED" } });
    const tampered = await json(await ada.client.fetch(path.replace(/[0-9a-f]{8}$/, "00000000")));
    expect(tampered).toMatchObject({ status: 404, body: { code: "EXPORT_NOT_FOUND" } });
    const staff = await json(await admin.fetch(path));
    expect(staff).toMatchObject({ status: 404, body: { code: "EXPORT_NOT_FOUND" } });
    expect((await ada.client.fetch(path)).status).toBe(200);
    // The signed link never reaches the request log.
    const logs = t.logs.join("");
    expect(logs).toContain("/privacy/exports/[REDACTED]");
    expect(logs).not.toContain(path.split("/").pop());

    // Five days on (DATA_EXPORT_RETENTION_DAYS): the link is refused, and the copy disappears.
    await t.gateway.dataSource.manager.update(DataExportEntity, { id }, { expiresAt: new Date(Date.now() - 1000) });
    const expired = await json(await ada.client.fetch(path));
    expect(expired).toMatchObject({ status: 410, body: { code: "EXPORT_EXPIRED" } });
    const retention = new RequestContext(t.gateway.dataSource, { kind: "system", name: "retention" }, systemClock);
    expect(await t.gateway.services.privacy.exports.purgeExpired(retention)).toBeGreaterThanOrEqual(1);
    expect(
      await t.gateway.dataSource.query("SELECT part FROM privacy_data_export_part WHERE exportId = ?", [id]),
    ).toEqual([]);
    expect(await json(await ada.client.fetch(path))).toMatchObject({ status: 410, body: { code: "EXPORT_EXPIRED" } });
    const { myPrivacyRequests } = await ada.client.ok<{
      myPrivacyRequests: { id: string; downloadUrl: string | null }[];
    }>(`query { myPrivacyRequests { id downloadUrl } }`);
    expect(myPrivacyRequests.find((r) => r.id === id)!.downloadUrl).toBeNull();
  });
});
