import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import type { FastifyInstance } from "fastify";
import type { AppServices } from "@honour/composition";
import { createAppResolvers } from "@honour/composition/graphql";
import type { Logger } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import type { GatewayMetrics } from "../observability/metrics";
import { createAuthChecker } from "./auth-checker";
import { createErrorFormatter } from "./error-formatter";
import { jitExecution } from "./jit-executor";
import { complexityLimitPlugin, depthLimitRule, knownOperationTypeRule, type QueryLimits } from "./query-limits";
import { rateLimitedPlugin } from "./rate-limited";
import { rateLimitPlugin, type GatewayRateLimits } from "./rate-limits";
import { buildGatewaySchema } from "./schema";
import { serviceUnavailablePlugin } from "./service-unavailable";

/**
 * Apollo Server on every domain's resolvers, with the gateway's limits (depth, cost, variable
 * depth, operation types, and the rate limits when given), its one error formatter and its
 * plugins, executing through graphql-jit; started, and drained when `app` closes. Automatic
 * persisted queries (APQ) are Apollo's own, in memory; trusted documents are resolved before
 * Apollo (trusted-documents.ts).
 */
export async function startApollo(
  app: FastifyInstance,
  services: AppServices,
  limits: QueryLimits,
  logger: Logger,
  metrics: GatewayMetrics,
  rateLimits?: GatewayRateLimits,
): Promise<ApolloServer<GraphQLContext>> {
  const limiter = rateLimits ? rateLimitPlugin(rateLimits) : undefined;
  const schema = await buildGatewaySchema(createAppResolvers(services), createAuthChecker(services.users));
  const apollo = new ApolloServer<GraphQLContext>({
    // Each document compiled once by graphql-jit (jit-executor.ts), graphql-js as the fallback.
    gateway: jitExecution(schema).gateway,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(logger),
    validationRules: [depthLimitRule(limits.maxDepth), knownOperationTypeRule],
    plugins: [
      fastifyApolloDrainPlugin(app),
      // No cache hints are used: Apollo's cache-control plugin would wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      metrics.plugin(),
      complexityLimitPlugin<GraphQLContext>(limits.maxComplexity, limiter?.charge),
      ...(limiter ? [limiter.plugin] : []),
      rateLimitedPlugin(),
      serviceUnavailablePlugin(),
    ],
    logger,
  });
  await apollo.start();
  return apollo;
}
