import { IsOptional } from "class-validator";
import { GraphQLDateTime } from "graphql-scalars";
import { ArgsType, Field } from "type-graphql";

@ArgsType()
export class PartnerSuppressionsArgs {
  @Field(() => GraphQLDateTime, {
    nullable: true,
    description: "Only entries at or after this time (the last occurredAt of the previous call). Up to 1000 each call.",
  })
  @IsOptional()
  since?: Date | null;
}
