import { Writable } from "node:stream";
import { SharedRedis } from "@honour/platform";
import {
  GraphQLTestClient,
  redisTestsRun,
  startRedisServer,
  testDatabaseKinds,
  type TestRedisServer,
} from "@honour/testing";
import { startGateway, type Gateway } from "../src/gateway";
import { createLogger } from "../src/observability/logger";
import { outcome } from "./support/orders-fixtures";
import { LOGIN, ME, signedInCustomer, startTestGateway, type TestGateway } from "./support/test-gateway";

/**
 * Two gateways on one database and one Redis (`REDIS_URL`), as behind a load balancer: whichever
 * takes a request, it sees the same sign-in throttle, rate-limit buckets and refused-key counts,
 * and a session made on one works on the other.
 */
(redisTestsRun() ? describe.each(testDatabaseKinds()) : describe.skip.each(testDatabaseKinds()))(
  "two gateways sharing Redis on %s",
  (kind) => {
    let redis: TestRedisServer;
    let first: TestGateway;
    let second: Gateway & { url: string };

    beforeAll(async () => {
      redis = await startRedisServer();
      first = await startTestGateway(kind, {
        REDIS_URL: redis.url,
        RATE_LIMIT_SITE_OPERATIONS: "40",
        RATE_LIMIT_SITE_COST: "0",
        PARTNER_KEY_REJECTIONS_PER_IP: "4",
      });
      const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
      second = await startGateway(first.config, { logger: createLogger("warn", quiet), migrate: false });
    }, 60_000);
    afterAll(async () => {
      await second?.close();
      await first?.close();
      await redis?.stop();
    });

    const emptyRedis = async () => {
      const connection = new SharedRedis(redis.url);
      await connection.run((client) => client.flushdb());
      await connection.close();
    };
    const on = (gateway: number, headers?: Record<string, string>) =>
      new GraphQLTestClient(gateway === 0 ? first.url : second.url, headers);

    it("refuses the 6th sign-in whichever gateway takes it, and a session made on one works on the other", async () => {
      const { input } = await signedInCustomer(first);
      for (let i = 0; i < 5; i++) {
        const result = await on(i % 2).query(LOGIN, { input: { email: input.email, password: `wrong password ${i}` } });
        expect(outcome(result)).toBe("UNAUTHENTICATED");
      }
      for (const gateway of [0, 1]) {
        const refused = await on(gateway).query(LOGIN, { input: { email: input.email, password: input.password } });
        expect(outcome(refused)).toBe("RATE_LIMITED");
      }
      // The failures are counted in Redis, not in the database.
      const [{ n }] = (await first.gateway.dataSource.query("SELECT COUNT(*) AS n FROM sign_in_failure")) as {
        n: number | string;
      }[];
      expect(Number(n)).toBe(0);

      const other = await signedInCustomer(first);
      const client = on(0);
      await client.ok(LOGIN, { input: { email: other.input.email, password: other.input.password } });
      const onSecond = on(1);
      for (const [k, v] of client.cookies) onSecond.cookies.set(k, v);
      expect(await onSecond.ok(ME)).toMatchObject({ me: { email: other.input.email } });
    });

    it("takes one client's operations from one bucket on both gateways", async () => {
      await emptyRedis(); // the test before spent some of this IP's operations
      const remaining: number[] = [];
      for (let i = 0; i < 40; i++) {
        const result = await on(i % 2).query(`{ __typename }`);
        expect(result.status).toBe(200);
        remaining.push(Number(/"operations";r=(\d+)/.exec(result.headers.get("ratelimit") ?? "")?.[1]));
      }
      expect(remaining.slice(0, 3)).toEqual([39, 38, 37]);
      for (const gateway of [0, 1]) {
        const refused = await on(gateway).query(`{ __typename }`);
        expect([refused.status, outcome(refused)]).toEqual([429, "RATE_LIMITED"]);
      }
    });

    it("counts refused partner keys of one IP over both gateways", async () => {
      await emptyRedis();
      for (let i = 0; i < 4; i++) {
        const result = await on(i % 2, { authorization: "Bearer not-a-key" }).query(`{ partner { id } }`);
        expect([result.status, outcome(result)]).toEqual([401, "UNAUTHENTICATED"]);
      }
      for (const gateway of [0, 1]) {
        const throttled = await on(gateway, { authorization: "Bearer not-a-key" }).query(`{ partner { id } }`);
        expect([throttled.status, outcome(throttled)]).toEqual([429, "RATE_LIMITED"]);
      }
    });
  },
);
