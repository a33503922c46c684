import { Role, type Connection } from "@honour/platform";
import { requestLoader, type GraphQLContext } from "@honour/platform/graphql";
import type DataLoader from "dataloader";
import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { UsersServices } from "../users.module";
import { SetUserRoleArgs, UpdateUserArgs, UserArgs, UsersArgs } from "./user.args";
import type { UserEntity } from "./user.entity";
import { ChangePasswordInput, UpdateProfileInput } from "./user.input";
import { UserConnection, UserObject } from "./user.object";

/**
 * Accounts by id for one GraphQL request: batched, and cached for the request's duration. The
 * gateway primes it with the signed-in user's account, which the session lookup already read.
 */
export function userLoader(context: GraphQLContext, services: UsersServices): DataLoader<string, UserEntity | null> {
  return requestLoader<string, UserEntity | null>(context, "users.user", async (ids) => {
    const users = await services.users.findByIds(context.ctx, ids);
    const byId = new Map(users.map((u) => [u.id, u]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** The signed-in user's own account, and the staff operations on accounts. */
@Resolver(() => UserObject)
export class UserResolver {
  constructor(private readonly services: UsersServices) {}

  @Query(() => UserObject, { nullable: true, description: "The signed-in user; null when not signed in. Public." })
  async me(@Ctx() context: GraphQLContext): Promise<UserEntity | null> {
    const userId = context.ctx.userId;
    // The gateway primes the loader with the account read along with the session.
    return userId ? userLoader(context, this.services).load(userId) : null;
  }

  @Authorized()
  @Mutation(() => UserObject, {
    description: "Corrects your own details. The email address changes with requestEmailChange, not here.",
  })
  updateProfile(
    // Checked by the service, which reports every invalid field at once (see user.input.ts).
    @Arg("input", () => UpdateProfileInput, { validate: false }) input: UpdateProfileInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<UserEntity> {
    // No transaction here: the service opens one when another domain reacts to the change.
    return this.services.users.updateProfile(ctx, input);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Changes your password and signs out your other sessions." })
  async changePassword(
    @Arg("input", () => ChangePasswordInput, { validate: false }) input: ChangePasswordInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<boolean> {
    // The service opens its own transaction after the (throttled) password check.
    await this.services.users.changePassword(ctx, input);
    return true;
  }

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Query(() => UserConnection, {
    description: "Accounts, newest first. Support and admins; each account shown is recorded in the audit log.",
  })
  users(@Args(() => UsersArgs) args: UsersArgs, @Ctx() { ctx }: GraphQLContext): Promise<Connection<UserEntity>> {
    // The service reads the page (from a replica when there is one), then writes its audit entries.
    return this.services.users.list(ctx, args);
  }

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Query(() => UserObject, {
    description: "One account. Support and admins; recorded in the audit log. NOT_FOUND for an unknown id.",
  })
  user(@Args(() => UserArgs) { id }: UserArgs, @Ctx() { ctx }: GraphQLContext): Promise<UserEntity> {
    return this.services.users.viewAsStaff(ctx, id);
  }

  @Authorized([Role.SUPPORT, Role.ADMIN])
  @Mutation(() => UserObject, {
    description:
      "Corrects someone's account at their request (not your own: use updateProfile). Support and admins; " +
      "recorded in the audit log with the names of the fields changed.",
  })
  updateUser(
    @Args(() => UpdateUserArgs) { id, input }: UpdateUserArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<UserEntity> {
    return this.services.users.correctAccount(ctx, id, input);
  }

  @Authorized([Role.ADMIN])
  @Mutation(() => UserObject, { description: "Gives an account a role. Admins; not for your own account." })
  setUserRole(
    @Args(() => SetUserRoleArgs) { userId, role }: SetUserRoleArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<UserEntity> {
    // The service changes the role and writes the audit entries in one transaction.
    return this.services.users.setRole(ctx, userId, role);
  }
}
