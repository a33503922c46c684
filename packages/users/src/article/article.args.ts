import { IsNotEmpty, ValidateNested } from "class-validator";
import { ArgsType, Field, ID } from "type-graphql";
import { UpdateArticleInput } from "./article.input";

/** `updateArticle(id, input)`; an args class keeps the arguments in the contract's order. */
@ArgsType()
export class UpdateArticleArgs {
  @Field(() => ID)
  @IsNotEmpty()
  id!: string;

  @Field(() => UpdateArticleInput)
  @ValidateNested()
  input!: UpdateArticleInput;
}
