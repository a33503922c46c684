import { MAX_PAGE_SIZE } from "@honour/platform";
import { IsOptional, Max, Min } from "class-validator";
import { ArgsType, Field, ID, Int } from "type-graphql";

/** `disclosures(partnerId, orderId, first, after)`, in the contract's order. */
@ArgsType()
export class DisclosuresArgs {
  @Field(() => ID, { nullable: true, description: "Only this partner's." })
  @IsOptional()
  partnerId?: string | null;

  @Field(() => ID, { nullable: true, description: "Only this order's." })
  @IsOptional()
  orderId?: string | null;

  @Field(() => Int, { nullable: true, description: `Page size, 1–${MAX_PAGE_SIZE} (default 20).` })
  @IsOptional()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first?: number;

  @Field(() => String, { nullable: true, description: "endCursor of the previous page." })
  @IsOptional()
  after?: string;
}
