import { Role } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Arg, Authorized, Ctx, Query, Resolver } from "type-graphql";
import type { StatsServices } from "../stats.module";
import { StatsQueryInput } from "./stats.input";
import { StatsResultObject } from "./stats.object";

/** The anonymous browsing statistics. */
@Resolver()
export class StatsResolver {
  constructor(private readonly services: StatsServices) {}

  @Authorized([Role.MARKETING, Role.ADMIN])
  @Query(() => StatsResultObject, {
    description: "Visitors and page views over a range of days. Marketing and admins.",
  })
  async stats(
    @Arg("input", () => StatsQueryInput) input: StatsQueryInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<StatsResultObject> {
    const rows = await this.services.queries.query(ctx, {
      // GraphQL's Date arrives as midnight UTC of the day written.
      from: input.from.toISOString().slice(0, 10),
      to: input.to.toISOString().slice(0, 10),
      metrics: input.metrics,
      dimension: input.dimension,
      limit: input.limit,
    });
    return { rows };
  }
}
