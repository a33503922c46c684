import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType } from "type-graphql";

@ObjectType("Partner", { simpleResolvers: true, description: "A reseller that fulfils the orders staff assign to it." })
export class PartnerObject {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  contactEmail!: string;

  @Field(() => Boolean, { description: "An inactive partner's keys do not work and it cannot be assigned orders." })
  active!: boolean;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType("PartnerApiKey", { simpleResolvers: true, description: "A partner's API key, without its secret." })
export class PartnerApiKeyObject {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "hpk_ and 12 hex digits: the start of the key, to tell keys apart." })
  prefix!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true, description: "To the minute." })
  lastUsedAt!: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType("PartnerApiKeySecret", {
  simpleResolvers: true,
  description: "A key just issued. The secret is shown this once; only its hash is stored.",
})
export class PartnerApiKeySecretObject {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  prefix!: string;

  @Field(() => String, { description: "The whole key, to send as `Authorization: Bearer <secret>`." })
  secret!: string;
}

export const PartnerConnection = ConnectionType("Partner", PartnerObject);
