import { PARTNER_ROLE, Role, type Connection } from "@honour/platform";
import { ConnectionArgs, loader, type GraphQLContext } from "@honour/platform/graphql";
import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { OrdersServices } from "../orders.module";
import { showPlacedOrder } from "./order-field.resolver";
import { OrderViewsOfRequest } from "./order-views";
import { AssignOrderArgs, OrdersArgs } from "./order.args";
import type { OrderEntity } from "./order.entity";
import { PlaceOrderInput } from "./order.input";
import { OrderConnection, OrderObject } from "./order.object";

/** This request's staff reads of orders, for the audit log: one entry per person per request. */
function staffViews(context: GraphQLContext): OrderViewsOfRequest {
  return loader(context, "orders.staffViews", () => new OrderViewsOfRequest());
}

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
    const order = await this.services.placing.place(context.ctx, input);
    // The buyer sees what they just ordered in full, even as a guest.
    return showPlacedOrder(context, order);
  }

  @Authorized()
  @Query(() => OrderConnection, {
    description: "Your orders, newest first, unless your profile stopped keeping order history. Signed-in users.",
  })
  myOrders(
    // Not class-validator (a hot read, issue 18): readPageArgs checks the page size and cursor.
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<OrderEntity>> {
    return this.services.orderQueries.listMine(ctx, args);
  }

  @Authorized([...Object.values(Role), PARTNER_ROLE])
  @Query(() => OrderObject, {
    nullable: true,
    description:
      "One order: your own; any for SUPPORT and ADMIN; for a partner, one assigned to it. Anything else is " +
      "NOT_FOUND, exactly like an order that does not exist. Staff reading someone else's order leaves an " +
      "ORDERS_VIEWED entry in the audit log.",
  })
  order(@Arg("id", () => ID) id: string, @Ctx() context: GraphQLContext): Promise<OrderEntity> {
    return this.services.orderQueries.view(context.ctx, id, staffViews(context));
  }

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Query(() => OrderConnection, {
    description:
      "Every order, newest first, optionally of one status. SUPPORT, ADMIN. Each customer on the page gets an " +
      "ORDERS_VIEWED entry in the audit log.",
  })
  orders(@Args(() => OrdersArgs) args: OrdersArgs, @Ctx() context: GraphQLContext): Promise<Connection<OrderEntity>> {
    return this.services.orderQueries.listAll(context.ctx, args, staffViews(context));
  }

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Mutation(() => OrderObject, {
    description:
      "Assigns a paid order to an active partner, or reassigns it (the previous partner loses access at once). " +
      "SUPPORT, ADMIN. CONFLICT when the order is not PAID or ASSIGNED. Audited as ORDERS_VIEWED.",
  })
  assignOrder(@Args(() => AssignOrderArgs) { orderId, partnerId }: AssignOrderArgs, @Ctx() context: GraphQLContext) {
    return this.services.orderLifecycle.assign(context.ctx, orderId, partnerId, staffViews(context));
  }

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Mutation(() => OrderObject, {
    description:
      "Cancels an order that is not yet fulfilled and refunds it. SUPPORT, ADMIN. CONFLICT otherwise. Audited as " +
      "ORDERS_VIEWED.",
  })
  cancelOrder(@Arg("orderId", () => ID) orderId: string, @Ctx() context: GraphQLContext): Promise<OrderEntity> {
    return this.services.orderLifecycle.cancel(context.ctx, orderId, staffViews(context));
  }
}
