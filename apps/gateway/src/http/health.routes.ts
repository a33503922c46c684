import type { FastifyInstance } from "fastify";
import type { DataSource } from "typeorm";
import { isSchemaCurrent, type JobQueue, type Logger } from "@honour/platform";

/**
 * `GET /healthz` (the process answers) and `GET /readyz` (the database answers and its schema is
 * current, and Redis answers when the job queue runs there: 503 otherwise, so a load balancer
 * sends no traffic to a gateway that cannot serve it).
 */
export async function registerHealthRoutes(
  app: FastifyInstance,
  dataSource: DataSource,
  logger: Logger,
  jobs?: JobQueue,
): Promise<void> {
  app.get("/healthz", async () => ({ status: "ok" }));
  let schemaCurrent = false;
  app.get("/readyz", async (_request, reply) => {
    try {
      await dataSource.query("SELECT 1");
      // The schema cannot fall behind while this process runs once it has caught up.
      schemaCurrent ||= await isSchemaCurrent(dataSource);
      if (!schemaCurrent) return reply.code(503).send({ status: "migrations pending" });
    } catch (err) {
      logger.warn({ err }, "readiness check failed");
      return reply.code(503).send({ status: "database unreachable" });
    }
    if (jobs?.ping) {
      try {
        await jobs.ping();
      } catch (err) {
        logger.warn({ err }, "readiness check failed: Redis");
        return reply.code(503).send({ status: "redis unreachable" });
      }
    }
    return { status: "ready" };
  });
}
