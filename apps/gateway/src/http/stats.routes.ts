import type { FastifyInstance } from "fastify";
import { TRACKING_SCRIPT } from "@honour/stats";

/**
 * The script that sends page views. The beacon itself, `POST /api/event`, is served ahead of
 * Fastify by `createEventEndpoint` (`event-endpoint.ts`).
 */
export async function registerStatsRoutes(app: FastifyInstance): Promise<void> {
  app.get("/js/honour.js", async (_request, reply) => {
    reply.header("content-type", "application/javascript; charset=utf-8");
    reply.header("cache-control", "public, max-age=3600");
    return TRACKING_SCRIPT;
  });
}
