import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import type { FastifyInstance } from "fastify";
import type { AppServices } from "@honour/composition";
import { createAppResolvers } from "@honour/composition/graphql";
import type { Logger } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import type { GatewayMetrics } from "../observability/metrics";
import { createErrorFormatter } from "./error-formatter";
import { complexityLimitPlugin, depthLimitRule, knownOperationTypeRule, type QueryLimits } from "./query-limits";
import { rateLimitedPlugin } from "./rate-limited";
import { buildGatewaySchema } from "./schema";
import { serviceUnavailablePlugin } from "./service-unavailable";

/**
 * Apollo Server on every domain's resolvers, with the gateway's limits (depth, cost, variable
 * depth, operation types), its one error formatter and its plugins; started, and drained when
 * `app` closes.
 */
export async function startApollo(
  app: FastifyInstance,
  services: AppServices,
  limits: QueryLimits,
  logger: Logger,
  metrics: GatewayMetrics,
): Promise<ApolloServer<GraphQLContext>> {
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
  return apollo;
}
