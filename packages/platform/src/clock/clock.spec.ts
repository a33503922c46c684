import { ManualClock, systemClock } from "./clock";

describe("ManualClock", () => {
  it("stands still until told to move", () => {
    const clock = new ManualClock("2026-01-01T00:00:00.000Z");
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });

  it("advances by milliseconds and can be set", () => {
    const clock = new ManualClock(new Date("2026-01-01T00:00:00.000Z"));
    clock.advance(1500);
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:01.500Z");
    clock.set("2027-06-01T12:00:00.000Z");
    expect(clock.now().toISOString()).toBe("2027-06-01T12:00:00.000Z");
  });

  it("hands out copies, so callers cannot move it by mutating a date", () => {
    const clock = new ManualClock("2026-01-01T00:00:00.000Z");
    clock.now().setUTCFullYear(1999);
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });
});

describe("systemClock", () => {
  it("tells the current time", () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
