import { PARTNER_ROLE, type Connection } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { OrdersServices } from "../orders.module";
import { OrdersArgs } from "./order.args";
import type { OrderEntity } from "./order.entity";
import { OrderConnection, OrderObject } from "./order.object";

/** What a partner calling with its API key may do: list its orders and mark them fulfilled. */
@Resolver(() => OrderObject)
export class PartnerOrderResolver {
  constructor(private readonly services: OrdersServices) {}

  @Authorized([PARTNER_ROLE])
  @Query(() => OrderConnection, {
    description:
      "The orders assigned to the calling partner, newest first. Partners (API key) only. Reading an order's " +
      "contact records a disclosure.",
  })
  partnerOrders(
    // Not class-validator (a hot read, issue 18): readPageArgs checks the page size and cursor,
    // listForPartner the status.
    @Args(() => OrdersArgs, { validate: false }) args: OrdersArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<OrderEntity>> {
    return this.services.orderQueries.listForPartner(ctx, args);
  }

  @Authorized([PARTNER_ROLE])
  @Mutation(() => OrderObject, {
    description:
      "Marks an order assigned to the calling partner fulfilled; LICENCE lines get their licences, and the " +
      "partner's access to the contact ends. Partners only. NOT_FOUND for an order not assigned to it.",
  })
  markOrderFulfilled(@Arg("orderId", () => ID) orderId: string, @Ctx() { ctx }: GraphQLContext): Promise<OrderEntity> {
    return this.services.orderLifecycle.markFulfilled(ctx, orderId);
  }
}
