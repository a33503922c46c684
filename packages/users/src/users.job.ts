import type { JobDefinition, ScheduleDefinition } from "@honour/platform";
import type { UsersServices } from "./users.module";

/** Names of the accounts domain's jobs. */
export const USERS_JOBS = Object.freeze({
  deleteExpiredSessions: "users.deleteExpiredSessions",
  deleteStaleSignInAttempts: "users.deleteStaleSignInAttempts",
});

const HOUR_MS = 60 * 60 * 1000;

/**
 * The accounts domain's background work, for the worker: hourly removal of expired sessions and
 * of sign-in attempts that have left the throttling window. Neither is needed for correctness
 * (both are ignored once stale); they keep the tables small and keep no data longer than needed.
 */
export function usersJobs(services: UsersServices): { jobs: JobDefinition[]; schedules: ScheduleDefinition[] } {
  return {
    jobs: [
      {
        name: USERS_JOBS.deleteExpiredSessions,
        handle: async (ctx) => {
          await services.sessions.deleteExpired(ctx);
        },
      },
      {
        name: USERS_JOBS.deleteStaleSignInAttempts,
        handle: async (ctx) => {
          await services.users.deleteStaleSignInAttempts(ctx);
        },
      },
    ],
    schedules: [
      { job: USERS_JOBS.deleteExpiredSessions, everyMs: HOUR_MS },
      { job: USERS_JOBS.deleteStaleSignInAttempts, everyMs: HOUR_MS },
    ],
  };
}
