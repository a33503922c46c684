import { Role } from "@honour/platform";
import { requestLoader, type GraphQLContext } from "@honour/platform/graphql";
import type DataLoader from "dataloader";
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ConsentServices } from "../consent.module";
import { sanitiseCampaignHtml } from "./campaign-html";
import type { CampaignEntity } from "./campaign.entity";
import { CreateCampaignInput } from "./campaign.input";
import { CampaignObject } from "./campaign.object";
import { NO_COUNTS, type CampaignCounts } from "./campaign.service";

/** A campaign's counts, batched per request: one query for every campaign a response shows. */
function countsLoader(context: GraphQLContext, services: ConsentServices): DataLoader<string, CampaignCounts> {
  return requestLoader<string, CampaignCounts>(context, "consent.campaignCounts", async (ids) => {
    const counts = await services.campaigns.counts(context.ctx, ids);
    return ids.map((id) => counts.get(id) ?? NO_COUNTS);
  });
}

/** Marketing campaigns: created as DRAFT, sent by the worker. Marketing and admins. */
@Resolver(() => CampaignObject)
export class CampaignResolver {
  constructor(private readonly services: ConsentServices) {}

  @Authorized([Role.MARKETING, Role.ADMIN])
  @Query(() => CampaignObject, {
    nullable: true,
    description: "A campaign and how its sending went. Marketing and admins.",
  })
  campaign(@Arg("id", () => ID) id: string, @Ctx() { ctx }: GraphQLContext): Promise<CampaignEntity | null> {
    return this.services.campaigns.find(ctx, id);
  }

  @Authorized([Role.MARKETING, Role.ADMIN])
  @Mutation(() => CampaignObject, { description: "Creates a DRAFT campaign. Marketing and admins." })
  createCampaign(
    @Arg("input", () => CreateCampaignInput) input: CreateCampaignInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<CampaignEntity> {
    return this.services.campaigns.create(ctx, input);
  }

  @Authorized([Role.MARKETING, Role.ADMIN])
  @Mutation(() => CampaignObject, {
    description:
      "Sends a DRAFT campaign: the worker computes the recipients now (granted, not suppressed, account open) and " +
      "sends each one message. CONFLICT when it is not a DRAFT. Marketing and admins.",
  })
  sendCampaign(@Arg("id", () => ID) id: string, @Ctx() { ctx }: GraphQLContext): Promise<CampaignEntity> {
    return this.services.campaigns.send(ctx, id);
  }

  // The schema's bodyHtml, unchanged; sanitised again for campaigns stored before sanitising
  // began, so a preview shows what the worker sends.
  @FieldResolver(() => String, { nullable: true })
  bodyHtml(@Root() campaign: CampaignEntity): string | null {
    return sanitiseCampaignHtml(campaign.bodyHtml);
  }

  @FieldResolver(() => Int, { description: "Messages written to the outbox when sending started." })
  async recipientCount(@Root() campaign: CampaignEntity, @Ctx() context: GraphQLContext): Promise<number> {
    return (await countsLoader(context, this.services).load(campaign.id)).recipientCount;
  }

  @FieldResolver(() => Int)
  async sentCount(@Root() campaign: CampaignEntity, @Ctx() context: GraphQLContext): Promise<number> {
    return (await countsLoader(context, this.services).load(campaign.id)).sentCount;
  }

  @FieldResolver(() => Int, { description: "Not sent: withdrawn, suppressed or closed just before sending." })
  async skippedCount(@Root() campaign: CampaignEntity, @Ctx() context: GraphQLContext): Promise<number> {
    return (await countsLoader(context, this.services).load(campaign.id)).skippedCount;
  }

  @FieldResolver(() => Int)
  async failedCount(@Root() campaign: CampaignEntity, @Ctx() context: GraphQLContext): Promise<number> {
    return (await countsLoader(context, this.services).load(campaign.id)).failedCount;
  }
}
