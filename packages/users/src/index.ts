import "reflect-metadata";

// The accounts domain's front door: entities, services, DTO types, jobs and the module.
// GraphQL types and resolvers live behind "@honour/users/graphql".

export { usersModule, createUsersServices, type UsersServices, type UsersOptions } from "./users.module";
// The roles accounts carry are defined in platform (the request context needs them); re-exported
// here so that callers of this package find them at its front door.
export { Role } from "@honour/platform";
export { usersJobs, USERS_JOBS } from "./users.job";
export {
  AccountClosedException,
  EmailTakenException,
  InvalidCredentialsException,
  SlugTakenException,
  UsersErrorCode,
  UsersException,
} from "./users.exception";
export { AccountPersonalData, ACCOUNT_PERSONAL_DATA, closedAccountEmail } from "./privacy/account-personal-data";

export { UserEntity, USER_LIMITS, type PostalAddress } from "./user/user.entity";
export { UserService } from "./user/user.service";
export { normaliseEmail, normalisePhoneNumber } from "./user/normalise";
export {
  type AccountCorrections,
  type PasswordChange,
  type PostalAddressChange,
  type ProfileChanges,
  type RegistrationDetails,
  type UserSearchArgs,
} from "./user/account-details";
export { USER_SEARCH_MAX_LENGTH, type EnsureAdminOutcome } from "./user/staff-account.service";
export { type SignedIn } from "./auth/authentication.service";

export {
  PasswordService,
  passwordRuleViolation,
  DEFAULT_SCRYPT_PARAMETERS,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  UNUSABLE_PASSWORD_HASH,
  type ScryptParameters,
} from "./password/password.service";

export { SessionEntity } from "./session/session.entity";
export {
  SessionService,
  SESSION_COOKIE,
  SESSION_RENEWAL_INTERVAL_MS,
  type NewSession,
  type ResolvedSession,
  type SessionRecord,
} from "./session/session.service";

export { SignInAttemptEntity } from "./sign-in/sign-in-attempt.entity";
export { SIGN_IN_MAX_FAILURES, SIGN_IN_WINDOW_MS } from "./sign-in/sign-in-throttle.service";

export { ArticleEntity, ARTICLE_LIMITS } from "./article/article.entity";
export {
  ArticleService,
  canReadPremium,
  SLUG_PATTERN,
  type ArticleChanges,
  type ArticleDraft,
  type ArticleView,
} from "./article/article.service";

export { seedDemoData, DEMO_ACCOUNTS, DEMO_ARTICLES, DEMO_PASSWORD, type DemoCredentials } from "./demo/demo-data";
