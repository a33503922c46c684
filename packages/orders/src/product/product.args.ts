import { IsNotEmpty, ValidateNested } from "class-validator";
import { ArgsType, Field, ID } from "type-graphql";
import { UpdateProductInput } from "./product.input";

/** `updateProduct(id, input)`; an args class keeps the arguments in the contract's order. */
@ArgsType()
export class UpdateProductArgs {
  @Field(() => ID)
  @IsNotEmpty()
  id!: string;

  @Field(() => UpdateProductInput)
  @ValidateNested()
  input!: UpdateProductInput;
}
