import { ANONYMOUS, ManualClock, RequestContext, type ClaimedJob } from "@honour/platform";
import type { DataSource } from "typeorm";
import { STATS_JOBS, statsJobs } from "./stats.job";
import type { StatsServices } from "./stats.module";

describe("statsJobs", () => {
  const rotate = jest.fn(async () => ({ deleted: 0, today: "2026-11-25" }));
  const rollUp = jest.fn(async () => []);
  const purgeRawPageViews = jest.fn(async () => 0);
  const purge = jest.fn(async () => 0);
  const resolveHostnames = jest.fn(async () => 0);
  const services = {
    salts: { rotate },
    rollups: { rollUp, purgeRawPageViews },
    securityEvents: { purge, resolveHostnames },
  } as unknown as StatsServices;
  const ctx = new RequestContext({ manager: {} } as DataSource, ANONYMOUS, new ManualClock());
  const job = (name: string): ClaimedJob => ({ id: "j", name, payload: {}, attempt: 1, maxAttempts: 3 });
  const { jobs, schedules } = statsJobs(services);
  const handler = (name: string) => jobs.find((j) => j.name === name)!;

  beforeEach(() => jest.clearAllMocks());

  it("schedules every job: salts, purges hourly, rollups every 5 minutes, host names every minute", () => {
    expect(Object.fromEntries(schedules.map((s) => [s.job, s.everyMs]))).toEqual({
      "stats.rotateSalts": 3_600_000,
      "stats.rollUp": 300_000,
      "stats.purgePageViews": 3_600_000,
      "stats.purgeSecurityEvents": 3_600_000,
      "stats.resolveHostnames": 60_000,
    });
    expect(jobs.map((j) => j.name).sort()).toEqual(schedules.map((s) => s.job).sort());
  });

  it("has each job call its service", async () => {
    await handler(STATS_JOBS.rotateSalts).handle(ctx, {}, job("x"));
    await handler(STATS_JOBS.purgePageViews).handle(ctx, {}, job("x"));
    await handler(STATS_JOBS.purgeSecurityEvents).handle(ctx, {}, job("x"));
    await handler(STATS_JOBS.resolveHostnames).handle(ctx, {}, job("x"));

    expect(rotate).toHaveBeenCalledWith(ctx);
    expect(purgeRawPageViews).toHaveBeenCalledWith(ctx);
    expect(purge).toHaveBeenCalledWith(ctx);
    expect(resolveHostnames).toHaveBeenCalledWith(ctx);
  });

  it("rolls up yesterday and today by default, or the days in the payload", async () => {
    await handler(STATS_JOBS.rollUp).handle(ctx, {}, job("x"));
    await handler(STATS_JOBS.rollUp).handle(ctx, { days: ["2026-11-20"] }, job("x"));

    expect(rollUp.mock.calls).toEqual([
      [ctx, undefined],
      [ctx, ["2026-11-20"]],
    ]);
    await expect(handler(STATS_JOBS.rollUp).handle(ctx, { days: "2026-11-20" }, job("x"))).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
  });
});
