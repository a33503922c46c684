import "reflect-metadata";
import { ArticleResolver } from "./article/article.resolver";
import { AuthResolver } from "./auth/auth.resolver";
import { UserResolver } from "./user/user.resolver";
import type { UsersServices } from "./users.module";

// The accounts domain's GraphQL types and resolvers, for the gateway's buildSchema.
// Importing this module registers the Role enum with type-graphql (in user.object.ts).

export { ArticleResolver, AuthResolver, UserResolver };
export { userLoader } from "./user/user.resolver";
export { ArticleObject, ArticleConnection } from "./article/article.object";
export { CreateArticleInput, UpdateArticleInput } from "./article/article.input";
export { UpdateArticleArgs } from "./article/article.args";
export { AuthPayload } from "./auth/auth.object";
export { CommunicationChoiceInput, LoginInput, RegisterInput } from "./auth/auth.input";
export { PostalAddressObject, UserObject, UserConnection } from "./user/user.object";
export { ChangePasswordInput, PostalAddressInput, UpdateProfileInput, UpdateUserInput } from "./user/user.input";
export { SetUserRoleArgs, UpdateUserArgs, UserArgs, UsersArgs } from "./user/user.args";

/**
 * The accounts domain's resolver instances. Pass their classes to `buildSchema({ resolvers })`
 * with a container that returns these instances.
 */
export function createUsersResolvers(services: UsersServices): object[] {
  return [new AuthResolver(services), new UserResolver(services), new ArticleResolver(services)];
}
