import { Topic } from "@honour/platform";
import { GraphQLDateTime } from "graphql-scalars";
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
