import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType } from "type-graphql";
import type { SuppressionCheckRecord } from "../partner/partner-suppression.service";

@ObjectType("PartnerSuppressionCheckRecord", {
  simpleResolvers: true,
  description:
    "One checkPartnerSuppressions call in the disclosure log: which partner and key, how many addresses, how many " +
    "were answered 'do not contact', and when. The addresses are not shown.",
})
export class PartnerSuppressionCheckRecordObject implements SuppressionCheckRecord {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  partnerId!: string;

  @Field(() => String)
  partnerName!: string;

  @Field(() => ID, { description: "The API key the partner called with." })
  apiKeyId!: string;

  @Field(() => Int, { description: "Distinct addresses checked." })
  addresses!: number;

  @Field(() => Int, { description: "Of them, answered 'do not contact'." })
  matches!: number;

  @Field(() => GraphQLDateTime)
  at!: Date;
}

export const PartnerSuppressionCheckRecordConnection = ConnectionType(
  "PartnerSuppressionCheckRecord",
  PartnerSuppressionCheckRecordObject,
);
