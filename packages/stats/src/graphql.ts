import "reflect-metadata";
import { StatsResolver } from "./query/stats.resolver";
import { SecurityEventResolver } from "./security/security-event.resolver";
import type { StatsServices } from "./stats.module";

// The statistics domain's GraphQL types and resolvers, for the gateway's buildSchema. Importing
// this module registers the StatsMetric, StatsDimension and SecurityEventKind enums.

export { StatsResolver, SecurityEventResolver };
export { StatsQueryInput } from "./query/stats.input";
export { StatsResultObject, StatsRowObject } from "./query/stats.object";
export { SecurityEventsArgs } from "./security/security-event.args";
export { SecurityEventConnection, SecurityEventObject } from "./security/security-event.object";

/**
 * The statistics domain's resolver instances. Pass their classes to `buildSchema({ resolvers })`
 * with a container that returns these instances.
 */
export function createStatsResolvers(services: StatsServices): object[] {
  return [new StatsResolver(services), new SecurityEventResolver(services)];
}
