import type { GraphQLContext } from "@honour/platform/graphql";
import { Arg, Authorized, Ctx, Mutation, Resolver } from "type-graphql";
import type { UserEntity } from "../user/user.entity";
import { UserObject } from "../user/user.object";
import type { UsersServices } from "../users.module";
import { EmailChangeInput } from "./email-change.input";

/** Changing one's email address: asked for signed in, confirmed from the new mailbox. */
@Resolver()
export class EmailChangeResolver {
  constructor(private readonly services: UsersServices) {}

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      "Mails a confirmation link (valid 24 hours, once) to newEmail and a notice to your current address, which " +
      "stays until the link is used. A wrong currentPassword: BAD_USER_INPUT on input.currentPassword (throttled " +
      "like sign-in). Always true otherwise; whether another account has the address is said only on confirming.",
  })
  async requestEmailChange(
    // Checked by the service, which reports every invalid field at once.
    @Arg("input", () => EmailChangeInput, { validate: false }) input: EmailChangeInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<boolean> {
    // No transaction: a wrong password must stay counted although the call fails.
    await this.services.emailChanges.request(ctx, input);
    return true;
  }

  @Mutation(() => UserObject, {
    description:
      "Switches the account to the address of an email change link and verifies it; both addresses get a notice. " +
      "Public: the token is the proof. A dead token: BAD_USER_INPUT on token (reason INVALID_EMAIL_CHANGE_TOKEN); " +
      "the address taken by another account since: CONFLICT (reason EMAIL_TAKEN).",
  })
  confirmEmailChange(@Arg("token", () => String) token: string, @Ctx() { ctx }: GraphQLContext): Promise<UserEntity> {
    // The service opens its own transaction.
    return this.services.emailChanges.confirm(ctx, token);
  }
}
