import { Topic } from "@honour/platform";
import "@honour/platform/graphql"; // registers the Topic enum
import { IsEnum, IsNotEmpty, IsOptional, IsString, MaxLength } from "class-validator";
import { Field, InputType } from "type-graphql";
import { CAMPAIGN_LIMITS } from "./campaign.entity";
import type { CampaignDraft } from "./campaign.service";

@InputType()
export class CreateCampaignInput implements CampaignDraft {
  @Field(() => Topic, { description: "Sent to everyone who granted this topic by email, at send time." })
  @IsEnum(Topic)
  topic!: Topic;

  @Field(() => String, { description: `One line, at most ${CAMPAIGN_LIMITS.subject} characters.` })
  @IsString()
  @IsNotEmpty()
  @MaxLength(CAMPAIGN_LIMITS.subject)
  subject!: string;

  @Field(() => String, { description: "Plain text; the unsubscribe footer is added to it." })
  @IsString()
  @IsNotEmpty()
  bodyText!: string;

  @Field(() => String, { nullable: true, description: "Optional HTML; the unsubscribe footer is added to it." })
  @IsOptional()
  @IsString()
  bodyHtml?: string | null;
}
