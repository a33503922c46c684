import { DAY_MS, HOUR_MS, type JobDefinition, type ScheduleDefinition } from "@honour/platform";
import type { UsersServices } from "./users.module";

/** Names of the accounts domain's jobs. */
export const USERS_JOBS = Object.freeze({
  deleteExpiredSessions: "users.deleteExpiredSessions",
  deleteStaleSignInAttempts: "users.deleteStaleSignInAttempts",
  deleteClosedAccounts: "users.deleteClosedAccounts",
  deleteStalePasswordResets: "users.deleteStalePasswordResets",
  deleteStaleAddressLinks: "users.deleteStaleAddressLinks",
});

/**
 * The accounts domain's background work, for the worker: hourly removal of expired sessions
 * (`SESSION_RETENTION_DAYS` after their last use), of sign-in attempts that have left the
 * throttling window with the expired two-factor and passkey challenges, of password reset
 * requests older than a day, and of email verification and email change links 7 days after they
 * expired or were used; daily removal of what is left of accounts closed more than
 * `CLOSED_ACCOUNT_RETENTION_DAYS` ago. None is needed for correctness (stale rows are ignored);
 * they keep no data longer than needed.
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
      {
        name: USERS_JOBS.deleteClosedAccounts,
        handle: async (ctx) => {
          await services.users.deleteClosedAccounts(ctx);
        },
      },
      {
        name: USERS_JOBS.deleteStalePasswordResets,
        handle: async (ctx) => {
          await services.users.deleteStalePasswordResets(ctx);
        },
      },
      {
        name: USERS_JOBS.deleteStaleAddressLinks,
        handle: async (ctx) => {
          await services.users.deleteStaleAddressLinks(ctx);
        },
      },
    ],
    schedules: [
      { job: USERS_JOBS.deleteExpiredSessions, everyMs: HOUR_MS },
      { job: USERS_JOBS.deleteStaleSignInAttempts, everyMs: HOUR_MS },
      { job: USERS_JOBS.deleteClosedAccounts, everyMs: DAY_MS },
      { job: USERS_JOBS.deleteStalePasswordResets, everyMs: HOUR_MS },
      { job: USERS_JOBS.deleteStaleAddressLinks, everyMs: HOUR_MS },
    ],
  };
}
