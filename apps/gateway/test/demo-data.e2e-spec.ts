import { testDatabaseKinds } from "@honour/testing";
import { LOGIN, startTestGateway, type TestGateway } from "./support/test-gateway";

/**
 * The demo data a new user tries everything with: products, a partner whose key (printed at
 * start-up) works, a campaign draft, and 30 days of page views that the statistics count.
 */
describe.each(testDatabaseKinds())("the demo data on %s", (kind) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(kind, { HONOUR_DEMO_DATA: "true" });
  });
  afterAll(() => t?.close());

  it("seeds products, a partner with a working key, a campaign draft and 30 days of page views", async () => {
    const demo = t.gateway.demoExtras!;
    expect(demo).toMatchObject({ products: ["HONOUR-CRM-1Y", "HONOUR-CRM-MONTHLY", "ONBOARDING-DAY"] });
    expect(demo.partnerKey).toMatch(/^hpk_/);

    const { products } = await t
      .client()
      .ok<{ products: { nodes: { sku: string }[] } }>(`{ products { nodes { sku } } }`);
    expect(products.nodes.map((p) => p.sku).sort()).toEqual([...demo.products].sort());

    // The partner's key, as printed, is accepted.
    const partner = t.client({ authorization: `Bearer ${demo.partnerKey}` });
    const orders = await partner.query(`{ partnerOrders { nodes { id } } }`);
    expect(orders.errors).toBeUndefined();

    const marketing = t.client();
    await marketing.ok(LOGIN, { input: { email: "marketing@demo.example.com", password: "honour-demo-password" } });
    const { campaigns } = await marketing.ok<{ campaigns: { nodes: { subject: string; status: string }[] } }>(
      `{ campaigns(status: DRAFT) { nodes { subject status } } }`,
    );
    expect(campaigns.nodes).toEqual([{ subject: demo.campaignSubject, status: "DRAFT" }]);

    const day = (offset: number) => {
      const date = new Date(Date.now() + offset * 86_400_000);
      return date.toISOString().slice(0, 10);
    };
    const { stats } = await marketing.ok<{ stats: { rows: { key: string; pageviews: number }[] } }>(
      `query ($input: StatsQueryInput!) { stats(input: $input) { rows { key pageviews } } }`,
      { input: { from: day(-32), to: day(0), metrics: ["PAGEVIEWS"], dimension: "DATE" } },
    );
    const withViews = stats.rows.filter((r) => r.pageviews > 0);
    expect(withViews).toHaveLength(30);
    expect(withViews.reduce((sum, r) => sum + r.pageviews, 0)).toBe(demo.pageViews);
  });
});
