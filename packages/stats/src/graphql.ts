import "reflect-metadata";
import { StatsResolver } from "./query/stats.resolver";
import { SecurityEventResolver } from "./security/security-event.resolver";
import type { StatsServices } from "./stats.module";

// The statistics domain's GraphQL types and resolvers, for the gateway's buildSchema. Importing
// this module registers the StatsMetric, StatsDimension and SecurityEventKind enums (through the
// resolvers' types); the types themselves are private to the package.

/**
 * The statistics domain's resolver instances. Pass their classes to `buildSchema({ resolvers })`
 * with a container that returns these instances.
 */
export function createStatsResolvers(services: StatsServices): object[] {
  return [new StatsResolver(services), new SecurityEventResolver(services)];
}
