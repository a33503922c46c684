import { Field, ObjectType } from "type-graphql";
import { UserObject } from "../user/user.object";

@ObjectType("AuthPayload", { simpleResolvers: true, description: "The result of signing in or up." })
export class AuthPayload {
  @Field(() => UserObject)
  user!: UserObject;

  @Field(() => String, {
    nullable: true,
    description: "The session token, only when the input asked for bearerToken; shown this once, stored hashed.",
  })
  token?: string | null;
}
