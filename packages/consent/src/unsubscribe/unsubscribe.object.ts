import { Channel, Topic } from "@honour/platform";
import { Field, ObjectType } from "type-graphql";

@ObjectType("UnsubscribeResult", { simpleResolvers: true, description: "What an unsubscribe link withdrew." })
export class UnsubscribeResultObject {
  @Field(() => Topic)
  topic!: Topic;

  @Field(() => Channel)
  channel!: Channel;

  @Field(() => Boolean, { description: "Always true: the topic is no longer sent on the channel." })
  unsubscribed!: boolean;
}
