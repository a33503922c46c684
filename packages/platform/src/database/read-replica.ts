import type { DataSource } from "typeorm";
import { RequestContext } from "../context/request-context";

/** True when the data source has read replicas (`DATABASE_REPLICA_URLS`). */
export function hasReadReplicas(dataSource: DataSource): boolean {
  const replication = (dataSource.options as { replication?: { slaves?: unknown[] } }).replication;
  return (replication?.slaves?.length ?? 0) > 0;
}

/**
 * Runs `work` with a context whose reads go to a read replica, for the reads docs/scaling.md
 * lists (statistics, staff lists, partner order lists): ones that tolerate a replica's lag.
 * Reads the primary instead inside a transaction, after this context (or the request's context
 * it came from) committed a write, and when no replica is configured or the replica cannot be
 * reached. A transaction opened from the replica context runs on the primary, as every write does.
 */
export async function readFromReplica<T>(
  ctx: RequestContext,
  work: (replica: RequestContext) => Promise<T>,
): Promise<T> {
  if (ctx.inTransaction || ctx.hasWritten || !hasReadReplicas(ctx.dataSource)) return work(ctx);
  const runner = ctx.dataSource.createQueryRunner("slave");
  try {
    await runner.connect();
  } catch {
    await runner.release().catch(() => undefined);
    return work(ctx); // the pool cluster leaves the failed replica out for a while
  }
  try {
    return await work(ctx.withManager(runner.manager));
  } finally {
    await runner.release();
  }
}
