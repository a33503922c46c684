import { LessThan, In } from "typeorm";
import { SqlAuditLog } from "../audit/audit-log";
import type { RequestContext } from "../context/request-context";
import { JobEntity, JobStatus } from "../jobs/job.entity";
import type { JobDefinition, ScheduleDefinition } from "../jobs/job-queue";
import type { Platform } from "../module/domain-module";
import { DAY_MS, HOUR_MS } from "../time/durations";

export const PLATFORM_JOBS = {
  purgeJobHistory: "platform.purgeJobHistory",
  purgeAuditLog: "platform.purgeAuditLog",
} as const;

/**
 * The platform's own retention jobs: finished and dead jobs after `JOB_HISTORY_RETENTION_DAYS`
 * (their payloads may name a mail recipient), audit entries after `AUDIT_LOG_RETENTION_DAYS`.
 */
export function platformJobs(platform: Platform): { jobs: JobDefinition[]; schedules: ScheduleDefinition[] } {
  const { retention } = platform.config;
  const audit = new SqlAuditLog();
  return {
    jobs: [
      {
        name: PLATFORM_JOBS.purgeJobHistory,
        handle: async (ctx) => {
          await purgeJobHistory(ctx, new Date(ctx.clock.now().getTime() - retention.jobHistoryDays * DAY_MS));
        },
      },
      {
        name: PLATFORM_JOBS.purgeAuditLog,
        handle: async (ctx) => {
          await audit.purgeOlderThan(ctx, new Date(ctx.clock.now().getTime() - retention.auditLogDays * DAY_MS));
        },
      },
    ],
    schedules: [
      { job: PLATFORM_JOBS.purgeJobHistory, everyMs: HOUR_MS },
      { job: PLATFORM_JOBS.purgeAuditLog, everyMs: DAY_MS },
    ],
  };
}

/** Deletes DONE and DEAD jobs that finished before `before`; returns how many. */
export async function purgeJobHistory(ctx: RequestContext, before: Date): Promise<number> {
  const result = await ctx.manager.delete(JobEntity, {
    status: In([JobStatus.DONE, JobStatus.DEAD]),
    finishedAt: LessThan(before),
  });
  return result.affected ?? 0;
}
