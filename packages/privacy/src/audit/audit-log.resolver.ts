import { Role, type AuditEntryEntity, type Connection } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Args, Authorized, Ctx, Query, Resolver } from "type-graphql";
import type { PrivacyServices } from "../privacy.module";
import { AuditEntryConnection, AuditEntryObject } from "./audit-entry.object";
import { AuditLogArgs } from "./audit-log.args";

/** The audit log, read-only: no operation changes or deletes an entry. */
@Resolver(() => AuditEntryObject)
export class AuditLogResolver {
  constructor(private readonly services: PrivacyServices) {}

  @Authorized([Role.ADMIN, Role.SECURITY])
  @Query(() => AuditEntryConnection, {
    description:
      "Staff reads of people's data, exports, role and partner key changes, newest first, optionally from/to an instant. ADMIN and SECURITY.",
  })
  auditLog(
    @Args(() => AuditLogArgs) args: AuditLogArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<AuditEntryEntity>> {
    return this.services.audit.list(ctx, args);
  }
}
