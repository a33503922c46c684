import { createUsersServices, usersJobs, usersModule, type UsersServices } from "@honour/users";
import { createUsersResolvers } from "@honour/users/graphql";
import {
  platformModule,
  type Actor,
  type DomainModuleDefinition,
  type Platform,
  type RequestContext,
} from "@honour/platform";

/**
 * The one list of domain packages the gateway serves. A new domain adds its module definition
 * (entities, migrations), its services and its resolvers here.
 */
export const moduleDefinitions: readonly DomainModuleDefinition[] = [platformModule, usersModule];

export interface AppServices {
  users: UsersServices;
  /** Turns a partner API key (`Authorization: Bearer hpk_…`) into a partner actor, or throws UNAUTHENTICATED. */
  partnerKeys?: { resolveApiKey(ctx: RequestContext, key: string): Promise<Actor> };
}

export function createAppServices(platform: Platform): AppServices {
  return { users: createUsersServices(platform) };
}

/** Resolver instances of every domain, for buildSchema's container. */
export function createAppResolvers(services: AppServices): object[] {
  return [...createUsersResolvers(services.users)];
}

export { usersJobs };
