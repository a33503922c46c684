import { ForbiddenException, NotFoundException, PARTNER_ROLE, Role, type Connection } from "@honour/platform";
import { ConnectionArgs, requestLoader, type GraphQLContext } from "@honour/platform/graphql";
import type DataLoader from "dataloader";
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { OrdersServices } from "../orders.module";
import type { PartnerApiKeyEntity } from "./partner-api-key.entity";
import type { PartnerRateLimitEntity } from "./partner-rate-limit.entity";
import {
  IssuePartnerApiKeyArgs,
  RotatePartnerApiKeyArgs,
  SetPartnerActiveArgs,
  SetPartnerRateLimitArgs,
} from "./partner.args";
import type { PartnerEntity } from "./partner.entity";
import { CreatePartnerInput } from "./partner.input";
import {
  AssignedOrderSuppressionObject,
  PartnerApiKeyObject,
  PartnerApiKeySecretObject,
  PartnerConnection,
  PartnerObject,
  PartnerRateLimitObject,
  PartnerSuppressionCheckObject,
} from "./partner.object";
import type { AssignedOrderSuppression, SuppressionCheckResult } from "./partner-suppression.service";
import type { IssuedApiKey } from "./partner.service";

/** API keys by partner id for one request. */
function apiKeysLoader(context: GraphQLContext, services: OrdersServices): DataLoader<string, PartnerApiKeyEntity[]> {
  return requestLoader(context, "orders.partnerApiKeys", async (ids: readonly string[]) => {
    const keys = await services.partners.apiKeysOf(context.ctx, ids);
    return ids.map((id) => keys.filter((k) => k.partnerId === id));
  });
}

/** Own rate limits by partner id for one request. */
function rateLimitLoader(
  context: GraphQLContext,
  services: OrdersServices,
): DataLoader<string, PartnerRateLimitEntity | null> {
  return requestLoader(context, "orders.partnerRateLimits", async (ids: readonly string[]) => {
    const limits = await services.partners.rateLimitsOf(context.ctx, ids);
    return ids.map((id) => limits.find((l) => l.partnerId === id) ?? null);
  });
}

/** Partners and their API keys: administrators manage them, support looks them up to assign orders. */
@Resolver(() => PartnerObject)
export class PartnerResolver {
  constructor(private readonly services: OrdersServices) {}

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Query(() => PartnerConnection, { description: "Partners, newest first. SUPPORT, ADMIN." })
  partners(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<PartnerEntity>> {
    return this.services.partners.list(ctx, args);
  }

  @Authorized([PARTNER_ROLE])
  @Query(() => PartnerObject, { description: "Which partner am I: the partner of the API key calling. Partners only." })
  async partner(@Ctx() { ctx }: GraphQLContext): Promise<PartnerEntity> {
    if (ctx.actor.kind !== "partner") throw new ForbiddenException();
    const partner = await this.services.partners.findById(ctx, ctx.actor.partnerId);
    if (!partner) throw new NotFoundException("Partner");
    return partner;
  }

  @Authorized([PARTNER_ROLE])
  @Query(() => [PartnerSuppressionCheckObject], {
    description:
      "Which of these addresses (ones the partner already holds) must not be contacted, in the order asked. " +
      "At most 100 per call and 2000 per hour per partner (RATE_LIMITED with Retry-After beyond); each call is " +
      "recorded in the disclosure log. Replaces partnerSuppressions. Partners only.",
  })
  checkPartnerSuppressions(
    @Arg("emails", () => [String]) emails: string[],
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<SuppressionCheckResult[]> {
    return this.services.partnerSuppressions.checkAddresses(ctx, emails);
  }

  @Authorized([PARTNER_ROLE])
  @Query(() => [AssignedOrderSuppressionObject], {
    description:
      "The orders assigned to the calling partner whose buyer must not be contacted (suppressed, or partner " +
      "offers withdrawn), oldest first; erased contacts come as partnerErasureNotices instead. Partners only.",
  })
  partnerAssignedSuppressions(@Ctx() { ctx }: GraphQLContext): Promise<AssignedOrderSuppression[]> {
    return this.services.partnerSuppressions.assignedOrders(ctx);
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => PartnerObject, { description: "Adds a partner, active. ADMIN." })
  createPartner(
    @Arg("input", () => CreatePartnerInput) input: CreatePartnerInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<PartnerEntity> {
    return this.services.partners.create(ctx, input);
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => PartnerObject, {
    description: "Turns a partner on or off; an inactive partner's keys stop working at once. ADMIN.",
  })
  setPartnerActive(
    @Args(() => SetPartnerActiveArgs) { partnerId, active }: SetPartnerActiveArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<PartnerEntity> {
    return this.services.partners.setActive(ctx, partnerId, active);
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => PartnerObject, {
    description:
      "Sets a partner's own rate limits (per API key and window) over the configured ones; null keeps the " +
      "configured limit, 0 turns it off, both null removes the override. Gateways apply it within 10 s. ADMIN.",
  })
  setPartnerRateLimit(
    @Args(() => SetPartnerRateLimitArgs) { partnerId, operations, cost }: SetPartnerRateLimitArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<PartnerEntity> {
    return this.services.partners.setRateLimit(ctx, partnerId, { operations: operations ?? null, cost: cost ?? null });
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => PartnerApiKeySecretObject, {
    description:
      "Issues an API key for a partner, valid until expiresAt (null: no expiry). The secret is in this answer " +
      "only; it is stored hashed. The partner's key.expiring webhook is sent 14 days before expiry. ADMIN.",
  })
  issuePartnerApiKey(
    @Args(() => IssuePartnerApiKeyArgs) { partnerId, expiresAt }: IssuePartnerApiKeyArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<IssuedApiKey> {
    return this.services.partners.issueApiKey(ctx, partnerId, { expiresAt: expiresAt ?? null });
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => PartnerApiKeySecretObject, {
    description:
      "Replaces a key with a new one for the same partner, valid until expiresAt (null: no expiry); the old key " +
      "keeps working for 24 hours (or until its own earlier expiry). The new secret is in this answer only. ADMIN.",
  })
  rotatePartnerApiKey(
    @Args(() => RotatePartnerApiKeyArgs) { id, expiresAt }: RotatePartnerApiKeyArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<IssuedApiKey> {
    return this.services.partners.rotateApiKey(ctx, id, expiresAt ?? null);
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => Boolean, { description: "Revokes an API key; it answers UNAUTHENTICATED from now on. ADMIN." })
  async revokePartnerApiKey(@Arg("id", () => ID) id: string, @Ctx() { ctx }: GraphQLContext): Promise<boolean> {
    await this.services.partners.revokeApiKey(ctx, id);
    return true;
  }

  @Authorized([Role.ADMIN])
  @FieldResolver(() => [PartnerApiKeyObject], {
    nullable: true,
    description: "The partner's keys, without secrets. ADMIN; null with a FORBIDDEN error for anyone else.",
  })
  apiKeys(@Root() partner: PartnerEntity, @Ctx() context: GraphQLContext): Promise<PartnerApiKeyEntity[]> {
    return apiKeysLoader(context, this.services).load(partner.id);
  }

  @Authorized([Role.ADMIN])
  @FieldResolver(() => PartnerRateLimitObject, {
    nullable: true,
    description: "The partner's own rate limits; null when it has the configured ones. ADMIN.",
  })
  rateLimit(@Root() partner: PartnerEntity, @Ctx() context: GraphQLContext): Promise<PartnerRateLimitEntity | null> {
    return rateLimitLoader(context, this.services).load(partner.id);
  }
}
