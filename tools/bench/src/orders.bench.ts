import { GraphQLTestClient } from "@honour/testing";
import { createConnection } from "mysql2/promise";
import { compare, load, mean, report, row, type BenchEnv, type LoadRequest } from "./bench-kit";
import { runFloor } from "./floor";

const ADDRESS = "address { line1 line2 city postcode country }";
const MY_ORDERS =
  "query MyOrders { myOrders(first: 20) { nodes { id number status totalMinor lines { sku name quantity unitPriceMinor } " +
  `contact { name email phone organisation ${ADDRESS} } payment { brand last4 expiryMonth expiryYear } } } }`;
const PARTNER_ORDERS =
  "query PartnerOrders { partnerOrders(first: 50) { nodes { id number status lines { sku name quantity } " +
  `contact { name email phone organisation ${ADDRESS} } } } }`;

/**
 * Places `count` orders of the SKUs for `buyer` (1–3 of each, a test card) and assigns each to the
 * partner, as a site's orders reach a reseller.
 */
export async function placeAssignedOrders(
  buyer: GraphQLTestClient,
  admin: GraphQLTestClient,
  skus: string[],
  partnerId: string,
  count: number,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const placed = await buyer.ok<{ placeOrder: { id: string } }>(
      `mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
      {
        input: {
          lines: skus.map((sku) => ({ sku, quantity: 1 + (i % 3) })),
          contact: {
            name: "Ada Lovelace",
            email: "ada@example.com",
            phone: "+44 20 7946 0000",
            organisation: "Analytical Engines Ltd",
            address: { line1: "12 St James's Square", city: "London", postcode: "SW1Y 4JH", country: "GB" },
          },
          payment: {
            cardNumber: "4111111111111111",
            expiryMonth: 12,
            expiryYear: 2030,
            cvc: "123",
            cardholderName: "A L",
          },
        },
      },
    );
    await admin.ok(`mutation ($o: ID!, $p: ID!) { assignOrder(orderId: $o, partnerId: $p) { id } }`, {
      o: placed.placeOrder.id,
      p: partnerId,
    });
  }
}

/** Seeds 50 orders of 3 lines for one buyer, all assigned to one partner, through the API. */
async function seed(env: BenchEnv): Promise<{ cookie: string; bearer: string }> {
  // The bench gateway has no admin account; promote a registered one, as an operator would.
  const admin = new GraphQLTestClient(env.gatewayUrl);
  const registered = await admin.ok<{ register: { user: { id: string } } }>(
    `mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`,
    { input: { email: "orders-admin@bench.test", password: "bench-password-1", name: "Bench Admin" } },
  );
  const db = await createConnection({ uri: env.databaseUrl.replace(/^mariadb:/, "mysql:") });
  try {
    await db.query("UPDATE `user` SET `role` = 'ADMIN' WHERE `id` = ?", [registered.register.user.id]);
  } finally {
    await db.end();
  }

  const skus: string[] = [];
  for (const [kind, priceMinor] of [
    ["LICENCE", 4999],
    ["SERVICE", 1500],
    ["SUBSCRIPTION", 999],
  ] as const) {
    const sku = `BENCH-${kind}`;
    await admin.ok(`mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }`, {
      input: { sku, name: `Bench ${kind.toLowerCase()}`, priceMinor, kind },
    });
    skus.push(sku);
  }
  const partner = await admin.ok<{ createPartner: { id: string } }>(
    `mutation { createPartner(input: { name: "Bench Resellers", contactEmail: "resellers@bench.test" }) { id } }`,
  );
  const partnerId = partner.createPartner.id;
  const key = await admin.ok<{ issuePartnerApiKey: { secret: string } }>(
    `mutation ($id: ID!) { issuePartnerApiKey(partnerId: $id) { secret } }`,
    { id: partnerId },
  );

  const buyer = new GraphQLTestClient(env.gatewayUrl);
  await buyer.ok(`mutation ($input: RegisterInput!) { register(input: $input) { user { id } } }`, {
    input: { email: "orders-buyer@bench.test", password: "bench-password-1", name: "Bench Buyer" },
  });
  await placeAssignedOrders(buyer, admin, skus, partnerId, 50);
  return {
    cookie: `honour_session=${buyer.cookies.get("honour_session")}`,
    bearer: `Bearer ${key.issuePartnerApiKey.secret}`,
  };
}

/**
 * `myOrders(first: 20)` with lines, contact and payment, and `partnerOrders(first: 50)` with lines
 * and contact (each read a disclosure), against a bare node:http + mysql2 server running the same
 * statements and answering the same JSON. Then the gateway held at half its measured maximum rate,
 * for the p99 goal.
 */
export async function runOrdersBench(env: BenchEnv): Promise<void> {
  const match = await env.startServer(
    "orders-baseline-server.js",
    { BENCH_DATABASE_URL: env.databaseUrl },
    /BASELINE_PORT=(\d+)/,
  );
  const baselineUrl = `http://127.0.0.1:${match[1]}`;
  const { cookie, bearer } = await seed(env);

  const scenarios: { title: string; query: string; operationName: string; auth: Record<string, string> }[] = [
    { title: "myOrders(first: 20)", query: MY_ORDERS, operationName: "MyOrders", auth: { cookie } },
    {
      title: "partnerOrders(first: 50)",
      query: PARTNER_ORDERS,
      operationName: "PartnerOrders",
      auth: { authorization: bearer },
    },
  ];
  // BENCH_ORDERS=my (or partner) runs one of the two.
  const parts = process.env.BENCH_ORDERS?.split(",").filter(Boolean) ?? ["my", "partner"];
  for (const { title, query, operationName, auth } of scenarios) {
    if (!parts.includes(operationName === "MyOrders" ? "my" : "partner")) continue;
    const headers: Record<string, string> = { "content-type": "application/json", ...auth };
    const body = JSON.stringify({ query, operationName });
    const post = (u: string) => fetch(`${u}/graphql`, { method: "POST", headers, body }).then((r) => r.json());
    const [fromGateway, fromBaseline] = [await post(env.gatewayUrl), await post(baselineUrl)];
    if (JSON.stringify(fromGateway) !== JSON.stringify(fromBaseline)) {
      throw new Error(
        `${title}: the baseline answers differently:\n gateway  ${JSON.stringify(fromGateway).slice(0, 400)}\n baseline ${JSON.stringify(fromBaseline).slice(0, 400)}`,
      );
    }

    const gateway: LoadRequest = { url: `${env.gatewayUrl}/graphql`, headers, body };
    const results = await compare(env, { baseline: { url: `${baselineUrl}/graphql`, headers, body }, gateway });
    report(
      `${title}, ${env.connections} connections, ${env.durationS} s per run, ${env.rounds} rounds`,
      results,
      "gateway",
      "goal: at least 80 %",
    );
    await runFloor(env, {
      scenario: title,
      headers,
      body,
      answer: fromGateway,
      baseline: results.baseline!,
      goal: 80,
    });
    const half = Math.max(1, Math.round(mean(results.gateway!, "rps") / 2));
    const held = await load({ ...gateway, rate: half }, env);
    console.log(`${row(`gateway at ${half} req/s`, [held])}   (goal: p99 under 50 ms)`);
    if (held.errors > 0) throw new Error(`${title}: requests failed at half rate; the figures are not valid.`);
  }
}
