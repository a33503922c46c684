import { Channel, Topic } from "@honour/platform";
import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { ConsentAction, ConsentActorKind, ConsentMethod } from "./consent-event.entity";

registerEnumType(ConsentAction, { name: "ConsentAction" });
registerEnumType(ConsentMethod, { name: "ConsentMethod", description: "How a grant or withdrawal was given." });
registerEnumType(ConsentActorKind, { name: "ConsentActor", description: "Who recorded a grant or withdrawal." });

@ObjectType("Preference", { simpleResolvers: true, description: "One topic on one channel." })
export class PreferenceObject {
  @Field(() => Topic)
  topic!: Topic;

  @Field(() => Channel)
  channel!: Channel;

  @Field(() => Boolean)
  granted!: boolean;

  @Field(() => Boolean, {
    description:
      "Chosen, but waiting for you to verify your email address (double opt-in): not granted, and nothing is " +
      "sent, until you use the link in the verification mail. Email grants of an unverified address wait here.",
  })
  pending!: boolean;

  @Field(() => GraphQLDateTime, { nullable: true, description: "Null when never set." })
  updatedAt!: Date | null;
}

@ObjectType("ConsentEvent", { simpleResolvers: true, description: "A grant or withdrawal, as the ledger keeps it." })
export class ConsentEventObject {
  @Field(() => ID)
  id!: string;

  @Field(() => Topic)
  topic!: Topic;

  @Field(() => Channel)
  channel!: Channel;

  @Field(() => ConsentAction)
  action!: ConsentAction;

  @Field(() => ConsentMethod)
  method!: ConsentMethod;

  // Not simple: the schema name differs from the property, which only type-graphql's resolver maps.
  @Field(() => ConsentActorKind, { name: "actor", simple: false })
  actorKind!: ConsentActorKind;

  @Field(() => Int, { description: "The privacy policy version in force at the time." })
  policyVersion!: number;

  @Field(() => GraphQLDateTime)
  occurredAt!: Date;
}

export const ConsentEventConnection = ConnectionType("ConsentEvent", ConsentEventObject);
