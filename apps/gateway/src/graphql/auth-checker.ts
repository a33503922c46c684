import type { AuthChecker } from "type-graphql";
import { ForbiddenException, UnauthenticatedException } from "@honour/platform";
import type { GraphQLContext } from "@honour/platform/graphql";

/**
 * `@Authorized()` admits any signed-in user; `@Authorized([roles])` admits users with one of the
 * roles. Throws instead of returning false so the client gets our codes: UNAUTHENTICATED when
 * nobody is signed in, FORBIDDEN when the role does not allow it.
 */
export const authChecker: AuthChecker<GraphQLContext> = ({ context }, roles) => {
  const actor = context.ctx.actor;
  if (actor.kind !== "user") throw new UnauthenticatedException();
  if (roles.length > 0 && !roles.includes(actor.role)) throw new ForbiddenException();
  return true;
};
