import { IsBoolean, IsNotEmpty } from "class-validator";
import { GraphQLDateTime } from "graphql-scalars";
import { ArgsType, Field, ID, Int } from "type-graphql";

/** `setPartnerActive(partnerId, active)`. */
@ArgsType()
export class SetPartnerActiveArgs {
  @Field(() => ID)
  @IsNotEmpty()
  partnerId!: string;

  @Field(() => Boolean)
  @IsBoolean()
  active!: boolean;
}

/** `setPartnerRateLimit(partnerId, operations, cost)`: the service checks the numbers. */
@ArgsType()
export class SetPartnerRateLimitArgs {
  @Field(() => ID)
  @IsNotEmpty()
  partnerId!: string;

  @Field(() => Int, {
    nullable: true,
    description: "Operations per window per API key; null: the configured limit, 0: none.",
  })
  operations?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: "Query cost per window per API key; null: the configured limit, 0: none.",
  })
  cost?: number | null;
}

/** `issuePartnerApiKey(partnerId, expiresAt)`. */
@ArgsType()
export class IssuePartnerApiKeyArgs {
  @Field(() => ID)
  @IsNotEmpty()
  partnerId!: string;

  @Field(() => GraphQLDateTime, {
    nullable: true,
    description: "When the key stops working (within 2 years); null or left out: never.",
  })
  expiresAt?: Date | null;
}

/** `rotatePartnerApiKey(id, expiresAt)`. */
@ArgsType()
export class RotatePartnerApiKeyArgs {
  @Field(() => ID, { description: "The key to replace." })
  @IsNotEmpty()
  id!: string;

  @Field(() => GraphQLDateTime, {
    nullable: true,
    description: "When the new key stops working (within 2 years); null or left out: never.",
  })
  expiresAt?: Date | null;
}
