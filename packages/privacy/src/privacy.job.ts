import { DAY_MS, HOUR_MS, type JobDefinition, type ScheduleDefinition } from "@honour/platform";
import { BUILD_DATA_EXPORT_JOB } from "./export/data-export.service";
import type { PrivacyServices } from "./privacy.module";

/** The names of the privacy domain's jobs. */
export const PRIVACY_JOBS = {
  buildDataExport: BUILD_DATA_EXPORT_JOB,
  purgeExpiredExports: "privacy.purgeExpiredExports",
  purgeClosedAccountRequests: "privacy.purgeClosedAccountRequests",
} as const;

/**
 * The privacy domain's background work, for the worker: building data exports (queued with the
 * request), deleting exports whose link expired (hourly), and purging the requests of closed
 * accounts after `CLOSED_ACCOUNT_RETENTION_DAYS` (daily).
 */
export function privacyJobs(services: PrivacyServices): { jobs: JobDefinition[]; schedules: ScheduleDefinition[] } {
  return {
    jobs: [
      {
        name: PRIVACY_JOBS.buildDataExport,
        maxAttempts: 5,
        handle: (ctx, payload) =>
          ctx.transaction((tx) =>
            services.exports.build(
              tx,
              String(payload.requestId),
              typeof payload.userId === "string" ? payload.userId : undefined,
            ),
          ),
      },
      {
        name: PRIVACY_JOBS.purgeExpiredExports,
        handle: async (ctx) => {
          await services.exports.purgeExpired(ctx);
        },
      },
      {
        name: PRIVACY_JOBS.purgeClosedAccountRequests,
        handle: async (ctx) => {
          await services.requestRetention.purgeClosedAccounts(ctx);
        },
      },
    ],
    schedules: [
      { job: PRIVACY_JOBS.purgeExpiredExports, everyMs: HOUR_MS },
      { job: PRIVACY_JOBS.purgeClosedAccountRequests, everyMs: DAY_MS },
    ],
  };
}
