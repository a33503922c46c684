import { Channel } from "@honour/platform";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { SuppressionReason } from "./suppression.entity";
import { SuppressedHashReason } from "./suppression.service";

registerEnumType(SuppressionReason, { name: "SuppressionReason" });
registerEnumType(SuppressedHashReason, { name: "SuppressedHashReason" });

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

@ObjectType("SuppressedHash", {
  simpleResolvers: true,
  description: "Someone partners must not contact, as the SHA-256 (hex) of their trimmed, lower-case email address.",
})
export class SuppressedHashObject {
  @Field(() => String)
  hash!: string;

  @Field(() => SuppressedHashReason)
  reason!: SuppressedHashReason;

  @Field(() => Channel, { description: "The channel withdrawn (PARTNER_OFFERS_WITHDRAWN) or suppressed (EMAIL)." })
  channel!: Channel;

  @Field(() => GraphQLDateTime)
  occurredAt!: Date;
}
