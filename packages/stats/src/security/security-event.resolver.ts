import { Role, type Connection } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Args, Authorized, Ctx, Query, Resolver } from "type-graphql";
import type { StatsServices } from "../stats.module";
import { SecurityEventsArgs } from "./security-event.args";
import type { SecurityEventEntity } from "./security-event.entity";
import { SecurityEventConnection } from "./security-event.object";

/** The security log, for the security team and admins. */
@Resolver()
export class SecurityEventResolver {
  constructor(private readonly services: StatsServices) {}

  @Authorized([Role.SECURITY, Role.ADMIN])
  @Query(() => SecurityEventConnection, { description: "The security log, newest first. Security and admins." })
  securityEvents(
    @Args(() => SecurityEventsArgs) args: SecurityEventsArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<SecurityEventEntity>> {
    return this.services.securityEvents.list(ctx, args);
  }
}
