import { ForbiddenException, UnauthenticatedException, type RequestContext, type Role } from "@honour/platform";

/**
 * The services' own check of who reads (the resolvers check first): only users with one of
 * `roles`, or the system itself. UNAUTHENTICATED for nobody, FORBIDDEN for anyone else.
 */
export function requireRole(ctx: RequestContext, roles: readonly Role[]): void {
  const actor = ctx.actor;
  if (actor.kind === "system") return;
  if (actor.kind === "anonymous") throw new UnauthenticatedException();
  if (actor.kind !== "user" || !roles.includes(actor.role)) throw new ForbiddenException();
}
