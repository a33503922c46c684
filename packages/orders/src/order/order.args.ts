import { ConnectionArgs } from "@honour/platform/graphql";
import { IsEnum, IsNotEmpty, IsOptional } from "class-validator";
import { ArgsType, Field, ID } from "type-graphql";
import { OrderStatus } from "./order-state";
import "./order.object"; // registers OrderStatus before it is used here

@ArgsType()
export class OrdersArgs extends ConnectionArgs {
  @Field(() => OrderStatus, { nullable: true, description: "Only orders in this status." })
  @IsOptional()
  @IsEnum(OrderStatus)
  status?: OrderStatus | null;
}

/** `assignOrder(orderId, partnerId)`; an args class keeps the arguments in the contract's order. */
@ArgsType()
export class AssignOrderArgs {
  @Field(() => ID)
  @IsNotEmpty()
  orderId!: string;

  @Field(() => ID)
  @IsNotEmpty()
  partnerId!: string;
}
