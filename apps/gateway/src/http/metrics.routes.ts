import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { GatewayMetrics } from "../observability/metrics";

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/**
 * `GET /metrics` for Prometheus, with `Authorization: Bearer <METRICS_TOKEN>` only. Its figures
 * (operation names, traffic, failures) describe the service to whoever reads them, so without a
 * token configured the route is off: 404, as if it did not exist, for everyone, loopback included
 * (behind a reverse proxy on the same machine every visitor arrives from loopback). A missing or
 * wrong token answers 401 with `WWW-Authenticate: Bearer`.
 */
export async function registerMetricsRoutes(
  app: FastifyInstance,
  metrics: GatewayMetrics,
  token: string | undefined,
): Promise<void> {
  // Compared as digests of equal length, so the time taken says nothing about the token.
  const expected = token === undefined ? undefined : sha256(token);
  app.get("/metrics", async (request, reply) => {
    reply.header("cache-control", "no-store");
    if (!expected) {
      return reply.code(404).send({ code: "NOT_FOUND", message: "Metrics are off: set METRICS_TOKEN to serve them." });
    }
    const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? "");
    if (!match || !timingSafeEqual(sha256(match[1]!), expected)) {
      reply.header("www-authenticate", 'Bearer realm="metrics"');
      return reply.code(401).send({ code: "UNAUTHENTICATED", message: "Send Authorization: Bearer <METRICS_TOKEN>." });
    }
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
