import { createUsersServices, usersJobs, usersModule, type UsersServices } from "@honour/users";
import { createUsersResolvers } from "@honour/users/graphql";
import { platformModule, type DomainModuleDefinition, type Platform } from "@honour/platform";

/**
 * The one list of domain packages the gateway serves. A new domain adds its module definition
 * (entities, migrations), its services and its resolvers here.
 */
export const moduleDefinitions: readonly DomainModuleDefinition[] = [platformModule, usersModule];

export interface AppServices {
  users: UsersServices;
}

export function createAppServices(platform: Platform): AppServices {
  return { users: createUsersServices(platform) };
}

/** Resolver instances of every domain, for buildSchema's container. */
export function createAppResolvers(services: AppServices): object[] {
  return [...createUsersResolvers(services.users)];
}

export { usersJobs };
