import { Role, type Connection } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import { SESSION_COOKIE } from "@honour/users";
import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { PrivacyServices } from "../privacy.module";
import {
  ExtendPrivacyRequestArgs,
  PrivacyRequestIdArgs,
  PrivacyRequestsArgs,
  RejectPrivacyRequestArgs,
} from "./privacy-request.args";
import { RecordPrivacyRequestInput } from "./privacy-request.input";
import { PrivacyRequestConnection, PrivacyRequestObject } from "./privacy-request.object";
import type { PrivacyRequestView } from "./privacy-request-store.service";

const STAFF = [Role.SUPPORT, Role.ADMIN];

/** A person's own privacy requests (a copy of their data, closing the account) and staff handling them. */
@Resolver(() => PrivacyRequestObject)
export class PrivacyRequestResolver {
  constructor(private readonly services: PrivacyServices) {}

  @Authorized()
  @Mutation(() => PrivacyRequestObject, {
    description:
      "Asks for a copy of your data (an ACCESS request); the link appears in downloadUrl when it is ready. " +
      "While one is open, returns that one. Signed-in users.",
  })
  requestDataExport(@Ctx() { ctx }: GraphQLContext): Promise<PrivacyRequestView> {
    return this.services.ownRequests.requestDataExport(ctx);
  }

  @Authorized()
  @Query(() => [PrivacyRequestObject], {
    description: "Your own privacy requests, newest first (at most 100). Signed-in users.",
  })
  myPrivacyRequests(@Ctx() { ctx }: GraphQLContext): Promise<PrivacyRequestView[]> {
    return this.services.ownRequests.mine(ctx);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      "Closes your account with your current password: your data is erased everywhere, you are signed out, and an " +
      "ERASURE request is recorded as completed. Cannot be undone. Signed-in users. CONFLICT for the last " +
      "administrator account.",
  })
  async closeAccount(
    @Arg("password", () => String) password: string,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    // No transaction here: a wrong password must stay counted; the service opens its own after the check.
    await this.services.ownRequests.closeAccount(context.ctx, password);
    context.http.clearCookie(SESSION_COOKIE);
    return true;
  }

  @Authorized(STAFF)
  @Query(() => PrivacyRequestConnection, {
    description:
      "Every privacy request, newest first, or soonest due first with `orderBy: DUE_FIRST` (the queue); each one " +
      "read about a person is audited. SUPPORT and ADMIN.",
  })
  privacyRequests(
    @Args(() => PrivacyRequestsArgs) args: PrivacyRequestsArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<PrivacyRequestView>> {
    return this.services.requests.list(ctx, args);
  }

  @Authorized(STAFF)
  @Mutation(() => PrivacyRequestObject, {
    description: "Enters a request received by email, letter or telephone. SUPPORT and ADMIN.",
  })
  recordPrivacyRequest(
    @Arg("input", () => RecordPrivacyRequestInput) input: RecordPrivacyRequestInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<PrivacyRequestView> {
    return this.services.requests.record(ctx, input);
  }

  @Authorized(STAFF)
  @Mutation(() => PrivacyRequestObject, {
    description:
      "Acts on a request: ACCESS builds the copy (IN_PROGRESS until the worker is done), ERASURE closes the account, " +
      "OBJECTION withdraws every consent, RECTIFICATION records the correction made with updateUser. SUPPORT and ADMIN.",
  })
  completePrivacyRequest(
    @Args(() => PrivacyRequestIdArgs) { id }: PrivacyRequestIdArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<PrivacyRequestView> {
    return this.services.requests.complete(ctx, id);
  }

  @Authorized(STAFF)
  @Mutation(() => PrivacyRequestObject, {
    description:
      "Extends an open request by 1 or 2 months with a reason; at most three months after receipt in all. SUPPORT and ADMIN.",
  })
  extendPrivacyRequest(
    @Args(() => ExtendPrivacyRequestArgs) { id, reason, months }: ExtendPrivacyRequestArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<PrivacyRequestView> {
    return this.services.requests.extend(ctx, id, reason, months);
  }

  @Authorized(STAFF)
  @Mutation(() => PrivacyRequestObject, { description: "Refuses an open request, with the reason. SUPPORT and ADMIN." })
  rejectPrivacyRequest(
    @Args(() => RejectPrivacyRequestArgs) { id, reason }: RejectPrivacyRequestArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<PrivacyRequestView> {
    return this.services.requests.reject(ctx, id, reason);
  }
}
