import type { AuthCheckerFn } from "type-graphql";
import {
  DomainException,
  ErrorCode,
  ForbiddenException,
  PARTNER_ROLE,
  Role,
  UnauthenticatedException,
} from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";
import type { UsersServices } from "@honour/users";
import { secondFactorLoader } from "@honour/users/graphql";

/**
 * Who may call an operation, from its `@Authorized` roles:
 * - `@Authorized()` admits any signed-in user (not partners: their keys are for fulfilment only);
 * - `@Authorized([roles])` admits users with one of the roles, and partners when `PARTNER` is one.
 * Throws instead of returning false so the client gets our codes: UNAUTHENTICATED when nobody
 * is signed in, FORBIDDEN when the caller is known but not allowed.
 *
 * With `STAFF_MFA=required` (`users.mfa.staffMfaRequired`), a staff account without two-factor
 * gets `MFA_ENROLMENT_REQUIRED` from every staff operation (one that lists roles); what any
 * signed-in user may do, turning two-factor on among it, stays open to it.
 */
export function createAuthChecker(users?: Pick<UsersServices, "mfa">): AuthCheckerFn<GraphQLContext> {
  const staffMfaRequired = users?.mfa?.staffMfaRequired ?? false;
  return ({ context }, roles) => {
    const actor = context.ctx.actor;
    switch (actor.kind) {
      case "user":
        if (roles.length > 0 && !roles.includes(actor.role)) throw new ForbiddenException();
        if (roles.length > 0 && staffMfaRequired && actor.role !== Role.CUSTOMER) {
          return requireSecondFactor(context, users as UsersServices, actor.userId);
        }
        return true;
      case "partner":
        if (!roles.includes(PARTNER_ROLE)) throw new ForbiddenException();
        return true;
      case "anonymous":
        throw new UnauthenticatedException();
      case "system":
        throw new ForbiddenException("System actors do not call the API.");
      default: {
        const unreachable: never = actor;
        throw new Error(`unknown actor ${JSON.stringify(unreachable)}`);
      }
    }
  };
}

/** The checks without `STAFF_MFA` (the schema's emission and the tests of roles). */
export const authChecker: AuthCheckerFn<GraphQLContext> = createAuthChecker();

async function requireSecondFactor(context: GraphQLContext, users: UsersServices, userId: string): Promise<true> {
  if (await secondFactorLoader(context, users).load(userId)) return true;
  throw new DomainException(
    ErrorCode.MFA_ENROLMENT_REQUIRED,
    "Staff accounts need two-factor authentication: turn it on (startTotpEnrolment, confirmTotpEnrolment), or sign in with a passkey, first.",
  );
}
