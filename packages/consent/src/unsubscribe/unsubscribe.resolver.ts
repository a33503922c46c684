import type { GraphQLContext } from "@honour/platform/graphql";
import { Args, Ctx, Mutation, Resolver } from "type-graphql";
import type { ConsentServices } from "../consent.module";
import { UnsubscribeArgs } from "./unsubscribe.args";
import { UnsubscribeResultObject } from "./unsubscribe.object";

/** The footer link's unsubscribe, confirmed on the site. */
@Resolver()
export class UnsubscribeResolver {
  constructor(private readonly services: ConsentServices) {}

  @Mutation(() => UnsubscribeResultObject, {
    description:
      "Withdraws the link's topic on email at once, like the one-click POST. NOT_FOUND for an unknown or altered " +
      "token (nothing changes). Public: the token is the authority.",
  })
  async unsubscribe(
    @Args(() => UnsubscribeArgs) { token }: UnsubscribeArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<UnsubscribeResultObject> {
    const result = await this.services.unsubscribe.unsubscribe(ctx, token);
    return { ...result, unsubscribed: true };
  }
}
