import { ForbiddenException, Role, type Actor } from "@honour/platform";
import { requestLoader, type GraphQLContext } from "@honour/platform/graphql";
import type { UserEntity } from "@honour/users";
import { UserObject } from "@honour/users/graphql";
import type DataLoader from "dataloader";
import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import type { OrdersServices } from "../orders.module";
import type { SavedPaymentMethodEntity } from "./saved-payment-method.entity";
import { SavedPaymentMethodObject } from "./saved-payment-method.object";

/** Saved cards by account id for one request. */
function savedPaymentMethodsLoader(
  context: GraphQLContext,
  services: OrdersServices,
): DataLoader<string, SavedPaymentMethodEntity[]> {
  return requestLoader(context, "orders.savedPaymentMethods", async (ids: readonly string[]) => {
    const methods = await services.billing.listFor(context.ctx, ids);
    return ids.map((id) => methods.filter((m) => m.userId === id));
  });
}

/** The account holder, and SUPPORT and ADMIN helping them, see the cards saved on a profile. */
function canSeeSavedCards(actor: Actor, userId: string): boolean {
  return actor.kind === "user" && (actor.userId === userId || actor.role === Role.SUPPORT || actor.role === Role.ADMIN);
}

/** Cards saved on profiles: the `User.savedPaymentMethods` field, and deleting a card. */
@Resolver(() => UserObject)
export class SavedPaymentMethodResolver {
  constructor(private readonly services: OrdersServices) {}

  @FieldResolver(() => [SavedPaymentMethodObject], {
    nullable: true,
    description:
      "Cards kept on the profile for next time. The account holder, SUPPORT and ADMIN; null with a FORBIDDEN " +
      "error for anyone else.",
  })
  savedPaymentMethods(@Root() user: UserEntity, @Ctx() context: GraphQLContext): Promise<SavedPaymentMethodEntity[]> {
    if (!canSeeSavedCards(context.ctx.actor, user.id)) throw new ForbiddenException();
    return savedPaymentMethodsLoader(context, this.services).load(user.id);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Deletes one of your saved cards. NOT_FOUND if it is not yours." })
  async deleteSavedPaymentMethod(@Arg("id", () => ID) id: string, @Ctx() { ctx }: GraphQLContext): Promise<boolean> {
    const userId = ctx.userId;
    if (!userId) throw new ForbiddenException();
    await this.services.billing.delete(ctx, userId, id);
    return true;
  }
}
