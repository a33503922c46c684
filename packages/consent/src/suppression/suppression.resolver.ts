import { Role } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Arg, Authorized, Ctx, Mutation, Resolver } from "type-graphql";
import type { ConsentServices } from "../consent.module";
import type { SuppressionEntity } from "./suppression.entity";
import { RemovalRequestInput } from "./suppression.input";
import { SuppressionObject } from "./suppression.object";

/**
 * Removal requests (staff). Partners check the addresses they hold with `checkPartnerSuppressions`
 * (orders), which asks `SuppressionService.partnerDoNotContact`.
 */
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
}
