import { ErrorCode, ManualClock, platformModule, RequestContext, ANONYMOUS, type Platform } from "@honour/platform";
import {
  createTestPlatform,
  openTestDataSource,
  redisTestsRun,
  signUpTestAccount,
  startRedisServer,
  testDatabaseKinds,
  type TestDataSource,
  type TestRedisServer,
} from "@honour/testing";
import { createUsersServices, usersModule, type UsersServices } from "../src";
import { SignInFailureEntity } from "../src/sign-in/sign-in-failure.entity";
import { failure, FAST_HASHING, PASSWORD, START } from "./users-test-bed";

const MINUTE = 60_000;

/**
 * Two gateways' users services on one database and one Redis (`REDIS_URL`), each with its own
 * Redis connection, as two processes behind a load balancer have: the sign-in throttle counts
 * the failures of both.
 */
(redisTestsRun() ? describe.each(testDatabaseKinds()) : describe.skip.each(testDatabaseKinds()))(
  "sign-in throttle in Redis, shared by two gateways, on %s",
  (kind) => {
    let redis: TestRedisServer;
    let db: TestDataSource;
    const clock = new ManualClock(START);
    let gateways: { platform: Platform; services: UsersServices }[];
    // A fresh account per test (Redis is emptied between tests; the database keeps its rows).
    let ada = "";

    beforeAll(async () => {
      redis = await startRedisServer();
      db = await openTestDataSource(kind, [platformModule, usersModule]);
      gateways = [0, 1].map(() => {
        const platform = createTestPlatform(db.dataSource, { clock, env: { REDIS_URL: redis.url } });
        return { platform, services: createUsersServices(platform, { passwordHashing: FAST_HASHING }) };
      });
    });
    afterAll(async () => {
      for (const gateway of gateways ?? []) await gateway.platform.redis?.close();
      await db?.close();
      await redis?.stop();
    });
    beforeEach(async () => {
      await gateways[0]!.platform.redis!.run((client) => client.flushdb());
      clock.set(START);
      ada = `ada${Math.random().toString(36).slice(2, 10)}@example.com`;
    });

    const ctx = (ip?: string) => new RequestContext(db.dataSource, ANONYMOUS, clock, undefined, ip);
    const signIn = (gateway: number, email: string, password: string, ip?: string) =>
      gateways[gateway]!.services.users.signIn(ctx(ip), email, password);
    const signUp = (email: string) => signUpTestAccount(gateways[0]!.services, () => ctx(), { email });

    it("refuses the 6th try whichever gateway takes it, after 5 failures spread over both", async () => {
      await signUp(ada);
      for (let i = 0; i < 5; i++) {
        const failed = await failure(signIn(i % 2, ada, `wrong password ${i}`));
        expect(failed.code).toBe(ErrorCode.UNAUTHENTICATED);
      }
      for (const gateway of [0, 1]) {
        const refused = await failure(signIn(gateway, ada, PASSWORD));
        expect(refused.code).toBe(ErrorCode.RATE_LIMITED);
        expect(refused.extra?.retryAfterSeconds).toBe(30);
      }
      // The counts are in Redis, not in the database.
      expect(await db.dataSource.getRepository(SignInFailureEntity).count()).toBe(0);

      clock.advance(30_000);
      await expect(signIn(1, ada, PASSWORD)).resolves.toMatchObject({ user: { email: ada } });
      // The success on gateway 1 cleared the failures for gateway 0 too: five free failures again.
      for (let i = 0; i < 5; i++) {
        expect((await failure(signIn(0, ada, "typo password"))).code).toBe(ErrorCode.UNAUTHENTICATED);
      }
      expect((await failure(signIn(1, ada, PASSWORD))).code).toBe(ErrorCode.RATE_LIMITED);
    });

    it("checks only the 5 free guesses of a parallel burst over both gateways, refusing the rest", async () => {
      await signUp(ada);
      const errors = await Promise.all(Array.from({ length: 16 }, (_, i) => failure(signIn(i % 2, ada, `guess ${i}`))));
      expect(errors.filter((e) => e.code === ErrorCode.UNAUTHENTICATED)).toHaveLength(5);
      expect(errors.filter((e) => e.code === ErrorCode.RATE_LIMITED)).toHaveLength(11);
    });

    it("never refuses concurrent right passwords on both gateways", async () => {
      await signUp(ada);
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => signIn(i % 2, ada, PASSWORD)));
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    });

    it("counts a client IP's failures over both gateways and forgets them an hour after the last", async () => {
      await signUp(ada);
      for (let i = 0; i < 20; i++) {
        await failure(signIn(i % 2, `target${i}@example.com`, "wrong password", "203.0.113.9"));
      }
      expect((await failure(signIn(0, ada, PASSWORD, "203.0.113.9"))).code).toBe(ErrorCode.RATE_LIMITED);
      expect((await failure(signIn(1, ada, PASSWORD, "203.0.113.9"))).code).toBe(ErrorCode.RATE_LIMITED);
      await expect(signIn(1, ada, PASSWORD, "198.51.100.1")).resolves.toBeDefined();

      clock.advance(61 * MINUTE);
      await expect(signIn(0, ada, PASSWORD, "203.0.113.9")).resolves.toBeDefined();
    });

    it("answers SERVICE_UNAVAILABLE while Redis is down, counting nothing, and works again after", async () => {
      await signUp(ada);
      await redis.kill();
      try {
        const unavailable = await failure(signIn(0, ada, PASSWORD));
        expect(unavailable.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
        expect(unavailable.extra?.retryAfterSeconds).toBeGreaterThan(0);
      } finally {
        await redis.restart();
      }
      let answered: unknown;
      for (let i = 0; i < 50 && !answered; i++) {
        answered = await signIn(1, ada, PASSWORD).catch(() => new Promise((r) => setTimeout(r, 100)));
      }
      expect(answered).toMatchObject({ user: { email: ada } });
    });
  },
);
