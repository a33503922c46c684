import { ManualClock, SharedRedis } from "@honour/platform";
import {
  openTestDataSource,
  redisTestsRun,
  startRedisServer,
  testDatabaseKinds,
  type TestDataSource,
  type TestRedisServer,
} from "@honour/testing";
import { platformModule } from "@honour/platform";
import { usersModule } from "@honour/users";
import { ordersModule } from "../src/orders.module";
import { CLIENT_TOKEN_TTL_MS, LocalPaymentProvider, type ChargeRequest } from "../src/payment/payment-provider.service";
import { UsedCardTokenEntity } from "../src/payment/used-card-token.entity";
import { DatabaseUsedCardTokens, RedisUsedCardTokens, type UsedCardTokens } from "../src/payment/used-card-tokens";
import { CARD, START } from "./orders-test-bed";

const TOKEN_KEY = "shared-token-key-for-both-gateways";
let seq = 0;
const charge = (): ChargeRequest => {
  seq += 1;
  return { amountMinor: 4999, currency: "GBP", reference: `HON-${seq}`, idempotencyKey: `order-${seq}` };
};

/**
 * A browser-made card token is charged once across gateways: two providers (two gateways) with
 * one store each, on one database or one Redis.
 */
function sharedTokenSuite(
  name: string,
  open: () => Promise<{
    stores: [UsedCardTokens, UsedCardTokens];
    clock: ManualClock;
    rows?: () => Promise<UsedCardTokenEntity[]>;
    close: () => Promise<void>;
  }>,
): void {
  describe(name, () => {
    let env: Awaited<ReturnType<typeof open>>;
    let a: LocalPaymentProvider;
    let b: LocalPaymentProvider;
    beforeAll(async () => {
      env = await open();
      a = new LocalPaymentProvider(env.clock, TOKEN_KEY, env.stores[0]);
      b = new LocalPaymentProvider(env.clock, TOKEN_KEY, env.stores[1]);
    });
    afterAll(() => env?.close());

    const tokenise = (provider: LocalPaymentProvider, number = CARD.number) => {
      const made = provider.tokenizeCard({
        number,
        expiryMonth: 12,
        expiryYear: 2030,
        cvc: CARD.cvc,
        cardholderName: "",
      });
      if ("error" in made) throw new Error(made.error);
      return made.token;
    };

    it("charges a token once: the other gateway declines it INVALID_TOKEN, a retry with the key replays", async () => {
      const token = tokenise(a);
      const first = charge();
      const approved = await a.chargeClientToken(token, first);
      expect(approved).toMatchObject({ approved: true, card: { brand: "VISA", last4: "4176" } });
      expect(await b.chargeClientToken(token, charge())).toEqual({ approved: false, reason: "INVALID_TOKEN" });
      expect(await a.chargeClientToken(token, charge())).toEqual({ approved: false, reason: "INVALID_TOKEN" });
      // The same order retried on the first gateway gets its answer again without a new charge.
      const charged = a.charged;
      expect(await a.chargeClientToken(token, first)).toEqual(approved);
      expect(a.charged).toBe(charged);
    });

    it("approves exactly one of 10 concurrent charges of one token spread over both gateways", async () => {
      const token = tokenise(b);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).chargeClientToken(token, charge())),
      );
      expect(outcomes.filter((o) => o.approved)).toHaveLength(1);
      expect(outcomes.filter((o) => !o.approved && o.reason === "INVALID_TOKEN")).toHaveLength(9);
    });

    it("keeps only the token's SHA-256 until it expires, never the card", async () => {
      if (!env.rows) return;
      const token = tokenise(a);
      await a.chargeClientToken(token, charge());
      const rows = await env.rows();
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(CARD.digits);
      expect(stored).not.toContain(token);
      // Expired rows go on a later claim (at most once a minute per process).
      env.clock.advance(CLIENT_TOKEN_TTL_MS + 60_000);
      await b.chargeClientToken(tokenise(b), charge());
      expect(await env.rows()).toHaveLength(1);
    });
  });
}

describe.each(testDatabaseKinds())("card tokens on one database (%s)", (kind) => {
  sharedTokenSuite("two gateways' stores on one database", async () => {
    const db: TestDataSource = await openTestDataSource(kind, [platformModule, usersModule, ordersModule]);
    const clock = new ManualClock(START);
    return {
      stores: [new DatabaseUsedCardTokens(db.dataSource, clock), new DatabaseUsedCardTokens(db.dataSource, clock)],
      clock,
      rows: () => db.dataSource.getRepository(UsedCardTokenEntity).find(),
      close: () => db.close(),
    };
  });
});

(redisTestsRun() ? describe : describe.skip)("card tokens in one Redis", () => {
  sharedTokenSuite("two gateways' connections to one Redis", async () => {
    const redis: TestRedisServer = await startRedisServer();
    const connections = [new SharedRedis(redis.url), new SharedRedis(redis.url)] as const;
    const clock = new ManualClock(new Date());
    return {
      stores: [new RedisUsedCardTokens(connections[0]), new RedisUsedCardTokens(connections[1])],
      clock,
      close: async () => {
        await Promise.all(connections.map((c) => c.close()));
        await redis.stop();
      },
    };
  });
});
