import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType } from "type-graphql";
import { CardBrand } from "../payment/card";
import "../order/order.object"; // registers CardBrand

@ObjectType("SavedPaymentMethod", {
  simpleResolvers: true,
  description: "A card kept on the profile: brand, last four digits and expiry. Pay with it by its id.",
})
export class SavedPaymentMethodObject {
  @Field(() => ID)
  id!: string;

  @Field(() => CardBrand)
  brand!: CardBrand;

  @Field(() => String)
  last4!: string;

  @Field(() => Int)
  expiryMonth!: number;

  @Field(() => Int)
  expiryYear!: number;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}
