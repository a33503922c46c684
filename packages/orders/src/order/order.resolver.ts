import { PARTNER_ROLE, Role, type Connection } from "@honour/platform";
import { ConnectionArgs, type GraphQLContext } from "@honour/platform/graphql";
import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { OrdersServices } from "../orders.module";
import { showPlacedOrder } from "./order-field.resolver";
import { AssignOrderArgs, OrdersArgs } from "./order.args";
import type { OrderEntity } from "./order.entity";
import { PlaceOrderInput } from "./order.input";
import { OrderConnection, OrderObject } from "./order.object";

/** Placing orders, the buyer's history, and staff's work on orders. */
@Resolver(() => OrderObject)
export class OrderResolver {
  constructor(private readonly services: OrdersServices) {}

  @Mutation(() => OrderObject, {
    description:
      "Places and pays for an order: signed-in customers and guests (not partners: FORBIDDEN). Prices come from " +
      "the catalogue. BAD_USER_INPUT lists every invalid field; PAYMENT_DECLINED leaves no order behind.",
  })
  async placeOrder(
    // Checked by the service, not class-validator: class-validator's errors carry the input's values,
    // and this input carries a card number and CVC.
    @Arg("input", () => PlaceOrderInput, { validate: false }) input: PlaceOrderInput,
    @Ctx() context: GraphQLContext,
  ): Promise<OrderEntity> {
    const order = await context.ctx.transaction((tx) => this.services.orders.place(tx, input));
    // The buyer sees what they just ordered in full, even as a guest.
    return showPlacedOrder(context, order);
  }

  @Authorized()
  @Query(() => OrderConnection, {
    description: "Your orders, newest first, unless your profile stopped keeping order history. Signed-in users.",
  })
  myOrders(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<OrderEntity>> {
    return this.services.orders.listMine(ctx, args);
  }

  @Authorized([...Object.values(Role), PARTNER_ROLE])
  @Query(() => OrderObject, {
    nullable: true,
    description:
      "One order: your own; any for SUPPORT and ADMIN; for a partner, one assigned to it. Anything else is " +
      "NOT_FOUND, exactly like an order that does not exist.",
  })
  order(@Arg("id", () => ID) id: string, @Ctx() { ctx }: GraphQLContext): Promise<OrderEntity> {
    return this.services.orders.findVisible(ctx, id);
  }

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Query(() => OrderConnection, { description: "Every order, newest first, optionally of one status. SUPPORT, ADMIN." })
  orders(@Args(() => OrdersArgs) args: OrdersArgs, @Ctx() { ctx }: GraphQLContext): Promise<Connection<OrderEntity>> {
    return this.services.orders.listAll(ctx, args);
  }

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Mutation(() => OrderObject, {
    description:
      "Assigns a paid order to an active partner, or reassigns it (the previous partner loses access at once). " +
      "SUPPORT, ADMIN. CONFLICT when the order is not PAID or ASSIGNED.",
  })
  assignOrder(@Args(() => AssignOrderArgs) { orderId, partnerId }: AssignOrderArgs, @Ctx() { ctx }: GraphQLContext) {
    return ctx.transaction((tx) => this.services.orders.assign(tx, orderId, partnerId));
  }

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Mutation(() => OrderObject, {
    description: "Cancels an order that is not yet fulfilled and refunds it. SUPPORT, ADMIN. CONFLICT otherwise.",
  })
  cancelOrder(@Arg("orderId", () => ID) orderId: string, @Ctx() { ctx }: GraphQLContext): Promise<OrderEntity> {
    return ctx.transaction((tx) => this.services.orders.cancel(tx, orderId));
  }
}
