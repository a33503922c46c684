import type { GraphQLContext } from "@honour/platform/graphql";
import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { SESSION_COOKIE } from "../session/session.service";
import type { SignedIn } from "./authentication.service";
import type { UsersServices } from "../users.module";
import { CompleteLoginInput, RegisterInput, LoginInput, ResetPasswordInput } from "./auth.input";
import { AuthPayload } from "./auth.object";

/** Signing up, in and out. All public: they are how one becomes (or stops being) signed in. */
@Resolver()
export class AuthResolver {
  constructor(private readonly services: UsersServices) {}

  @Mutation(() => AuthPayload, { description: "Creates a customer account and signs it in (sets the session cookie)." })
  async register(
    // Checked by the service, which reports every invalid field at once (see auth.input.ts).
    @Arg("input", () => RegisterInput, { validate: false }) input: RegisterInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AuthPayload> {
    // The service registers and starts the session in one transaction.
    const signedIn = await this.services.users.signUp(context.ctx, input, context.http.userAgent);
    return startSession(context, signedIn);
  }

  @Mutation(() => AuthPayload, {
    description:
      "Signs in (sets the session cookie). With two-factor on: MFA_REQUIRED with `extensions.challenge`, then " +
      "completeLogin. Throttled per account and per client with growing delays (RATE_LIMITED with retryAfterSeconds).",
  })
  async login(
    // Checked by the service, which trims the email first (see auth.input.ts).
    @Arg("input", () => LoginInput, { validate: false }) input: LoginInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AuthPayload> {
    // No transaction: a failed attempt must stay recorded although the call fails.
    const signedIn = await this.services.users.signIn(context.ctx, input.email, input.password, context.http.userAgent);
    return startSession(context, signedIn, input.bearerToken);
  }

  @Mutation(() => AuthPayload, {
    description:
      "Finishes a sign-in that answered MFA_REQUIRED: the challenge and a TOTP or recovery code (sets the session " +
      "cookie). A wrong code: BAD_USER_INPUT on input.code (reason INVALID_MFA_CODE), throttled like passwords; an " +
      "expired or used challenge: UNAUTHENTICATED (reason INVALID_MFA_CHALLENGE).",
  })
  async completeLogin(
    @Arg("input", () => CompleteLoginInput) input: CompleteLoginInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AuthPayload> {
    // No transaction: a wrong code must stay counted although the call fails.
    const signedIn = await this.services.users.completeLogin(
      context.ctx,
      input.challenge,
      input.code,
      context.http.userAgent,
    );
    return startSession(context, signedIn, input.bearerToken);
  }

  @Mutation(() => Boolean, {
    description:
      "Mails a password reset link (valid 30 minutes, once) if an open account has this address. Always true, " +
      "whether or not it has one. Throttled per address and per client (RATE_LIMITED with retryAfterSeconds).",
  })
  async requestPasswordReset(
    @Arg("email", () => String) email: string,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<boolean> {
    // No transaction: the throttle's record must survive a refusal.
    await this.services.users.requestPasswordReset(ctx, email);
    return true;
  }

  @Mutation(() => AuthPayload, {
    description:
      "Sets a new password with a reset link's token, signs out every session of the account and signs in this " +
      "one (sets the session cookie). A token that is unknown, used, expired or superseded: BAD_USER_INPUT on " +
      "input.token (reason INVALID_RESET_TOKEN).",
  })
  async resetPassword(
    // Checked by the service, which reports every invalid field at once.
    @Arg("input", () => ResetPasswordInput, { validate: false }) input: ResetPasswordInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AuthPayload> {
    const signedIn = await this.services.users.resetPassword(context.ctx, input, context.http.userAgent);
    return startSession(context, signedIn);
  }

  @Mutation(() => Boolean, { description: "Ends the current session and clears the cookie. Always true." })
  async logout(@Ctx() { ctx, http }: GraphQLContext): Promise<boolean> {
    await this.services.sessions.revokeCurrent(ctx);
    // Cleared even without a live session: a stale cookie is no use to anyone.
    http.clearCookie(SESSION_COOKIE);
    return true;
  }
}

/** Hands the new session to the client: as the cookie, or (asked for) as a bearer token in the answer. */
function startSession(
  { http }: GraphQLContext,
  { user, session }: SignedIn,
  bearerToken?: boolean | null,
): AuthPayload {
  if (bearerToken) return { user, token: session.token };
  http.setCookie(SESSION_COOKIE, session.token, { expires: session.expiresAt });
  return { user };
}
