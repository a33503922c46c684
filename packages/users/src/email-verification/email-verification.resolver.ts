import type { GraphQLContext } from "@honour/platform/graphql";
import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import type { UserEntity } from "../user/user.entity";
import { UserObject } from "../user/user.object";
import type { UsersServices } from "../users.module";

/** Proving that an account's address is its holder's (double opt-in). */
@Resolver(() => UserObject)
export class EmailVerificationResolver {
  constructor(private readonly services: UsersServices) {}

  @FieldResolver(() => Boolean, {
    description:
      "Whether the holder proved the address is theirs (the link of the welcome mail, or of an email change). " +
      "Until then the communications chosen at registration wait.",
  })
  emailVerified(@Root() user: UserEntity): boolean {
    return user.emailVerifiedAt !== null && user.emailVerifiedAt !== undefined;
  }

  @Mutation(() => UserObject, {
    description:
      "Verifies the account's address with the token of a verification link (valid 24 hours, once; a newer link " +
      "or a change of address ends it). Public: the token is the proof. A dead token: BAD_USER_INPUT on token " +
      "(reason INVALID_VERIFICATION_TOKEN).",
  })
  verifyEmail(@Arg("token", () => String) token: string, @Ctx() { ctx }: GraphQLContext): Promise<UserEntity> {
    // The service opens its own transaction.
    return this.services.emailVerifications.verify(ctx, token);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      "Mails a new verification link to your address (older links stop working); false when it is verified " +
      "already. Throttled: RATE_LIMITED with retryAfterSeconds.",
  })
  resendEmailVerification(@Ctx() { ctx }: GraphQLContext): Promise<boolean> {
    // No transaction: the throttle's record must survive a refusal.
    return this.services.emailVerifications.resend(ctx);
  }
}
