import { Role } from "@honour/platform";
import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";

// Role lives in platform (no GraphQL there); its GraphQL enum is registered here, once.
registerEnumType(Role, { name: "Role", description: "What a signed-in user may do besides being a customer." });

@ObjectType("PostalAddress", { simpleResolvers: true })
export class PostalAddressObject {
  @Field(() => String)
  line1!: string;

  @Field(() => String, { nullable: true })
  line2!: string | null;

  @Field(() => String)
  city!: string;

  @Field(() => String, { description: "Upper-case, as written on the envelope." })
  postcode!: string;

  @Field(() => String, { description: "ISO 3166-1 alpha-2 country code, e.g. GB." })
  country!: string;
}

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

  @Field(() => String, { nullable: true, description: "E.164, e.g. +442079460000." })
  phone!: string | null;

  @Field(() => String, { nullable: true, description: "E.164, e.g. +442079460001." })
  fax!: string | null;

  @Field(() => PostalAddressObject, { nullable: true })
  address!: PostalAddressObject | null;

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
