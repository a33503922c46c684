import { Channel } from "@honour/platform";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { SuppressionReason } from "./suppression.entity";

registerEnumType(SuppressionReason, { name: "SuppressionReason" });

@ObjectType("Suppression", {
  simpleResolvers: true,
  description: "An entry of the suppression list. The number or address itself is never stored or shown.",
})
export class SuppressionObject {
  @Field(() => ID)
  id!: string;

  @Field(() => Channel)
  channel!: Channel;

  @Field(() => SuppressionReason)
  reason!: SuppressionReason;

  @Field(() => GraphQLDateTime)
  suppressedAt!: Date;
}
