import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { DisclosedField, DisclosurePurpose } from "./disclosure.entity";

registerEnumType(DisclosurePurpose, { name: "DisclosurePurpose", description: "Why personal data was shared." });
registerEnumType(DisclosedField, { name: "DisclosedField", description: "A part of an order's contact." });

@ObjectType("Disclosure", {
  simpleResolvers: true,
  description: "A partner received an order's contact: who, which fields, why and when. One per order per request.",
})
export class DisclosureObject {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  partnerId!: string;

  @Field(() => String, { description: "The partner's name when it received the details." })
  partnerName!: string;

  @Field(() => ID)
  orderId!: string;

  @Field(() => String, { description: "HON-000123." })
  orderNumber!: string;

  @Field(() => [DisclosedField])
  fields!: DisclosedField[];

  @Field(() => DisclosurePurpose)
  purpose!: DisclosurePurpose;

  @Field(() => GraphQLDateTime)
  at!: Date;
}

export const DisclosureConnection = ConnectionType("Disclosure", DisclosureObject);
