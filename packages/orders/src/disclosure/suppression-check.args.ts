import { ConnectionArgs } from "@honour/platform/graphql";
import { IsOptional } from "class-validator";
import { GraphQLDateTime } from "graphql-scalars";
import { ArgsType, Field, ID } from "type-graphql";

/** `partnerSuppressionChecks(partnerId, from, to, first, after)`. */
@ArgsType()
export class PartnerSuppressionChecksArgs extends ConnectionArgs {
  @Field(() => ID, { nullable: true, description: "Only this partner's checks." })
  @IsOptional()
  partnerId?: string | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: "Checks at or after this instant." })
  @IsOptional()
  from?: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: "Checks before this instant." })
  @IsOptional()
  to?: Date | null;
}
