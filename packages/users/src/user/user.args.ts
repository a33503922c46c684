import { Role } from "@honour/platform";
import { ConnectionArgs } from "@honour/platform/graphql";
import { IsEnum, IsNotEmpty, IsOptional, MaxLength } from "class-validator";
import { ArgsType, Field, ID } from "type-graphql";
import "./user.object"; // registers the Role enum before it is used here
import { UpdateUserInput } from "./user.input";
import { USER_SEARCH_MAX_LENGTH } from "./staff-account.service";

@ArgsType()
export class UsersArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: "Part of the email or name, any case." })
  @IsOptional()
  @MaxLength(USER_SEARCH_MAX_LENGTH)
  search?: string | null;
}

/** `setUserRole(userId, role)`; an args class keeps the arguments in the contract's order. */
@ArgsType()
export class SetUserRoleArgs {
  @Field(() => ID)
  @IsNotEmpty()
  userId!: string;

  @Field(() => Role)
  @IsEnum(Role)
  role!: Role;
}

/** `updateUser(id, input)`. */
@ArgsType()
export class UpdateUserArgs {
  @Field(() => ID)
  @IsNotEmpty()
  @MaxLength(36)
  id!: string;

  /** Not validated here: the service checks every field at once (see user.input.ts). */
  @Field(() => UpdateUserInput)
  input!: UpdateUserInput;
}

/** `user(id)`. */
@ArgsType()
export class UserArgs {
  @Field(() => ID)
  @IsNotEmpty()
  @MaxLength(36)
  id!: string;
}
