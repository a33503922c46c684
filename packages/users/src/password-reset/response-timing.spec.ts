import { ResponseTiming } from "./response-timing";

/** A request that began `ago` ms before now, as `settle` sees it. */
const begunAgo = (ago: number) => performance.now() - ago;

describe("ResponseTiming", () => {
  it("targets the larger of the outcomes' 90th percentiles, and nothing before any request", async () => {
    const timing = new ResponseTiming(["known", "unknown"] as const, 10);
    expect(timing.target()).toBe(0);
    for (let ms = 1; ms <= 10; ms += 1) await timing.settle("unknown", begunAgo(ms));
    // 1 … 10 ms: the 90th percentile (nearest rank) is 10, whatever the order they came in.
    expect(timing.target()).toBeGreaterThanOrEqual(10);
    expect(timing.target()).toBeLessThan(12);
    for (let i = 0; i < 10; i += 1) await timing.settle("known", begunAgo(0));
    expect(timing.target()).toBeGreaterThanOrEqual(10);
  }, 10_000);

  it("keeps only the latest durations of each outcome", async () => {
    const timing = new ResponseTiming(["known", "unknown"] as const, 4);
    for (let i = 0; i < 4; i += 1) await timing.settle("known", begunAgo(40));
    expect(timing.target()).toBeGreaterThanOrEqual(40);
    for (let i = 0; i < 4; i += 1) await timing.settle("known", begunAgo(0));
    expect(timing.target()).toBeLessThan(40);
  }, 10_000);

  it("ends a quick request of either outcome at the target, and a slow one at once", async () => {
    const timing = new ResponseTiming(["known", "unknown"] as const, 64);
    for (let i = 0; i < 64; i += 1) await timing.settle("known", begunAgo(30));
    expect(timing.target()).toBeGreaterThanOrEqual(30);

    // Many times each: a timer that fires early (libuv's clock is whole milliseconds) must not
    // end a request before the target, or the quicker outcome would show.
    for (let round = 0; round < 20; round += 1) {
      for (const outcome of ["known", "unknown"] as const) {
        const started = performance.now();
        const target = timing.target();
        await timing.settle(outcome, started);
        expect(performance.now() - started).toBeGreaterThanOrEqual(target);
      }
    }
    const slow = begunAgo(200);
    const before = performance.now();
    await timing.settle("unknown", slow);
    expect(performance.now() - before).toBeLessThan(20);
  }, 10_000);

  it("refuses an outcome it was not made for", async () => {
    const timing = new ResponseTiming<string>(["known"]);
    await expect(timing.settle("other", performance.now())).rejects.toThrow(/unknown outcome other/);
  });
});
