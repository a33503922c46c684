import { Topic } from "@honour/platform";
import "@honour/platform/graphql"; // registers the Topic enum
import { IsEnum, IsNotEmpty, IsOptional, IsString, MaxLength } from "class-validator";
import { Field, InputType } from "type-graphql";
import { CAMPAIGN_LIMITS } from "./campaign.entity";
import type { CampaignChanges, CampaignDraft } from "./campaign.service";

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

@InputType({ description: "The fields of a DRAFT to change; those left out stay as they are." })
export class UpdateCampaignInput implements CampaignChanges {
  @Field(() => Topic, { nullable: true })
  @IsOptional()
  @IsEnum(Topic)
  topic?: Topic;

  @Field(() => String, { nullable: true, description: `One line, at most ${CAMPAIGN_LIMITS.subject} characters.` })
  @IsOptional()
  @IsString()
  @MaxLength(CAMPAIGN_LIMITS.subject)
  subject?: string;

  @Field(() => String, { nullable: true, description: "Plain text; the unsubscribe footer is added to it." })
  @IsOptional()
  @IsString()
  bodyText?: string;

  @Field(() => String, { nullable: true, description: "HTML; null removes it (the message then goes as text only)." })
  @IsOptional()
  @IsString()
  bodyHtml?: string | null;
}
