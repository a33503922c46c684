import { ConnectionArgs } from "@honour/platform/graphql";
import { IsEnum, IsOptional } from "class-validator";
import { ArgsType, Field } from "type-graphql";
import "./campaign.object"; // registers CampaignStatus before it is used here
import { CampaignStatus } from "./campaign.entity";

/** `campaigns(first, after, status)`. */
@ArgsType()
export class CampaignsArgs extends ConnectionArgs {
  @Field(() => CampaignStatus, { nullable: true, description: "Only campaigns with this status." })
  @IsOptional()
  @IsEnum(CampaignStatus)
  status?: CampaignStatus | null;
}
