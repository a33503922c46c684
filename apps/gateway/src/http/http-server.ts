import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import fastifyCookie from "@fastify/cookie";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger as PinoLogger } from "pino";
import type { HonourConfig } from "@honour/platform";
import type { GatewayMetrics } from "../observability/metrics";
import { clientErrorHandler, registerErrorEnvelope } from "./error-envelope";

export interface HttpTimeouts {
  /** From the connection's first byte (or the previous response) to the end of the headers. */
  headersMs: number;
  /** From the first byte to the end of the body: a slow-loris body is cut after this. */
  requestMs: number;
  /** How often Node checks both; a slow client is cut at most this much later. */
  checkIntervalMs: number;
}

/**
 * A client that trickles its headers or body (slow loris) holds a socket and little else; these cut
 * it off: headers within 10 s, a whole request (at most 1 MiB) within 30 s. Node's defaults are
 * 60 s for headers and, in Fastify, no limit at all for the body. Answers take as long as they
 * take; these only bound receiving.
 */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000, checkIntervalMs: 2_000 };

export interface HttpServerOptions {
  config: HonourConfig;
  logger: PinoLogger;
  timeouts: HttpTimeouts;
  metrics: GatewayMetrics;
  /** Answers the requests it takes (the page-view beacon) ahead of Fastify's router; false for the rest. */
  ahead(request: IncomingMessage, response: ServerResponse): boolean;
  /** True once the gateway is shutting down. */
  closing(): boolean;
}

/**
 * Fastify on a `node:http` server of our own: the beacon ahead of the router, Fastify's own
 * timeouts kept (keep-alive 72 s), slow clients cut, cookies, one error envelope, and one line of
 * metrics and (debug) log per request.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const { config, logger, timeouts, metrics } = options;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: typeof config.trustProxy === "boolean" ? config.trustProxy : [...config.trustProxy],
    forceCloseConnections: "idle",
    bodyLimit: 1_048_576,
    requestTimeout: timeouts.requestMs,
    // Node's own refusals (too slow, headers too large, not HTTP) in the gateway's error envelope.
    clientErrorHandler,
    // One line per request, written by the onResponse hook below at debug level.
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: (handler, opts) => {
      const server = createServer({ connectionsCheckingInterval: timeouts.checkIntervalMs }, (request, response) => {
        if (!options.ahead(request, response)) handler(request, response);
      });
      // The timeouts Fastify sets on a server it creates itself (keep-alive 72 s, not Node's 5 s,
      // which a load balancer's idle timeout would outlive).
      const fastifyTimeouts = opts as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number };
      server.keepAliveTimeout = fastifyTimeouts.keepAliveTimeout;
      server.requestTimeout = fastifyTimeouts.requestTimeout;
      server.setTimeout(fastifyTimeouts.connectionTimeout);
      server.headersTimeout = timeouts.headersMs;
      return server;
    },
  });
  // A response finished while shutting down tells keep-alive clients to go, so close() needn't
  // wait for their idle connections to time out.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (options.closing()) reply.header("connection", "close");
    done(null, payload);
  });
  await app.register(fastifyCookie);
  registerErrorEnvelope(app);
  app.addHook("onResponse", (request, reply, done) => {
    metrics.httpRequests.inc({
      route: request.routeOptions.url ?? "unmatched",
      method: request.method,
      status: String(reply.statusCode),
    });
    const level = reply.statusCode >= 500 ? "warn" : "debug";
    request.log[level]({ req: request, res: reply, ms: Math.round(reply.elapsedTime) }, "request completed");
    done();
  });
  return app;
}
