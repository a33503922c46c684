import "reflect-metadata";
import { ArticleResolver } from "./article/article.resolver";
import { AuthResolver } from "./auth/auth.resolver";
import { MfaResolver } from "./mfa/mfa.resolver";
import { PasskeyResolver } from "./passkey/passkey.resolver";
import { EmailChangeResolver } from "./email-change/email-change.resolver";
import { EmailVerificationResolver } from "./email-verification/email-verification.resolver";
import { SessionResolver } from "./session/session.resolver";
import { UserResolver } from "./user/user.resolver";
import type { UsersServices } from "./users.module";

// The accounts domain's GraphQL types and resolvers, for the gateway's buildSchema.
// Importing this module registers the Role enum with type-graphql (in user.object.ts).

export { userLoader } from "./user/user.resolver";
export { secondFactorLoader } from "./mfa/mfa.resolver";
export { PostalAddressObject, UserObject } from "./user/user.object";

/**
 * The accounts domain's resolver instances. Pass their classes to `buildSchema({ resolvers })`
 * with a container that returns these instances.
 */
export function createUsersResolvers(services: UsersServices): object[] {
  return [
    new AuthResolver(services),
    new UserResolver(services),
    new SessionResolver(services),
    new MfaResolver(services),
    new PasskeyResolver(services),
    new ArticleResolver(services),
    new EmailVerificationResolver(services),
    new EmailChangeResolver(services),
  ];
}
