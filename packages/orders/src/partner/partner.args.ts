import { IsBoolean, IsNotEmpty } from "class-validator";
import { ArgsType, Field, ID } from "type-graphql";

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
