import type { FastifyInstance } from "fastify";
import { TRACKING_SCRIPT, type StatsServices } from "@honour/stats";

/** Beacons are small: `{ url, referrer }`. Anything larger is not ours. */
const EVENT_BODY_LIMIT = 8 * 1024;

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/**
 * The page-view beacon and the script that sends it. The endpoint answers at once (202) and never
 * waits for the database: events are buffered and written in batches by the stats package.
 */
export async function registerStatsRoutes(app: FastifyInstance, stats: StatsServices): Promise<void> {
  await app.register(async (scope) => {
    // sendBeacon posts text/plain (no CORS preflight); JSON is accepted as well. Both stay raw
    // bytes here: the stats package parses and validates them.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: EVENT_BODY_LIMIT }, (_request, body, done) =>
      done(null, body),
    );
    scope.post("/api/event", { bodyLimit: EVENT_BODY_LIMIT }, async (request, reply) => {
      const status = stats.ingest.accept({
        body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        contentType: request.headers["content-type"],
        headers: {
          userAgent: request.headers["user-agent"],
          dnt: header(request.headers.dnt),
          secGpc: header(request.headers["sec-gpc"]),
          referer: request.headers.referer,
        },
        ip: request.ip,
      });
      reply.header("cache-control", "no-store");
      return reply.code(status).send();
    });
  });

  app.get("/js/honour.js", async (_request, reply) => {
    reply.header("content-type", "application/javascript; charset=utf-8");
    reply.header("cache-control", "public, max-age=3600");
    return TRACKING_SCRIPT;
  });
}
