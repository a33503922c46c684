import { PARTNER_ROLE, Role } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { ConsentServices } from "../consent.module";
import type { SuppressionEntity } from "./suppression.entity";
import { PartnerSuppressionsArgs } from "./suppression.args";
import { RemovalRequestInput } from "./suppression.input";
import { SuppressedHashObject, SuppressionObject } from "./suppression.object";
import type { SuppressedHash } from "./suppression.service";

/** Removal requests (staff) and the opt-out feed for partners. */
@Resolver(() => SuppressionObject)
export class SuppressionResolver {
  constructor(private readonly services: ConsentServices) {}

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Mutation(() => SuppressionObject, {
    description:
      "Records a request to be removed from a list; the next list export leaves the number or address out. " +
      "Support and admins.",
  })
  recordRemovalRequest(
    @Arg("input", () => RemovalRequestInput) input: RemovalRequestInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<SuppressionEntity> {
    return this.services.suppressions.recordRemovalRequest(ctx, input);
  }

  @Authorized([PARTNER_ROLE])
  @Query(() => [SuppressedHashObject], {
    description:
      "Hashes of the email addresses of people who withdrew partner offers or are suppressed, oldest first. " +
      "Partners (API key).",
  })
  partnerSuppressions(
    @Args(() => PartnerSuppressionsArgs) { since }: PartnerSuppressionsArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<SuppressedHash[]> {
    return this.services.suppressions.partnerFeed(ctx, since ?? null);
  }
}
