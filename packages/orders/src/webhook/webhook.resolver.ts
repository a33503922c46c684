import { Role, type Connection } from "@honour/platform";
import { requestLoader, type GraphQLContext } from "@honour/platform/graphql";
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { OrdersServices } from "../orders.module";
import { PartnerObject } from "../partner/partner.object";
import type { PartnerEntity } from "../partner/partner.entity";
import { UpdateWebhookEndpointArgs, WebhookDeliveriesArgs } from "./webhook.args";
import { CreateWebhookEndpointInput } from "./webhook.input";
import {
  deliveryView,
  endpointView,
  WebhookDeliveryConnection,
  WebhookEndpointObject,
  WebhookEndpointSecretObject,
  type WebhookDeliveryObject,
  type WebhookEndpointView,
} from "./webhook.object";

/** Partners' webhook endpoints and their delivery logs: administrators only. */
@Resolver(() => WebhookEndpointObject)
export class WebhookResolver {
  constructor(private readonly services: OrdersServices) {}

  @Authorized([Role.ADMIN])
  @Mutation(() => WebhookEndpointSecretObject, {
    description: "Subscribes a partner's URL to events. The signing secret is in this answer only. ADMIN.",
  })
  async createWebhookEndpoint(
    @Arg("input", () => CreateWebhookEndpointInput) input: CreateWebhookEndpointInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<WebhookEndpointSecretObject> {
    const { endpoint, secret } = await this.services.webhooks.createEndpoint(ctx, input);
    return { endpoint: endpointView(endpoint), secret };
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => WebhookEndpointObject, { description: "Changes an endpoint's URL, events or state. ADMIN." })
  async updateWebhookEndpoint(
    @Args(() => UpdateWebhookEndpointArgs) { id, input }: UpdateWebhookEndpointArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<WebhookEndpointView> {
    return endpointView(await this.services.webhooks.updateEndpoint(ctx, id, input));
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => WebhookEndpointSecretObject, {
    description:
      "A new signing secret, in this answer only. The old one keeps signing beside it for 24 hours (both " +
      "signatures in webhook-signature), so the partner can switch without a failed verification. ADMIN.",
  })
  async rotateWebhookSecret(
    @Arg("id", () => ID) id: string,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<WebhookEndpointSecretObject> {
    const { endpoint, secret } = await this.services.webhooks.rotateSecret(ctx, id);
    return { endpoint: endpointView(endpoint), secret };
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => Boolean, { description: "Deletes an endpoint and its delivery log. ADMIN." })
  async deleteWebhookEndpoint(@Arg("id", () => ID) id: string, @Ctx() { ctx }: GraphQLContext): Promise<boolean> {
    await this.services.webhooks.deleteEndpoint(ctx, id);
    return true;
  }

  @Authorized([Role.ADMIN])
  @Query(() => WebhookDeliveryConnection, {
    description:
      "An endpoint's deliveries, newest first: status, attempts, last HTTP status, latency and error. ADMIN.",
  })
  async webhookDeliveries(
    @Args(() => WebhookDeliveriesArgs) { endpointId, first, after }: WebhookDeliveriesArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<WebhookDeliveryObject>> {
    const page = await this.services.webhooks.deliveries(ctx, endpointId, { first, after });
    const nodes = page.nodes.map(deliveryView);
    return { ...page, nodes, edges: page.edges.map((e, i) => ({ cursor: e.cursor, node: nodes[i]! })) };
  }
}

/** `Partner.webhookEndpoints`. */
@Resolver(() => PartnerObject)
export class PartnerWebhookResolver {
  constructor(private readonly services: OrdersServices) {}

  @Authorized([Role.ADMIN])
  @FieldResolver(() => [WebhookEndpointObject], {
    nullable: true,
    description:
      "The partner's webhook endpoints, without secrets. ADMIN; null with a FORBIDDEN error for anyone else.",
  })
  async webhookEndpoints(
    @Root() partner: PartnerEntity,
    @Ctx() context: GraphQLContext,
  ): Promise<WebhookEndpointView[]> {
    const loader = requestLoader(context, "orders.webhookEndpoints", async (ids: readonly string[]) => {
      const endpoints = await this.services.webhooks.endpointsOf(context.ctx, ids);
      return ids.map((id) => endpoints.filter((e) => e.partnerId === id).map(endpointView));
    });
    return loader.load(partner.id);
  }
}
