import { HOUR_MS, MINUTE_MS, ValidationException, type JobDefinition, type ScheduleDefinition } from "@honour/platform";
import type { StatsServices } from "./stats.module";

/** Names of the statistics' and the security log's jobs. */
export const STATS_JOBS = Object.freeze({
  rotateSalts: "stats.rotateSalts",
  rollUp: "stats.rollUp",
  purgePageViews: "stats.purgePageViews",
  purgeSecurityEvents: "stats.purgeSecurityEvents",
  resolveHostnames: "stats.resolveHostnames",
});

/**
 * The statistics' background work, for the worker:
 * - salt rotation every hour: today's salt is made within the hour a day begins, and none is kept
 *   48 hours. A worker enqueues the hour's run when it starts, so this also runs at start-up;
 * - rollups every 5 minutes (yesterday and today; `{ days: ["2026-11-24", …] }` for others still
 *   within the raw retention), each first rebuilding the periods of daily rows that have none;
 * - deletion of raw page views past their retention, hourly;
 * - deletion of security events past theirs, hourly;
 * - host names of new security events, every minute, each lookup with a time limit.
 */
export function statsJobs(services: StatsServices): { jobs: JobDefinition[]; schedules: ScheduleDefinition[] } {
  return {
    jobs: [
      {
        name: STATS_JOBS.rotateSalts,
        handle: async (ctx) => {
          await services.salts.rotate(ctx);
        },
      },
      {
        name: STATS_JOBS.rollUp,
        handle: async (ctx, payload) => {
          await services.rollups.rollUp(ctx, readDays(payload.days));
        },
      },
      {
        name: STATS_JOBS.purgePageViews,
        handle: async (ctx) => {
          await services.rollups.purgeRawPageViews(ctx);
        },
      },
      {
        name: STATS_JOBS.purgeSecurityEvents,
        handle: async (ctx) => {
          await services.securityEvents.purge(ctx);
        },
      },
      {
        name: STATS_JOBS.resolveHostnames,
        handle: async (ctx) => {
          await services.securityEvents.resolveHostnames(ctx);
        },
      },
    ],
    schedules: [
      { job: STATS_JOBS.rotateSalts, everyMs: HOUR_MS },
      { job: STATS_JOBS.rollUp, everyMs: 5 * MINUTE_MS },
      { job: STATS_JOBS.purgePageViews, everyMs: HOUR_MS },
      { job: STATS_JOBS.purgeSecurityEvents, everyMs: HOUR_MS },
      { job: STATS_JOBS.resolveHostnames, everyMs: MINUTE_MS },
    ],
  };
}

function readDays(days: unknown): string[] | undefined {
  if (days === undefined) return undefined;
  if (!Array.isArray(days) || days.some((d) => typeof d !== "string")) {
    throw new ValidationException([{ field: "days", message: "must be a list of YYYY-MM-DD days" }]);
  }
  return days as string[];
}
