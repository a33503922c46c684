import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import fastifyCookie from "@fastify/cookie";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Bindings, ChildLoggerOptions, Logger as PinoLogger } from "pino";
import type { HonourConfig } from "@honour/platform";
import type { GatewayMetrics } from "../observability/metrics";
import { consoleSettings, registerConsoleRoutes } from "./console.routes";
import { clientErrorHandler, registerErrorEnvelope } from "./error-envelope";
import { deferredSchemaCompilers } from "./schema-compilers";

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
    // ajv and fast-json-stringify only once a route has a schema (none has): start-up time.
    schemaController: { compilersFactory: deferredSchemaCompilers },
    requestTimeout: timeouts.requestMs,
    // Node's own refusals (too slow, headers too large, not HTTP) in the gateway's error envelope.
    clientErrorHandler,
    // One line per request, written by the onResponse hook below at debug level.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent, bindings, childOptions) => lazyChildLogger(logger, parent, bindings, childOptions),
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
  // The label objects of the few combinations a gateway sees are made once each, not per request
  // (prom-client still hashes them on every inc()).
  const requestCounters = new Map<string, { inc(): void }>();
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    const key = `${route} ${request.method} ${reply.statusCode}`;
    let counter = requestCounters.get(key);
    if (!counter) {
      counter = metrics.httpRequests.labels({ route, method: request.method, status: String(reply.statusCode) });
      if (requestCounters.size < 1000) requestCounters.set(key, counter);
    }
    counter.inc();
    const level = reply.statusCode >= 500 ? "warn" : "debug";
    request.log[level]({ req: request, res: reply, ms: Math.round(reply.elapsedTime) }, "request completed");
    done();
  });
  // The staff console, `/`, favicon and robots.txt; and the offline IDE for a browser's GET
  // /graphql, answered ahead of the /graphql route the gateway adds next (never Apollo's CDN page).
  await registerConsoleRoutes(app, config, consoleSettings(config));
  return app;
}

type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/**
 * Each request's logger (`request.log`, bound to its id), made on first use. pino makes a child
 * eagerly and runs its bindings through the redaction of every wildcard path, about 2 % of a `me`
 * request, though most requests log nothing (their line is written at debug level). A call at a
 * level the gateway does not log is dropped without making the child. A class, so that a request
 * allocates one small object rather than a closure per level.
 */
export function lazyChildLogger(
  root: PinoLogger,
  parent: FastifyBaseLogger,
  bindings: Bindings,
  childOptions: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(root, parent, bindings, childOptions) as unknown as FastifyBaseLogger;
}

class LazyChildLogger {
  private made: FastifyBaseLogger | undefined;
  /** A route's own logLevel comes as the child's level; else the gateway's decides. */
  private readonly threshold: number | undefined;

  constructor(
    private readonly root: PinoLogger,
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly childOptions: ChildLoggerOptions,
  ) {
    this.threshold = childOptions?.level ? root.levels.values[childOptions.level] : undefined;
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  silent(): void {}

  child(more: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(more, options);
  }

  fatal(...args: unknown[]): void {
    this.write("fatal", args);
  }

  error(...args: unknown[]): void {
    this.write("error", args);
  }

  warn(...args: unknown[]): void {
    this.write("warn", args);
  }

  info(...args: unknown[]): void {
    this.write("info", args);
  }

  debug(...args: unknown[]): void {
    this.write("debug", args);
  }

  trace(...args: unknown[]): void {
    this.write("trace", args);
  }

  private real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.childOptions));
  }

  private write(level: LogLevel, args: unknown[]): void {
    if (!this.made) {
      const enabled =
        this.threshold === undefined
          ? this.root.isLevelEnabled(level)
          : this.root.levels.values[level]! >= this.threshold;
      if (!enabled) return;
    }
    (this.real()[level] as (...a: unknown[]) => void)(...args);
  }
}
