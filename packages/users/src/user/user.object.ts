import { Role } from "@honour/platform";
import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";

// Role lives in platform (no GraphQL there); its GraphQL enum is registered here, once.
registerEnumType(Role, { name: "Role", description: "What a signed-in user may do besides being a customer." });

@ObjectType("User", { simpleResolvers: true, description: "An account." })
export class UserObject {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Normalised: trimmed and lower-case." })
  email!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  organisation!: string | null;

  @Field(() => String, { nullable: true })
  organisationUrl!: string | null;

  @Field(() => String, { nullable: true })
  jobTitle!: string | null;

  @Field(() => String, { nullable: true, description: "How the person came to us, in their words." })
  referralSource!: string | null;

  @Field(() => Role)
  role!: Role;

  @Field(() => Boolean, { description: "Keep saved payment methods on the profile for next time." })
  keepBillingDetails!: boolean;

  @Field(() => Boolean, { description: "Keep past orders in this account's order history." })
  keepOrderHistory!: boolean;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

export const UserConnection = ConnectionType("User", UserObject);
