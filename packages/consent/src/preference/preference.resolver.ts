import { Channel, type Connection } from "@honour/platform";
import { ConnectionArgs, type GraphQLContext } from "@honour/platform/graphql";
import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { ConsentServices } from "../consent.module";
import type { ConsentEventEntity } from "./consent-event.entity";
import type { PreferenceView } from "./consent.service";
import { SetPreferencesArgs } from "./preference.args";
import { ConsentEventConnection, PreferenceObject } from "./preference.object";

/** The signed-in person's own communication preferences and consent history. */
@Resolver(() => PreferenceObject)
export class PreferenceResolver {
  constructor(private readonly services: ConsentServices) {}

  @Authorized()
  @Query(() => [PreferenceObject], { description: "Every topic on every channel, granted or not. Signed-in users." })
  myPreferences(@Ctx() { ctx }: GraphQLContext): Promise<PreferenceView[]> {
    return this.services.consent.myPreferences(ctx);
  }

  @Authorized()
  @Mutation(() => [PreferenceObject], {
    description:
      "Grants and withdraws topics on channels; returns every preference. Granting on a channel lifts your own " +
      "opt-out of it. Signed-in users.",
  })
  setPreferences(@Args(() => SetPreferencesArgs) { input }: SetPreferencesArgs, @Ctx() { ctx }: GraphQLContext) {
    return this.services.consent.setPreferences(ctx, input);
  }

  @Authorized()
  @Mutation(() => [PreferenceObject], {
    description:
      "Withdraws every topic on the channel and stops anything reaching your address or number on it until you " +
      "grant something there again. Signed-in users.",
  })
  optOutOfAll(@Arg("channel", () => Channel) channel: Channel, @Ctx() { ctx }: GraphQLContext) {
    return this.services.consent.optOutOfAll(ctx, channel);
  }

  @Authorized()
  @Query(() => ConsentEventConnection, { description: "Your grants and withdrawals, newest first. Signed-in users." })
  myConsentHistory(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<ConsentEventEntity>> {
    return this.services.consent.myHistory(ctx, args);
  }
}
