import { Role, type Connection } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Args, Authorized, Ctx, Query, Resolver } from "type-graphql";
import { toDisclosureObject } from "../order/order-field.resolver";
import type { OrdersServices } from "../orders.module";
import { DisclosuresArgs } from "./disclosure.args";
import { DisclosureConnection, DisclosureObject } from "./disclosure.object";

/** Staff's view of the disclosure log. */
@Resolver(() => DisclosureObject)
export class DisclosureResolver {
  constructor(private readonly services: OrdersServices) {}

  @Authorized([Role.SUPPORT, Role.ADMIN, Role.SECURITY])
  @Query(() => DisclosureConnection, {
    description:
      "Disclosures of order contacts to partners, newest first, by partner and/or order. SUPPORT, ADMIN, SECURITY.",
  })
  async disclosures(
    @Args(() => DisclosuresArgs) args: DisclosuresArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<DisclosureObject>> {
    const page = await this.services.disclosures.list(ctx, args);
    const nodes = page.nodes.map(toDisclosureObject);
    return {
      edges: page.edges.map((edge, i) => ({ cursor: edge.cursor, node: nodes[i]! })),
      nodes,
      pageInfo: page.pageInfo,
    };
  }
}
