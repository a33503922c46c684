import { requestLoader, type GraphQLContext } from "@honour/platform/graphql";
import type DataLoader from "dataloader";
import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import { UserObject } from "../user/user.object";
import type { UsersServices } from "../users.module";
import type { TotpEnrolment } from "./mfa.service";
import { DisableTotpInput } from "./mfa.input";
import { TotpEnrolmentObject } from "./mfa.object";

/** Whether accounts have TOTP two-factor on, one query per request (`User.totpEnabled`). */
function totpEnabledLoader(context: GraphQLContext, services: UsersServices): DataLoader<string, boolean> {
  return requestLoader(context, "users.totpEnabled", async (ids: readonly string[]) => {
    const enabled = await services.mfa.enabledAmong(context.ctx, ids);
    return ids.map((id) => enabled.has(id));
  });
}

/**
 * Whether accounts have shown a second factor, for the gateway's check of staff operations under
 * `STAFF_MFA=required`: TOTP is on (every sign-in asks for it), or, for the signed-in person, this
 * request's session was started with one (a passkey with user verification: a staff account with
 * a passkey need not enrol TOTP, but a password alone does not do staff work).
 */
export function secondFactorLoader(context: GraphQLContext, services: UsersServices): DataLoader<string, boolean> {
  return requestLoader(context, "users.secondFactor", async (ids: readonly string[]) => {
    const enabled = await services.mfa.enabledAmong(context.ctx, ids);
    const actor = context.ctx.actor;
    if (actor.kind === "user" && ids.includes(actor.userId) && !enabled.has(actor.userId)) {
      if (await services.sessions.startedWithSecondFactor(context.ctx, actor.sessionId)) enabled.add(actor.userId);
    }
    return ids.map((id) => enabled.has(id));
  });
}

/** Two-factor authentication of the signed-in person: turning TOTP on and off. */
@Resolver(() => UserObject)
export class MfaResolver {
  constructor(private readonly services: UsersServices) {}

  @FieldResolver(() => Boolean, { description: "Two-factor authentication (TOTP) is on." })
  totpEnabled(@Root() user: UserObject, @Ctx() context: GraphQLContext): Promise<boolean> {
    return totpEnabledLoader(context, this.services).load(user.id);
  }

  @Authorized()
  @Mutation(() => TotpEnrolmentObject, {
    description:
      "Starts turning two-factor on: a new authenticator secret (replacing one not yet confirmed). CONFLICT " +
      "(reason TOTP_ALREADY_ENABLED) when it is on.",
  })
  startTotpEnrolment(@Ctx() { ctx }: GraphQLContext): Promise<TotpEnrolment> {
    return this.services.mfa.startEnrolment(ctx);
  }

  @Authorized()
  @Mutation(() => [String], {
    description:
      "Turns two-factor on with the new authenticator's first code and returns 10 single-use recovery codes, " +
      "shown this once. A wrong code: BAD_USER_INPUT on code (reason INVALID_MFA_CODE), throttled.",
  })
  confirmTotpEnrolment(@Arg("code", () => String) code: string, @Ctx() { ctx }: GraphQLContext): Promise<string[]> {
    // No transaction: a wrong code must stay counted although the call fails.
    return this.services.mfa.confirmEnrolment(ctx, code);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description:
      "Turns two-factor off, with your password and a code (TOTP or recovery); deletes the secret and the " +
      "recovery codes. BAD_USER_INPUT on input.currentPassword or input.code when wrong (throttled).",
  })
  async disableTotp(
    @Arg("input", () => DisableTotpInput) input: DisableTotpInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<boolean> {
    await this.services.users.disableTotp(ctx, input);
    return true;
  }
}
