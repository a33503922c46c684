import type { DomainModuleDefinition, Platform } from "@honour/platform";
import { ArticleEntity } from "./article/article.entity";
import { ArticleService } from "./article/article.service";
import { AuthenticationService } from "./auth/authentication.service";
import { RegistrationService } from "./auth/registration.service";
import { CreateUsers1795629206840 } from "./migrations/1795629206840-create-users.migration";
import { AddProfileRetentionSwitches1795630729110 } from "./migrations/1795630729110-add-profile-retention-switches.migration";
import { AddContactDetails1795631310515 } from "./migrations/1795631310515-add-contact-details.migration";
import { IndexClosedAccounts1795638094858 } from "./migrations/1795638094858-index-closed-accounts.migration";
import { AddSessionDetails1796596226790 } from "./migrations/1796596226790-add-session-details.migration";
import { AddPasswordReset1796597974780 } from "./migrations/1796597974780-add-password-reset.migration";
import { PasswordService, type ScryptParameters } from "./password/password.service";
import { PasswordResetEntity } from "./password-reset/password-reset.entity";
import { PasswordResetService } from "./password-reset/password-reset.service";
import { AccountClosureService } from "./privacy/account-closure.service";
import { AccountPersonalData } from "./privacy/account-personal-data.service";
import { OwnSessionService } from "./session/own-session.service";
import { SessionEntity } from "./session/session.entity";
import { SessionService } from "./session/session.service";
import { SignInAttemptEntity } from "./sign-in/sign-in-attempt.entity";
import { SignInThrottleService } from "./sign-in/sign-in-throttle.service";
import { ProfileService } from "./user/profile.service";
import { StaffAccountService } from "./user/staff-account.service";
import { UserEntity } from "./user/user.entity";
import { UserService } from "./user/user.service";

/** The accounts domain's tables and the migrations that create them on MySQL/MariaDB. */
export const usersModule: DomainModuleDefinition = {
  name: "users",
  entities: [UserEntity, SessionEntity, SignInAttemptEntity, ArticleEntity, PasswordResetEntity],
  migrations: [
    CreateUsers1795629206840,
    AddProfileRetentionSwitches1795630729110,
    AddContactDetails1795631310515,
    IndexClosedAccounts1795638094858,
    AddSessionDetails1796596226790,
    AddPasswordReset1796597974780,
  ],
};

/** The accounts domain's services, as the gateway and the worker use them. */
export interface UsersServices {
  users: UserService;
  sessions: SessionService;
  /** The signed-in person's own sessions: list and revoke (`mySessions`, `revokeSession`). */
  ownSessions: OwnSessionService;
  articles: ArticleService;
  /** The "account" section of data exports and the last erasure of a closure, registered with the platform. */
  personalData: AccountPersonalData;
}

export interface UsersOptions {
  /**
   * scrypt parameters for new password hashes (default {@link DEFAULT_SCRYPT_PARAMETERS}).
   * Hashes keep their own parameters, so raising these upgrades each account at its next sign-in.
   * Tests lower them to run fast.
   */
  passwordHashing?: ScryptParameters;
}

/**
 * Builds the accounts services on a platform. They hold no state beyond their configuration.
 * Registers the accounts domain's personal data contributor ("account") with the platform, so
 * call it once per platform, before the domains that build on users.
 */
export function createUsersServices(platform: Platform, options: UsersOptions = {}): UsersServices {
  const { retention } = platform.config;
  const passwords = new PasswordService(options.passwordHashing);
  const sessions = new SessionService(retention.sessionsDays);
  const throttle = new SignInThrottleService(platform.config.secret);
  const authentication = new AuthenticationService(passwords, throttle, sessions, platform.securityLog);
  const passwordResets = new PasswordResetService(
    platform.config.secret,
    platform.config.publicUrl,
    passwords,
    sessions,
    platform.jobs,
    platform.securityLog,
  );
  const users = new UserService({
    registration: new RegistrationService(passwords, sessions, platform.events),
    authentication,
    profile: new ProfileService(
      passwords,
      authentication,
      sessions,
      platform.events,
      platform.jobs,
      platform.securityLog,
    ),
    passwordResets,
    staff: new StaffAccountService(passwords, sessions, platform.securityLog, platform.audit),
    closure: new AccountClosureService(
      platform.events,
      platform.audit,
      platform.personalData,
      retention.closedAccountsDays,
    ),
  });
  const personalData = platform.personalData.register(new AccountPersonalData(sessions, throttle, passwordResets));
  const ownSessions = new OwnSessionService(sessions, platform.securityLog);
  return { users, sessions, ownSessions, articles: new ArticleService(), personalData };
}
