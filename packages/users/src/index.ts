import "reflect-metadata";

// The accounts domain's front door: exactly what other packages and apps use, plus the error
// codes (see README.md for who uses each name). GraphQL types and resolvers live behind
// "@honour/users/graphql". Anything else in src/ is internal: ask before exporting it.

// Composition: the tables and migrations, the services, the jobs.
export { usersModule, createUsersServices, type UsersServices, type UsersOptions } from "./users.module";
export { usersJobs, USERS_JOBS } from "./users.job";
export { seedDemoData } from "./demo/demo-data";

// What other domains call and reference.
export { UserService } from "./user/user.service";
export { type RegistrationDetails } from "./user/account-details";
export { normaliseEmail, normalisePhoneNumber } from "./user/normalise";
export { UserEntity, type PostalAddress } from "./user/user.entity";
export { SessionEntity } from "./session/session.entity";
export { SESSION_COOKIE } from "./session/session.service";
// Where the account mails' links lead: the gateway serves these pages.
export { VERIFY_EMAIL_PATH } from "./email-verification/email-verification.service";
export { EMAIL_CHANGE_PATH } from "./email-change/email-change.service";
export { SignInAttemptEntity } from "./sign-in/sign-in-attempt.entity";
export { countRequest } from "./password/request-throttle";
export { ArticleEntity } from "./article/article.entity";
// The roles accounts carry are defined in platform (the request context needs them); re-exported
// here so that callers of this package find them at its front door.
export { Role } from "@honour/platform";

// Errors: every accounts failure is a UsersException whose reason is a UsersErrorCode.
export { UsersErrorCode, UsersException } from "./users.exception";
