import { MaxLength } from "class-validator";
import { ArgsType, Field } from "type-graphql";

@ArgsType()
export class UnsubscribeArgs {
  @Field(() => String, { description: "The token from the message's unsubscribe link." })
  @MaxLength(100)
  token!: string;
}
