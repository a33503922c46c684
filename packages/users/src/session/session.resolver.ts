import type { GraphQLContext } from "@honour/platform/graphql";
import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { UsersServices } from "../users.module";
import type { OwnSession } from "./own-session.service";
import { SessionObject } from "./session.object";

/** The signed-in person's own sessions. Each operation needs a signed-in user. */
@Resolver(() => SessionObject)
export class SessionResolver {
  constructor(private readonly services: UsersServices) {}

  @Authorized()
  @Query(() => [SessionObject], { description: "Your live sessions, most recently used first." })
  mySessions(@Ctx() { ctx }: GraphQLContext): Promise<OwnSession[]> {
    return this.services.ownSessions.list(ctx);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: "Signs out one of your sessions (its cookie stops working). NOT_FOUND for an id that is not yours.",
  })
  async revokeSession(@Arg("id", () => ID) id: string, @Ctx() { ctx }: GraphQLContext): Promise<boolean> {
    // The service deletes and records the security event in one transaction.
    await this.services.ownSessions.revoke(ctx, id);
    return true;
  }

  @Authorized()
  @Mutation(() => Int, { description: "Signs out every session of yours but this one. Returns how many ended." })
  revokeOtherSessions(@Ctx() { ctx }: GraphQLContext): Promise<number> {
    return this.services.ownSessions.revokeOthers(ctx);
  }
}
