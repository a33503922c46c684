import { InProcessRateLimitStore } from "./rate-limit-store";

const OPS = { name: "operations", quota: 3, windowSeconds: 60 };

describe("the in-process token buckets", () => {
  let now = 0;
  const store = (maxKeys?: number) => new InProcessRateLimitStore(() => now, maxKeys);
  beforeEach(() => {
    now = 1_000_000;
  });

  it("starts full, takes tokens, and refuses without taking when too few are left", async () => {
    const s = store();
    expect(await s.take("a", OPS, 1)).toEqual({ allowed: true, remaining: 2, resetSeconds: 20, retryAfterSeconds: 0 });
    await s.take("a", OPS, 2);
    expect(await s.take("a", OPS, 1)).toEqual({
      allowed: false,
      remaining: 0,
      resetSeconds: 60,
      retryAfterSeconds: 20,
    });
    // Another key has its own bucket.
    expect((await s.take("b", OPS, 3)).allowed).toBe(true);
  });

  it("refills evenly over the window", async () => {
    const s = store();
    await s.take("a", OPS, 3);
    now += 19_999;
    expect((await s.take("a", OPS, 1)).allowed).toBe(false);
    now += 1;
    expect(await s.take("a", OPS, 1)).toMatchObject({ allowed: true, remaining: 0 });
    now += 10 * 60_000;
    expect(await s.take("a", OPS, 0)).toEqual({ allowed: true, remaining: 3, resetSeconds: 0, retryAfterSeconds: 0 });
  });

  it("answers a request larger than the bucket with a whole window to wait", async () => {
    expect(await store().take("a", OPS, 4)).toMatchObject({ allowed: false, remaining: 3, retryAfterSeconds: 60 });
  });

  it("forgets the least recently used bucket beyond maxKeys (a forgotten bucket is full)", async () => {
    const s = store(2);
    await s.take("a", OPS, 3);
    await s.take("b", OPS, 3);
    await s.take("a", OPS, 0); // a is now the most recent
    await s.take("c", OPS, 3); // b goes
    expect((await s.take("a", OPS, 0)).remaining).toBe(0);
    expect((await s.take("b", OPS, 0)).remaining).toBe(3);
  });
});
