import { Role } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { Args, Authorized, Ctx, Query, Resolver } from "type-graphql";
import type { ConsentServices } from "../consent.module";
import { ContactListArgs } from "./contact-list.args";
import { ContactListExportObject } from "./contact-list.object";
import type { ContactListExport } from "./contact-list.service";

/** Telephone, fax and mail lists for staff. */
@Resolver(() => ContactListExportObject)
export class ContactListResolver {
  constructor(private readonly services: ConsentServices) {}

  @Authorized([Role.MARKETING, Role.ADMIN])
  @Query(() => ContactListExportObject, {
    description:
      "The people who granted the topic on the channel (TELEPHONE, FAX or MAIL), are not suppressed and have an " +
      "open account. Every export is logged. Marketing and admins.",
  })
  contactList(
    @Args(() => ContactListArgs) { topic, channel }: ContactListArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<ContactListExport> {
    return this.services.contactLists.export(ctx, topic, channel);
  }
}
