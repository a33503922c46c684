import type { AuthCheckerFn } from "type-graphql";
import { ForbiddenException, PARTNER_ROLE, UnauthenticatedException } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";

/**
 * Who may call an operation, from its `@Authorized` roles:
 * - `@Authorized()` admits any signed-in user (not partners: their keys are for fulfilment only);
 * - `@Authorized([roles])` admits users with one of the roles, and partners when `PARTNER` is one.
 * Throws instead of returning false so the client gets our codes: UNAUTHENTICATED when nobody
 * is signed in, FORBIDDEN when the caller is known but not allowed.
 */
export const authChecker: AuthCheckerFn<GraphQLContext> = ({ context }, roles) => {
  const actor = context.ctx.actor;
  switch (actor.kind) {
    case "user":
      if (roles.length > 0 && !roles.includes(actor.role)) throw new ForbiddenException();
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
