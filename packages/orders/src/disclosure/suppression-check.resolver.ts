import { Role, type Connection } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Args, Authorized, Ctx, Query, Resolver } from "type-graphql";
import type { OrdersServices } from "../orders.module";
import type { SuppressionCheckRecord } from "../partner/partner-suppression.service";
import { PartnerSuppressionChecksArgs } from "./suppression-check.args";
import {
  PartnerSuppressionCheckRecordConnection,
  PartnerSuppressionCheckRecordObject,
} from "./suppression-check.object";

/** Staff's view of partners' suppression checks (the disclosure log's other half). */
@Resolver(() => PartnerSuppressionCheckRecordObject)
export class SuppressionCheckResolver {
  constructor(private readonly services: OrdersServices) {}

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Query(() => PartnerSuppressionCheckRecordConnection, {
    description:
      "Partners' checkPartnerSuppressions calls, newest first, by partner and time window (from inclusive, to " +
      "exclusive). Counts only, never the addresses. SUPPORT, ADMIN.",
  })
  partnerSuppressionChecks(
    @Args(() => PartnerSuppressionChecksArgs) { partnerId, from, to, first, after }: PartnerSuppressionChecksArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<SuppressionCheckRecord>> {
    return this.services.partnerSuppressions.list(ctx, { partnerId, from, to }, { first, after });
  }
}
