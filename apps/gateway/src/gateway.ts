import { createServer } from "node:http";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from "@as-integrations/fastify";
import fastifyCookie from "@fastify/cookie";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import type { Logger as PinoLogger } from "pino";
import type { DataSource } from "typeorm";
import {
  DomainException,
  UnauthenticatedException,
  type Actor,
  createPlatform,
  RequestContext,
  SqlJobQueue,
  openDataSource,
  type DatabaseServer,
  isSchemaCurrent,
  migrateSchema,
  systemClock,
  type Clock,
  type HonourConfig,
  type Platform,
} from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { SESSION_COOKIE, seedDemoData, type Role, type UserEntity } from "@honour/users";
import { GraphQLError } from "graphql";
import { SqlSecurityLog } from "@honour/stats";
import { userLoader } from "@honour/users/graphql";
import { createAppServices, moduleDefinitions, type AppServices } from "@honour/composition";
import { createAppResolvers } from "@honour/composition/graphql";
import { createErrorFormatter } from "./graphql/error-formatter";
import { rateLimitedPlugin } from "./graphql/rate-limited";
import { clientErrorHandler, registerErrorEnvelope } from "./http/error-envelope";
import { registerConsentRoutes } from "./http/consent.routes";
import { registerPrivacyRoutes } from "./http/privacy.routes";
import { createEventEndpoint, EVENT_PATH } from "./http/event-endpoint";
import { registerMetricsRoutes } from "./http/metrics.routes";
import { registerStatsRoutes } from "./http/stats.routes";
import {
  DEFAULT_QUERY_LIMITS,
  complexityLimitPlugin,
  depthLimitRule,
  knownOperationTypeRule,
  type QueryLimits,
} from "./graphql/query-limits";
import { buildGatewaySchema } from "./graphql/schema";
import { serviceUnavailablePlugin, unavailableContextError } from "./graphql/service-unavailable";
import { GatewayMetrics } from "./observability/metrics";

export interface GatewayOptions {
  logger: PinoLogger;
  clock?: Clock;
  queryLimits?: QueryLimits;
  /** How long a client may take to send a request; {@link DEFAULT_HTTP_TIMEOUTS} unless tests say. */
  httpTimeouts?: HttpTimeouts;
  /** Run migrations (and seed data) at start-up; on by default. */
  migrate?: boolean;
}

export interface Gateway {
  app: FastifyInstance;
  dataSource: DataSource;
  /** The MySQL/MariaDB server it talks to, as read at start-up; null on the embedded SQLite file. */
  server: DatabaseServer | null;
  services: AppServices;
  /** Demo accounts created on this start, if any. */
  demoAccounts: { email: string; password: string; role: Role }[] | null;
  /** Stops accepting, finishes in-flight requests, closes the pool. */
  close(): Promise<void>;
}

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

/**
 * Builds the gateway: data source (migrated), services, the GraphQL schema on Apollo Server and
 * the Fastify routes. Does not listen; `startGateway` does.
 */
export async function createGateway(config: HonourConfig, options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const limits = options.queryLimits ?? DEFAULT_QUERY_LIMITS;
  const httpTimeouts = options.httpTimeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const { dataSource, server } = await openDataSource(
    config.database,
    {
      entities: moduleDefinitions.flatMap((m) => m.entities),
      migrations: moduleDefinitions.flatMap((m) => m.migrations),
    },
    { logger },
  );
  try {
    const platform: Platform = createPlatform(config, dataSource, {
      clock,
      jobs: new SqlJobQueue(dataSource, clock),
      logger,
      securityLog: new SqlSecurityLog(),
    });
    const services = createAppServices(platform);
    let demoAccounts: Gateway["demoAccounts"] = null;
    if (options.migrate !== false) {
      const applied = await migrateSchema(dataSource);
      if (applied.length > 0) logger.info({ migrations: applied }, "applied migrations");
      const system = new RequestContext(dataSource, { kind: "system", name: "start-up" }, clock);
      // Demo data first: it only seeds an empty database, and the admin account would count.
      if (config.demoData) demoAccounts = await system.transaction((ctx) => seedDemoData(ctx, services.users));
      const admin = config.admin;
      if (admin) await system.transaction((ctx) => services.users.users.ensureAdmin(ctx, admin.email, admin.password));
    }

    const metrics = new GatewayMetrics();
    let closing = false;
    const debugLog = logger.isLevelEnabled("debug");
    const pageViews = createEventEndpoint({
      accept: (request) => services.stats.ingest.accept(request),
      maxBodyBytes: services.stats.options.maxBodyBytes,
      trustProxy: config.trustProxy,
      closing: () => closing,
      answered: (request, status, startedAt) => {
        metrics.httpRequests.inc({ route: EVENT_PATH, method: "POST", status: String(status) });
        const ms = Math.round(performance.now() - startedAt);
        if (status >= 500) logger.warn({ req: request, res: { statusCode: status }, ms }, "request completed");
        else if (debugLog) logger.debug({ req: request, res: { statusCode: status }, ms }, "request completed");
      },
      failed: (err) => logger.error({ err }, "a page view could not be taken"),
    });
    const app = Fastify({
      loggerInstance: logger as FastifyBaseLogger,
      trustProxy: typeof config.trustProxy === "boolean" ? config.trustProxy : [...config.trustProxy],
      forceCloseConnections: "idle",
      bodyLimit: 1_048_576,
      requestTimeout: httpTimeouts.requestMs,
      // Node's own refusals (too slow, headers too large, not HTTP) in the gateway's error envelope.
      clientErrorHandler,
      // One line per request, written by the onResponse hook below at debug level.
      logController: new LogController({ disableRequestLogging: true }),
      // The page-view beacon is answered before Fastify's router; everything else is Fastify's.
      serverFactory: (handler, opts) => {
        const server = createServer(
          { connectionsCheckingInterval: httpTimeouts.checkIntervalMs },
          (request, response) => {
            if (!pageViews(request, response)) handler(request, response);
          },
        );
        // The timeouts Fastify sets on a server it creates itself (keep-alive 72 s, not Node's 5 s,
        // which a load balancer's idle timeout would outlive).
        const timeouts = opts as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number };
        server.keepAliveTimeout = timeouts.keepAliveTimeout;
        server.requestTimeout = timeouts.requestTimeout;
        server.setTimeout(timeouts.connectionTimeout);
        server.headersTimeout = httpTimeouts.headersMs;
        return server;
      },
    });
    // A response finished while shutting down tells keep-alive clients to go, so close() needn't
    // wait for their idle connections to time out.
    app.addHook("onSend", (_request, reply, payload, done) => {
      if (closing) reply.header("connection", "close");
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

    const apollo = new ApolloServer<GraphQLContext>({
      schema: await buildGatewaySchema(createAppResolvers(services)),
      csrfPrevention: true,
      includeStacktraceInErrorResponses: false,
      formatError: createErrorFormatter(logger),
      validationRules: [depthLimitRule(limits.maxDepth), knownOperationTypeRule],
      plugins: [
        fastifyApolloDrainPlugin(app),
        // No cache hints are used: Apollo's cache-control plugin would wrap every field resolver.
        ApolloServerPluginCacheControlDisabled(),
        metrics.plugin(),
        complexityLimitPlugin(limits.maxComplexity),
        rateLimitedPlugin(),
        serviceUnavailablePlugin(),
      ],
      logger,
    });
    await apollo.start();

    const authenticatePartner = async (ctx: RequestContext, header: string): Promise<Actor> => {
      try {
        const key = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header)?.[1];
        if (!key || !services.partnerKeys) throw new UnauthenticatedException("The API key is not valid.");
        return await services.partnerKeys.resolveApiKey(ctx, key);
      } catch (error) {
        if (!(error instanceof DomainException)) throw error;
        throw new GraphQLError(error.message, {
          originalError: error,
          extensions: { code: error.code, http: { status: 401, headers: new Map([["www-authenticate", "Bearer"]]) } },
        });
      }
    };
    const cookieOptions = { httpOnly: true, sameSite: "lax" as const, path: "/", secure: config.cookieSecure };
    const context = async (request: FastifyRequest, reply: FastifyReply): Promise<GraphQLContext> => {
      try {
        return await createContext(request, reply);
      } catch (error) {
        throw unavailableContextError(error);
      }
    };
    const createContext = async (request: FastifyRequest, reply: FastifyReply): Promise<GraphQLContext> => {
      const base = new RequestContext(
        dataSource,
        { kind: "anonymous" },
        clock,
        dataSource.manager,
        request.ip,
        request.id,
      );
      const authorization = request.headers.authorization;
      let actor: Actor;
      let user: UserEntity | null = null;
      if (authorization !== undefined) {
        // Partners call with an API key and no cookie; a key that does not work never falls back.
        actor = await authenticatePartner(base, authorization);
      } else {
        const token = request.cookies[SESSION_COOKIE];
        const session = await services.users.sessions.resolve(base, token);
        ({ actor, user } = session);
        // The session slid forward: let the browser's cookie slide with it (at most once a minute).
        if (session.renewedUntil && token) {
          reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions, expires: session.renewedUntil });
        }
      }
      const graphqlContext: GraphQLContext = {
        ctx: base.withActor(actor),
        http: {
          setCookie: (name, value, opts) =>
            void reply.setCookie(name, value, { ...cookieOptions, expires: opts?.expires }),
          clearCookie: (name) => void reply.clearCookie(name, cookieOptions),
          userAgent: request.headers["user-agent"],
        },
        loaders: new Map(),
      };
      if (user) userLoader(graphqlContext, services.users).prime(user.id, user);
      return graphqlContext;
    };
    app.route({
      url: "/graphql",
      method: ["GET", "POST", "OPTIONS"],
      handler: fastifyApolloHandler(apollo, { context }),
    });

    await registerStatsRoutes(app);
    await registerConsentRoutes(app, services.consent, dataSource, clock, `${config.publicUrl}/preferences`);
    await registerPrivacyRoutes(app, services.privacy, services.users, dataSource, clock);
    app.get("/healthz", async () => ({ status: "ok" }));
    let schemaCurrent = false;
    app.get("/readyz", async (_request, reply) => {
      try {
        await dataSource.query("SELECT 1");
        // The schema cannot fall behind while this process runs once it has caught up.
        schemaCurrent ||= await isSchemaCurrent(dataSource);
        if (!schemaCurrent) return reply.code(503).send({ status: "migrations pending" });
        return { status: "ready" };
      } catch (err) {
        logger.warn({ err }, "readiness check failed");
        return reply.code(503).send({ status: "database unreachable" });
      }
    });
    await registerMetricsRoutes(app, metrics, config.metricsToken);

    return {
      app,
      dataSource,
      server,
      services,
      demoAccounts,
      close: async () => {
        if (closing) return;
        closing = true;
        await app.close(); // stops accepting, drains in-flight requests (and Apollo via its plugin)
        try {
          await services.stats.ingest.close(); // writes the page views still buffered
        } catch (err) {
          logger.error({ err }, "page views could not be written at shutdown");
        }
        await dataSource.destroy();
      },
    };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

/** Creates the gateway and listens on the configured host and port (0 = a random port). */
export async function startGateway(config: HonourConfig, options: GatewayOptions): Promise<Gateway & { url: string }> {
  const gateway = await createGateway(config, options);
  try {
    await gateway.app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  const address = gateway.app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  return { ...gateway, url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}` };
}
