import { Topic } from "@honour/platform";
import { GraphQLDateTime } from "graphql-scalars";
import { ConnectionType } from "@honour/platform/graphql";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { CampaignStatus } from "./campaign.entity";

registerEnumType(CampaignStatus, { name: "CampaignStatus", description: "DRAFT, then SENDING, then SENT." });

@ObjectType("Campaign", { description: "A marketing email on one topic." })
export class CampaignObject {
  @Field(() => ID)
  id!: string;

  @Field(() => Topic)
  topic!: Topic;

  @Field(() => String)
  subject!: string;

  @Field(() => String)
  bodyText!: string;

  @Field(() => String, { nullable: true })
  bodyHtml!: string | null;

  @Field(() => CampaignStatus)
  status!: CampaignStatus;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true, description: "When the last message was sent, skipped or failed." })
  completedAt!: Date | null;
}

export const CampaignConnection = ConnectionType("Campaign", CampaignObject);

@ObjectType("CampaignMessage", {
  simpleResolvers: true,
  description:
    "A campaign's message as its recipient gets it: the body with the footer, unsubscribe and preference links.",
})
export class CampaignMessageObject {
  @Field(() => String, { description: "The recipient's address (a placeholder in previews)." })
  to!: string;

  @Field(() => String)
  subject!: string;

  @Field(() => String, { description: "The plain text part, footer included." })
  text!: string;

  @Field(() => String, {
    nullable: true,
    description: "The HTML part, footer included; null when the campaign has none.",
  })
  html!: string | null;

  @Field(() => String, { description: "The List-Unsubscribe header (RFC 8058)." })
  listUnsubscribe!: string;
}
