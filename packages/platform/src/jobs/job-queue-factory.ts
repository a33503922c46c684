import type { DataSource } from "typeorm";
import type { Clock } from "../clock/clock";
import type { JobQueue } from "./job-queue";
import { RedisJobQueue, type RedisJobQueueOptions } from "./redis-job-queue";
import { SqlJobQueue } from "./sql-job-queue";

/**
 * The job queue an app runs on: BullMQ in Redis when `REDIS_URL` is set (`redisUrl`), else the
 * `job` table. Gateways and workers of one site must agree, or jobs enqueued by one are never
 * claimed by the other.
 */
export function createJobQueue(
  dataSource: DataSource,
  clock: Clock,
  redisUrl: string | undefined,
  options: RedisJobQueueOptions = {},
): JobQueue {
  return redisUrl
    ? new RedisJobQueue(dataSource, clock, redisUrl, options)
    : new SqlJobQueue(dataSource, clock, options);
}
