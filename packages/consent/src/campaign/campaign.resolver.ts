import { Role, type Connection, type Topic } from "@honour/platform";
import { requestLoader, type GraphQLContext } from "@honour/platform/graphql";
import type DataLoader from "dataloader";
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ConsentServices } from "../consent.module";
import { sanitiseCampaignHtml } from "./campaign-html";
import type { CampaignEntity } from "./campaign.entity";
import { CampaignsArgs } from "./campaign.args";
import { CreateCampaignInput, UpdateCampaignInput } from "./campaign.input";
import { CampaignConnection, CampaignMessageObject, CampaignObject } from "./campaign.object";
import { NO_COUNTS, type CampaignCounts, type CampaignMessageView } from "./campaign.service";

/** A campaign's counts, batched per request: one query for every campaign a response shows. */
function countsLoader(context: GraphQLContext, services: ConsentServices): DataLoader<string, CampaignCounts> {
  return requestLoader<string, CampaignCounts>(context, "consent.campaignCounts", async (ids) => {
    const counts = await services.campaigns.counts(context.ctx, ids);
    return ids.map((id) => counts.get(id) ?? NO_COUNTS);
  });
}

/**
 * How many a campaign on each topic would reach now, once per topic a request asks: a list of
 * campaigns reads each topic's recipients once, not once per campaign.
 */
function eligibleCountLoader(context: GraphQLContext, services: ConsentServices): DataLoader<Topic, number> {
  return requestLoader<Topic, number>(context, "consent.eligibleRecipientCount", (topics) =>
    Promise.all(topics.map((topic) => services.campaigns.eligibleCount(context.ctx, topic))),
  );
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
  @Query(() => CampaignConnection, { description: "Campaigns, newest first. Marketing and admins." })
  campaigns(
    @Args(() => CampaignsArgs) { status, ...page }: CampaignsArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<CampaignEntity>> {
    return this.services.campaigns.list(ctx, page, status);
  }

  @Authorized([Role.MARKETING, Role.ADMIN])
  @Query(() => CampaignMessageObject, {
    description:
      "The campaign's message as a recipient gets it (text and HTML with the footer, unsubscribe and preference " +
      "links, whose tokens are placeholders here); softOptIn: as a recipient with the policy's soft opt-in reads it. " +
      "NOT_FOUND for an unknown id. Marketing and admins.",
  })
  previewCampaign(
    @Arg("id", () => ID) id: string,
    @Arg("softOptIn", () => Boolean, { defaultValue: false }) softOptIn: boolean,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<CampaignMessageView> {
    return this.services.campaigns.preview(ctx, id, softOptIn);
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

  @Authorized([Role.MARKETING, Role.ADMIN])
  @Mutation(() => CampaignObject, {
    description:
      "Changes a DRAFT campaign (only the fields given). CONFLICT (reason CAMPAIGN_NOT_DRAFT) once it has been sent " +
      "or is being sent: what went out cannot change. Marketing and admins.",
  })
  updateCampaign(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateCampaignInput) input: UpdateCampaignInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<CampaignEntity> {
    return this.services.campaigns.update(ctx, id, { ...input });
  }

  @Authorized([Role.MARKETING, Role.ADMIN])
  @Mutation(() => CampaignMessageObject, {
    description:
      "Sends the campaign once, now, to your own address only, as a recipient gets it (subject marked [Test]); " +
      "counts nothing. Any status. Marketing and admins.",
  })
  sendTestCampaign(@Arg("id", () => ID) id: string, @Ctx() { ctx }: GraphQLContext): Promise<CampaignMessageView> {
    return this.services.campaigns.sendTest(ctx, id);
  }

  @FieldResolver(() => Int, {
    description:
      "How many would get it if it were sent now: granted the topic by email, account open, address not suppressed.",
  })
  eligibleRecipientCount(@Root() campaign: CampaignEntity, @Ctx() context: GraphQLContext): Promise<number> {
    return eligibleCountLoader(context, this.services).load(campaign.topic);
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
