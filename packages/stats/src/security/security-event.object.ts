import { SecurityEventKind } from "@honour/platform";
import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";

// The kinds live in platform (no GraphQL there); their GraphQL enum is registered here, once.
registerEnumType(SecurityEventKind, { name: "SecurityEventKind", description: "What happened." });

@ObjectType("SecurityEvent", { simpleResolvers: true, description: "An entry of the security log." })
export class SecurityEventObject {
  @Field(() => ID)
  id!: string;

  @Field(() => GraphQLDateTime)
  at!: Date;

  @Field(() => SecurityEventKind)
  kind!: SecurityEventKind;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Resolved shortly after the event; the IP when no host name is available; null until then.",
  })
  hostname!: string | null;

  @Field(() => ID, { nullable: true })
  userId!: string | null;

  @Field(() => ID, { nullable: true })
  partnerId!: string | null;

  @Field(() => String, { nullable: true })
  detail!: string | null;
}

export const SecurityEventConnection = ConnectionType("SecurityEvent", SecurityEventObject);
