import { Role, type Connection } from "@honour/platform";
import { ConnectionArgs, requestLoader, type GraphQLContext } from "@honour/platform/graphql";
import type DataLoader from "dataloader";
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { OrdersServices } from "../orders.module";
import type { PartnerApiKeyEntity } from "./partner-api-key.entity";
import { SetPartnerActiveArgs } from "./partner.args";
import type { PartnerEntity } from "./partner.entity";
import { CreatePartnerInput } from "./partner.input";
import { PartnerApiKeyObject, PartnerApiKeySecretObject, PartnerConnection, PartnerObject } from "./partner.object";
import type { IssuedApiKey } from "./partner.service";

/** API keys by partner id for one request. */
function apiKeysLoader(context: GraphQLContext, services: OrdersServices): DataLoader<string, PartnerApiKeyEntity[]> {
  return requestLoader(context, "orders.partnerApiKeys", async (ids: readonly string[]) => {
    const keys = await services.partners.apiKeysOf(context.ctx, ids);
    return ids.map((id) => keys.filter((k) => k.partnerId === id));
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
  @Mutation(() => PartnerApiKeySecretObject, {
    description: "Issues an API key for a partner. The secret is in this answer only; it is stored hashed. ADMIN.",
  })
  issuePartnerApiKey(
    @Arg("partnerId", () => ID) partnerId: string,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<IssuedApiKey> {
    return this.services.partners.issueApiKey(ctx, partnerId);
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
}
