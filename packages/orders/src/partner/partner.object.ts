import { Channel } from "@honour/platform";
import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType } from "type-graphql";

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

  @Field(() => GraphQLDateTime, {
    nullable: true,
    description: "When the key stops working (UNAUTHENTICATED, reason API_KEY_EXPIRED); null: never.",
  })
  expiresAt!: Date | null;

  @Field(() => GraphQLDateTime, {
    nullable: true,
    description: "When the partner's key.expiring webhook was queued (14 days before expiry, once).",
  })
  expiryNoticeAt!: Date | null;
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

  @Field(() => GraphQLDateTime, { nullable: true, description: "When the key stops working; null: never." })
  expiresAt!: Date | null;
}

export const PartnerConnection = ConnectionType("Partner", PartnerObject);

@ObjectType("PartnerSuppressionCheck", {
  simpleResolvers: true,
  description: "One address a partner checked: whether it must not be contacted, and on which channels.",
})
export class PartnerSuppressionCheckObject {
  @Field(() => String, { description: "The address as sent." })
  email!: string;

  @Field(() => Boolean, { description: "True: do not contact this person on the channels listed." })
  suppressed!: boolean;

  @Field(() => [Channel], {
    description:
      "EMAIL when the address is on the suppression list (for whatever reason); each channel on which the " +
      "person withdrew partner offers. Empty when not suppressed.",
  })
  channels!: Channel[];
}

@ObjectType("AssignedOrderSuppression", {
  simpleResolvers: true,
  description: "An order assigned to the calling partner whose buyer must not be contacted by it.",
})
export class AssignedOrderSuppressionObject {
  @Field(() => ID)
  orderId!: string;

  @Field(() => String, { description: "The number people read: HON-000123." })
  orderNumber!: string;

  @Field(() => [Channel], { description: "The channels on which the buyer must not be contacted." })
  channels!: Channel[];
}

@ObjectType("PartnerRateLimit", {
  simpleResolvers: true,
  description:
    "A partner's own rate limits over the gateway's configured ones, per API key and window (RateLimit-Policy's w). " +
    "Null: the configured limit; 0: no limit.",
})
export class PartnerRateLimitObject {
  @Field(() => Int, { nullable: true, description: "Operations per window." })
  operations!: number | null;

  @Field(() => Int, { nullable: true, description: "Estimated query cost per window." })
  cost!: number | null;

  @Field(() => GraphQLDateTime)
  updatedAt!: Date;
}
