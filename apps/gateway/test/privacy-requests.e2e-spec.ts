import { daysLeft } from "@honour/privacy";
import { testDatabaseKinds, type GraphQLTestClient } from "@honour/testing";
import { addProducts, placeOrder, orderInput, signedInStaff } from "./support/orders-fixtures";
import { signedInAdmin, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

const FIELDS = "id type status receivedAt dueAt daysLeft downloadUrl";
const RECORD = `mutation ($input: RecordPrivacyRequestInput!) { recordPrivacyRequest(input: $input) { ${FIELDS} } }`;
const EXTEND = `mutation ($id: ID!, $reason: String!, $months: Int) {
  extendPrivacyRequest(id: $id, reason: $reason, months: $months) { ${FIELDS} extendedByMonths extensionReason }
}`;
const AUDIT = `query ($subjectId: String, $actorId: String) {
  auditLog(subjectId: $subjectId, actorId: $actorId, first: 100) { nodes { id actorId action subjectId at } }
}`;

interface View {
  id: string;
  status: string;
  receivedAt: string;
  dueAt: string;
  daysLeft: number | null;
  extendedByMonths?: number;
  extensionReason?: string | null;
}

describe.each(testDatabaseKinds())("privacy requests and the audit log on %s", (kind) => {
  let t: TestGateway;
  let admin: GraphQLTestClient;
  let support: GraphQLTestClient;
  let supportId: string;

  beforeAll(async () => {
    t = await startTestGateway(kind);
    admin = await signedInAdmin(t);
    ({ client: support, userId: supportId } = await signedInStaff(t, "SUPPORT"));
  });
  afterAll(() => t?.close());

  const timeZone = () => t.config.stats.timeZone;

  describe("due dates and extensions", () => {
    it("is due one calendar month after receipt: 31 January to 29 February in a leap year, 28 otherwise", async () => {
      const leap = await support.ok<{ recordPrivacyRequest: View }>(RECORD, {
        input: { type: "ACCESS", channel: "LETTER", requesterContact: "R. Leap", receivedAt: "2024-01-31T12:00:00Z" },
      });
      expect(leap.recordPrivacyRequest).toMatchObject({
        status: "RECEIVED",
        receivedAt: "2024-01-31T12:00:00.000Z",
        dueAt: "2024-02-29T12:00:00.000Z",
        downloadUrl: null,
      });
      // Long overdue: negative, counted in the site's days.
      const overdue = leap.recordPrivacyRequest.daysLeft!;
      expect(overdue).toBeLessThan(-600);
      expect(overdue).toBe(daysLeft(new Date("2024-02-29T12:00:00Z"), new Date(), timeZone()));

      const common = await support.ok<{ recordPrivacyRequest: View }>(RECORD, {
        input: {
          type: "OBJECTION",
          channel: "TELEPHONE",
          requesterContact: "R. Common",
          receivedAt: "2023-01-31T12:00:00Z",
        },
      });
      expect(common.recordPrivacyRequest.dueAt).toBe("2023-02-28T12:00:00.000Z");
    });

    it("counts a request made now from now, with the days left", async () => {
      const { client } = await signedInCustomer(t);
      const { requestDataExport } = await client.ok<{ requestDataExport: View }>(
        `mutation { requestDataExport { ${FIELDS} } }`,
      );
      const received = new Date(requestDataExport.receivedAt);
      expect(Math.abs(received.getTime() - Date.now())).toBeLessThan(60_000);
      const due = new Date(requestDataExport.dueAt);
      expect(requestDataExport.daysLeft).toBe(daysLeft(due, new Date(), timeZone()));
      expect(requestDataExport.daysLeft).toBeGreaterThanOrEqual(28);
      expect(requestDataExport.daysLeft).toBeLessThanOrEqual(31);
    });

    it("extends from the receipt by at most two further months in all, then refuses with a code", async () => {
      const { recordPrivacyRequest } = await support.ok<{ recordPrivacyRequest: View }>(RECORD, {
        input: {
          type: "RECTIFICATION",
          channel: "EMAIL",
          requesterContact: "r@x.example",
          receivedAt: "2024-01-31T12:00:00Z",
        },
      });
      const id = recordPrivacyRequest.id;
      const once = await support.ok<{ extendPrivacyRequest: View }>(EXTEND, {
        id,
        reason: "Several systems to check.",
      });
      // 31 March 2024 is the day the clocks go forward in London: the same 12:00 is 11:00 UTC.
      expect(once.extendPrivacyRequest).toMatchObject({ extendedByMonths: 1, dueAt: "2024-03-31T11:00:00.000Z" });
      const twice = await support.ok<{ extendPrivacyRequest: View }>(EXTEND, { id, reason: "Archive recall." });
      expect(twice.extendPrivacyRequest).toMatchObject({
        extendedByMonths: 2,
        dueAt: "2024-04-30T11:00:00.000Z",
        extensionReason: "Several systems to check.\nArchive recall.",
      });
      const third = await support.query(EXTEND, { id, reason: "Still more." });
      expect(third.errors?.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([
        ["BAD_USER_INPUT", "EXTENSION_LIMIT_EXCEEDED"],
      ]);
      const fresh = await support.ok<{ recordPrivacyRequest: View }>(RECORD, {
        input: { type: "RECTIFICATION", channel: "EMAIL", requesterContact: "s@x.example" },
      });
      const three = await support.query(EXTEND, { id: fresh.recordPrivacyRequest.id, reason: "x", months: 3 });
      expect(three.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
      const blank = await support.query(EXTEND, { id: fresh.recordPrivacyRequest.id, reason: "   " });
      expect(blank.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    });

    it("refuses requests recorded as ONLINE or dated in the future, naming the fields", async () => {
      const refused = await support.query(RECORD, {
        input: { type: "ACCESS", channel: "ONLINE", requesterContact: "x", receivedAt: "2999-01-01T00:00:00Z" },
      });
      expect(refused.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(JSON.stringify(refused.errors)).toContain("input.channel");
      expect(JSON.stringify(refused.errors)).toContain("input.receivedAt");
    });
  });

  describe("audit log", () => {
    it("records staff reading a customer's orders, readable by ADMIN only", async () => {
      const skus = await addProducts(admin, [{ kind: "SERVICE", priceMinor: 2_000 }]);
      const customer = await signedInCustomer(t);
      const order = await placeOrder(customer.client, orderInput(skus));

      await support.ok(`query ($id: ID!) { order(id: $id) { id number contact { name } } }`, { id: order.id });

      const { auditLog } = await admin.ok<{
        auditLog: { nodes: { action: string; actorId: string; subjectId: string; at: string }[] };
      }>(AUDIT, { subjectId: customer.userId });
      const viewed = auditLog.nodes.filter((n) => n.action === "ORDERS_VIEWED");
      expect(viewed).toHaveLength(1);
      expect(viewed[0]).toMatchObject({ actorId: supportId, subjectId: customer.userId });
      // The customer's own reading of their order is not an audited staff read.
      await customer.client.ok(`query ($id: ID!) { order(id: $id) { id } }`, { id: order.id });
      const after = await admin.ok<{ auditLog: { nodes: { action: string }[] } }>(AUDIT, {
        subjectId: customer.userId,
      });
      expect(after.auditLog.nodes.filter((n) => n.action === "ORDERS_VIEWED")).toHaveLength(1);

      // By actor: the support member's reads.
      const byActor = await admin.ok<{ auditLog: { nodes: { actorId: string }[] } }>(AUDIT, { actorId: supportId });
      expect(byActor.auditLog.nodes.length).toBeGreaterThan(0);
      expect(byActor.auditLog.nodes.every((n) => n.actorId === supportId)).toBe(true);
    });

    it("is closed to customers, MARKETING, SUPPORT and anonymous callers, and has no way to change it", async () => {
      const customer = await signedInCustomer(t);
      const marketing = await signedInStaff(t, "MARKETING");
      for (const [client, code] of [
        [customer.client, "FORBIDDEN"],
        [marketing.client, "FORBIDDEN"],
        [support, "FORBIDDEN"],
        [t.client(), "UNAUTHENTICATED"],
      ] as const) {
        const refused = await client.query(AUDIT, {});
        expect(refused.data).toBeNull();
        expect(refused.errors?.map((e) => e.extensions?.code)).toEqual([code]);
      }
      const schema = await admin.query<{ __schema: { mutationType: { fields: { name: string }[] } } }>(
        `{ __schema { mutationType { fields { name } } } }`,
      );
      const names = schema.data!.__schema.mutationType.fields.map((f) => f.name);
      expect(names.filter((n) => /audit/i.test(n))).toEqual([]);
    });
  });
});
