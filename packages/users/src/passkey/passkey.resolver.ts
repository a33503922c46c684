import type { GraphQLContext } from "@honour/platform/graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import { AuthPayload } from "../auth/auth.object";
import { SESSION_COOKIE } from "../session/session.service";
import type { UsersServices } from "../users.module";
import { FinishPasskeyLoginInput, FinishPasskeyRegistrationInput } from "./passkey.input";
import { PasskeyObject } from "./passkey.object";
import type { PasskeyRecord } from "./passkey.service";

/** Passkeys: registering them (signed in), signing in with them (public), listing and removing one's own. */
@Resolver(() => PasskeyObject)
export class PasskeyResolver {
  constructor(private readonly services: UsersServices) {}

  @Authorized()
  @Query(() => [PasskeyObject], { description: "Your passkeys, newest first." })
  myPasskeys(@Ctx() { ctx }: GraphQLContext): Promise<PasskeyRecord[]> {
    return this.services.passkeys.listFor(ctx, ctx.userId!);
  }

  @Authorized()
  @Mutation(() => GraphQLJSONObject, {
    description:
      "Options for `navigator.credentials.create` (PublicKeyCredentialCreationOptionsJSON; " +
      "`PublicKeyCredential.parseCreationOptionsFromJSON` reads them). Valid 5 minutes, once.",
  })
  startPasskeyRegistration(@Ctx() { ctx }: GraphQLContext): Promise<object> {
    return this.services.passkeys.startRegistration(ctx);
  }

  @Authorized()
  @Mutation(() => PasskeyObject, {
    description:
      "Registers the new passkey. BAD_USER_INPUT (reason INVALID_PASSKEY) when the answer does not verify or " +
      "its challenge is unknown, used or expired.",
  })
  finishPasskeyRegistration(
    @Arg("input", () => FinishPasskeyRegistrationInput) input: FinishPasskeyRegistrationInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<PasskeyRecord> {
    return this.services.passkeys.finishRegistration(ctx, input.response, input.name);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Removes one of your passkeys. NOT_FOUND for an id that is not yours." })
  async removePasskey(@Arg("id", () => ID) id: string, @Ctx() { ctx }: GraphQLContext): Promise<boolean> {
    await this.services.passkeys.remove(ctx, id);
    return true;
  }

  @Mutation(() => GraphQLJSONObject, {
    description:
      "Options for `navigator.credentials.get` to sign in with any passkey of this site " +
      "(PublicKeyCredentialRequestOptionsJSON). Valid 5 minutes, once. Public.",
  })
  startPasskeyLogin(@Ctx() { ctx }: GraphQLContext): Promise<object> {
    return this.services.passkeys.startSignIn(ctx);
  }

  @Mutation(() => AuthPayload, {
    description:
      "Signs in with a passkey (sets the session cookie); the passkey's user verification stands for the " +
      "second factor. UNAUTHENTICATED (reason INVALID_PASSKEY_SIGN_IN) when it does not verify.",
  })
  async finishPasskeyLogin(
    @Arg("input", () => FinishPasskeyLoginInput) input: FinishPasskeyLoginInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AuthPayload> {
    const { user, session } = await this.services.users.signInWithPasskey(
      context.ctx,
      input.response,
      context.http.userAgent,
    );
    context.http.setCookie(SESSION_COOKIE, session.token, { expires: session.expiresAt });
    return { user };
  }
}
