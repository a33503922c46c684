import { fastifyApolloHandler } from "@as-integrations/fastify";
import type { FastifyInstance } from "fastify";
import type { Logger as PinoLogger } from "pino";
import type { DataSource } from "typeorm";
import { createAppServices, moduleDefinitions, type AppServices } from "@honour/composition";
import {
  createPlatform,
  migrateSchema,
  openDataSource,
  RequestContext,
  createJobQueue,
  systemClock,
  type Clock,
  type DatabaseServer,
  type HonourConfig,
} from "@honour/platform";
import { SqlSecurityLog } from "@honour/stats";
import { seedDemoData, UserEntity, type Role } from "@honour/users";
import { seedDemoExtras, type DemoExtras } from "./demo-data";
import { startApollo } from "./graphql/apollo";
import { createGraphQLContext } from "./graphql/graphql-context";
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from "./graphql/query-limits";
import { InProcessRateLimitStore, type RateLimitStore } from "./graphql/rate-limit-store";
import { GatewayRateLimits } from "./graphql/rate-limits";
import { RedisRateLimitStore } from "./graphql/redis-rate-limit-store";
import { DEFAULT_TRUSTED_DOCUMENTS_FILE, TrustedDocuments } from "./graphql/trusted-documents";
import { registerAccountEmailRoutes } from "./http/account-email.routes";
import { registerAccountRoutes } from "./http/account.routes";
import { registerConsentRoutes } from "./http/consent.routes";
import { registerCors } from "./http/cors";
import { createEventEndpoint, EVENT_PATH } from "./http/event-endpoint";
import { registerHealthRoutes } from "./http/health.routes";
import { createHttpServer, DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts } from "./http/http-server";
import { registerMetricsRoutes } from "./http/metrics.routes";
import { registerPaymentRoutes } from "./http/payment.routes";
import { registerGuestOrderRoutes } from "./http/pages/guest-order.routes";
import { registerPageAssets } from "./http/pages/layout";
import { PREFERENCES_PATH, registerPreferenceCentreRoutes } from "./http/pages/preference-centre.routes";
import { registerPrivacyRoutes } from "./http/privacy.routes";
import { registerStatsRoutes } from "./http/stats.routes";
import { GatewayMetrics } from "./observability/metrics";

export { DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts };

export interface GatewayOptions {
  logger: PinoLogger;
  clock?: Clock;
  queryLimits?: QueryLimits;
  /** How long a client may take to send a request; {@link DEFAULT_HTTP_TIMEOUTS} unless tests say. */
  httpTimeouts?: HttpTimeouts;
  /** Where the rate limits' buckets live; in Redis with `REDIS_URL`, else in this process's memory, unless given. */
  rateLimitStore?: RateLimitStore;
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
  /** The rest of the demo data created on this start (the partner's key to print), if any. */
  demoExtras: DemoExtras | null;
  /** Stops accepting, finishes in-flight requests, closes the pool. */
  close(): Promise<void>;
}

/**
 * Builds the gateway, step by step: the database (its dialect read from the server), every
 * domain's services, the schema brought up to date with demo data and the admin account, the HTTP
 * server with the page-view beacon ahead of Fastify, Apollo on `/graphql`, then the other routes.
 * Does not listen; `startGateway` does.
 */
export async function createGateway(config: HonourConfig, options: GatewayOptions): Promise<Gateway> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const { dataSource, server } = await openDataSource(
    config.database,
    {
      entities: moduleDefinitions.flatMap((m) => m.entities),
      migrations: moduleDefinitions.flatMap((m) => m.migrations),
    },
    { logger },
  );
  try {
    const platform = createPlatform(config, dataSource, {
      clock,
      jobs: createJobQueue(dataSource, clock, config.redisUrl, { logger }),
      logger,
      securityLog: new SqlSecurityLog(),
    });
    const services = createAppServices(platform);
    const { demoAccounts, demoExtras } =
      options.migrate === false
        ? { demoAccounts: null, demoExtras: null }
        : await prepareDatabase(config, dataSource, services, clock, logger);

    const metrics = new GatewayMetrics();
    let closing = false;
    const app = await createHttpServer({
      config,
      logger,
      timeouts: options.httpTimeouts ?? DEFAULT_HTTP_TIMEOUTS,
      metrics,
      ahead: pageViewEndpoint(config, services, metrics, logger, () => closing),
      closing: () => closing,
    });

    await registerCors(app, config.corsOrigins);
    // Trusted documents, rate limits and refused-key throttling (README: "Integrations").
    const { integrations } = config;
    const trustedDocuments = TrustedDocuments.load(integrations.trustedDocumentsFile ?? DEFAULT_TRUSTED_DOCUMENTS_FILE);
    const now = () => clock.now().getTime();
    // Shared by every gateway in Redis when REDIS_URL is set (docs/scaling.md, "Shared state").
    const rateLimitStore =
      options.rateLimitStore ??
      (platform.redis ? new RedisRateLimitStore(platform.redis, now) : new InProcessRateLimitStore(now));
    const system = new RequestContext(dataSource, { kind: "system", name: "rate-limits" }, clock);
    const rateLimits = new GatewayRateLimits(
      rateLimitStore,
      integrations.rateLimits,
      (partnerId) => services.orders.partners.rateLimitOf(system, partnerId),
      metrics.partnerUsage,
      now,
    );
    const queryLimits = options.queryLimits ?? DEFAULT_QUERY_LIMITS;
    const apollo = await startApollo(app, services, queryLimits, logger, metrics, rateLimits);
    const context = createGraphQLContext({
      dataSource,
      clock,
      services,
      cookieSecure: config.cookieSecure,
      trustedDocuments,
      trustedOnly: { partners: integrations.partnerTrustedDocumentsOnly, site: integrations.siteTrustedDocumentsOnly },
      rejections: { store: rateLimitStore, perIp: integrations.partnerKeyRejectionsPerIp },
    });
    app.route({
      url: "/graphql",
      method: ["GET", "POST", "OPTIONS"],
      preHandler: trustedDocuments.preHandler,
      handler: fastifyApolloHandler(apollo, { context }),
    });

    await registerStatsRoutes(app);
    registerPaymentRoutes(app, services.orders.paymentProvider);
    registerPageAssets(app);
    await registerConsentRoutes(app, services.consent, dataSource, clock, `${config.publicUrl}${PREFERENCES_PATH}`);
    await registerPreferenceCentreRoutes(app, services, dataSource, clock, {
      publicUrl: config.publicUrl,
      cookieSecure: config.cookieSecure,
    });
    registerGuestOrderRoutes(app, services.orders, dataSource, clock);
    await registerAccountRoutes(app, services.users, dataSource, clock, {
      publicUrl: config.publicUrl,
      cookieSecure: config.cookieSecure,
    });
    await registerAccountEmailRoutes(app, services.users, dataSource, clock, { publicUrl: config.publicUrl });
    await registerPrivacyRoutes(app, services.privacy, services.users, dataSource, clock);
    await registerHealthRoutes(app, dataSource, logger, platform.jobs);
    await registerMetricsRoutes(app, metrics, config.metricsToken);

    return {
      app,
      dataSource,
      server,
      services,
      demoAccounts,
      demoExtras,
      close: async () => {
        if (closing) return;
        closing = true;
        await app.close(); // stops accepting, drains in-flight requests (and Apollo via its plugin)
        try {
          await services.stats.ingest.close(); // writes the page views still buffered
        } catch (err) {
          logger.error({ err }, "page views could not be written at shutdown");
        }
        await platform.jobs.close?.();
        await platform.redis?.close();
        await dataSource.destroy();
      },
    };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

/**
 * Applies pending migrations, then adds the demo data (only to an empty database, and before the
 * admin account, which would make it non-empty) and makes sure the configured admin exists.
 * Returns the demo accounts it created, if any.
 */
async function prepareDatabase(
  config: HonourConfig,
  dataSource: DataSource,
  services: AppServices,
  clock: Clock,
  logger: PinoLogger,
): Promise<Pick<Gateway, "demoAccounts" | "demoExtras">> {
  const applied = await migrateSchema(dataSource);
  if (applied.length > 0) logger.info({ migrations: applied }, "applied migrations");
  const system = new RequestContext(dataSource, { kind: "system", name: "start-up" }, clock);
  const demoAccounts = config.demoData ? await system.transaction((ctx) => seedDemoData(ctx, services.users)) : null;
  const admin = config.admin;
  // The rest of the demo (products, a partner and its key, a campaign draft, 30 days of page views).
  const marketing = demoAccounts?.find((a) => a.role === "MARKETING");
  const demoExtras = demoAccounts
    ? await seedDemoExtras(
        system,
        services,
        marketing ? ((await dataSource.manager.findOneBy(UserEntity, { email: marketing.email }))?.id ?? null) : null,
        clock,
      )
    : null;
  if (admin) await system.transaction((ctx) => services.users.users.ensureAdmin(ctx, admin.email, admin.password));
  return { demoAccounts, demoExtras };
}

/** `POST /api/event`, answered ahead of Fastify's router, counted and (at debug) logged like any route. */
function pageViewEndpoint(
  config: HonourConfig,
  services: AppServices,
  metrics: GatewayMetrics,
  logger: PinoLogger,
  closing: () => boolean,
) {
  const debugLog = logger.isLevelEnabled("debug");
  return createEventEndpoint({
    accept: (request) => services.stats.ingest.accept(request),
    maxBodyBytes: services.stats.options.maxBodyBytes,
    trustProxy: config.trustProxy,
    closing,
    answered: (request, status, startedAt) => {
      metrics.httpRequests.inc({ route: EVENT_PATH, method: "POST", status: String(status) });
      const ms = Math.round(performance.now() - startedAt);
      if (status >= 500) logger.warn({ req: request, res: { statusCode: status }, ms }, "request completed");
      else if (debugLog) logger.debug({ req: request, res: { statusCode: status }, ms }, "request completed");
    },
    failed: (err) => logger.error({ err }, "a page view could not be taken"),
  });
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
