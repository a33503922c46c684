import { Writable } from "node:stream";
import {
  GraphQLTestClient,
  redisTestsRun,
  startRedisServer,
  testDatabaseKinds,
  type TestRedisServer,
} from "@honour/testing";
import { startGateway, type Gateway } from "../src/gateway";
import { createLogger } from "../src/observability/logger";
import { addProducts, orderInput, outcome, PLACE_ORDER, VISA } from "./support/orders-fixtures";
import { signedInAdmin, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

/**
 * A card token made in the browser is charged once, whichever gateway behind the balancer takes
 * the order: two gateways on one database, and on one database and one Redis (`REDIS_URL`).
 */
describe.each(
  testDatabaseKinds().flatMap((kind) => [[kind, false] as const, ...(redisTestsRun() ? [[kind, true] as const] : [])]),
)("one card token, two gateways on %s (Redis: %s)", (kind, withRedis) => {
  let redis: TestRedisServer | undefined;
  let first: TestGateway;
  let second: Gateway & { url: string };
  let sku: string;

  beforeAll(async () => {
    if (withRedis) redis = await startRedisServer();
    first = await startTestGateway(kind, redis ? { REDIS_URL: redis.url } : {});
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    second = await startGateway(first.config, { logger: createLogger("warn", quiet), migrate: false });
    [sku] = await addProducts(await signedInAdmin(first), [{ kind: "SERVICE", priceMinor: 4200 }]);
  }, 60_000);
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await redis?.stop();
  });

  async function token(): Promise<string> {
    const response = await first.client().fetch("/pay/tokens", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ number: VISA.number, expiryMonth: 12, expiryYear: 2030, cvc: VISA.cvc }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { token: string }).token;
  }

  /** A signed-in buyer whose cookie works on both gateways. */
  async function buyers(): Promise<[GraphQLTestClient, GraphQLTestClient]> {
    const { client } = await signedInCustomer(first);
    const onSecond = new GraphQLTestClient(second.url);
    for (const [name, value] of client.cookies) onSecond.cookies.set(name, value);
    return [client, onSecond];
  }

  it("charges it on one gateway and declines it on the other, one after the other", async () => {
    const [onFirst, onSecond] = await buyers();
    const cardToken = await token();
    const placed = await onFirst.query(PLACE_ORDER, { input: orderInput([sku], { payment: { cardToken } }) });
    expect(outcome(placed)).toBe("OK");
    const again = await onSecond.query(PLACE_ORDER, { input: orderInput([sku], { payment: { cardToken } }) });
    expect(outcome(again)).toBe("PAYMENT_DECLINED");
  });

  // Two processes writing one SQLite file at once (as `npm start`'s gateway and worker do) take
  // turns; one held past the busy timeout answers SERVICE_UNAVAILABLE with Retry-After, never a 500.
  // Behind a balancer, gateways share MariaDB/MySQL, where every order gets its answer.
  it("approves exactly one of 6 orders sent at once over both gateways with one token", async () => {
    const [onFirst, onSecond] = await buyers();
    const cardToken = await token();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? onFirst : onSecond).query(PLACE_ORDER, {
          input: orderInput([sku], { payment: { cardToken } }),
        }),
      ),
    );
    // An order's answer, or what refused it: a GraphQL code, or the HTTP envelope's code.
    const outcomes = results.map((r) =>
      r.errors?.length || r.data ? outcome(r) : String((r as unknown as { code?: string }).code ?? r.status),
    );
    if (kind === "mysql") {
      expect(outcomes.filter((o) => o === "OK")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "PAYMENT_DECLINED")).toHaveLength(5);
    } else {
      // better-sqlite3 waits for the other process's write lock synchronously (the busy timeout),
      // so a request can also be refused while its body was waiting to be read, and the order that
      // charged the token can itself be refused busy: at most one order, never a 500.
      expect(outcomes.filter((o) => o === "OK").length).toBeLessThanOrEqual(1);
      const allowed = ["PAYMENT_DECLINED", "SERVICE_UNAVAILABLE", "REQUEST_TIMEOUT"];
      expect(outcomes.filter((o) => o !== "OK" && !allowed.includes(o))).toEqual([]);
    }
    // Where the record is: Redis when REDIS_URL is set, else the database (the token's SHA-256 only).
    const [{ n }] = (await first.gateway.dataSource.query("SELECT COUNT(*) AS n FROM used_card_token")) as {
      n: unknown;
    }[];
    expect(Number(n)).toBe(withRedis ? 0 : 2);
  });
});
