import { HOUR_MS, MINUTE_MS, type DomainModuleDefinition, type Platform } from "@honour/platform";
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
import { AddTwoFactor1796602945245 } from "./migrations/1796602945245-add-two-factor.migration";
import { AddPasskeys1796605144040 } from "./migrations/1796605144040-add-passkeys.migration";
import { AddSessionSecondFactor1796614729744 } from "./migrations/1796614729744-add-session-second-factor.migration";
import { AddAccountEmail1796602388515 } from "./migrations/1796602388515-add-account-email.migration";
import { EmailChangeEntity } from "./email-change/email-change.entity";
import { EMAIL_CHANGE_PATH, EmailChangeService } from "./email-change/email-change.service";
import { EMAIL_CHANGE_TTL_HOURS, EMAIL_VERIFICATION_TTL_HOURS } from "./email-verification/account-mail";
import { EmailVerificationEntity } from "./email-verification/email-verification.entity";
import { EmailVerificationService, VERIFY_EMAIL_PATH } from "./email-verification/email-verification.service";
import { AccountEmailPersonalData } from "./email-verification/account-email-personal-data.service";
import { PasswordPolicy } from "./password/password-policy";
import { PasswordService, type ScryptParameters } from "./password/password.service";
import { PasswordResetEntity } from "./password-reset/password-reset.entity";
import { PasswordResetService, RESET_PASSWORD_PATH } from "./password-reset/password-reset.service";
import { PASSWORD_RESET_TTL_MINUTES } from "./password/password-mail";
import { SingleUseLinks, type SingleUseLinkColumns } from "./single-use-link/single-use-link";
import { AccountClosureService } from "./privacy/account-closure.service";
import { AccountPersonalData } from "./privacy/account-personal-data.service";
import { OwnSessionService } from "./session/own-session.service";
import { SessionEntity } from "./session/session.entity";
import { SessionService } from "./session/session.service";
import { SignInAttemptEntity } from "./sign-in/sign-in-attempt.entity";
import { SignInThrottle } from "./sign-in/sign-in-throttle.service";
import { RegistrationLimit } from "./sign-in/registration-limit";
import { SignInFailureEntity } from "./sign-in/sign-in-failure.entity";
import { DatabaseThrottleStore, type ThrottleStore } from "./sign-in/throttle-store";
import { RedisThrottleStore } from "./sign-in/redis-throttle-store";
import { MfaChallengeEntity } from "./mfa/mfa-challenge.entity";
import { MfaService } from "./mfa/mfa.service";
import { RecoveryCodeEntity } from "./mfa/recovery-code.entity";
import { TotpEntity } from "./mfa/totp.entity";
import { PasskeyEntity } from "./passkey/passkey.entity";
import { PasskeyService } from "./passkey/passkey.service";
import { WebauthnChallengeEntity } from "./passkey/webauthn-challenge.entity";
import { ProfileService } from "./user/profile.service";
import { StaffAccountService } from "./user/staff-account.service";
import { UserEntity } from "./user/user.entity";
import { UserService } from "./user/user.service";

/** The accounts domain's tables and the migrations that create them on MySQL/MariaDB. */
export const usersModule: DomainModuleDefinition = {
  name: "users",
  entities: [
    UserEntity,
    SessionEntity,
    SignInAttemptEntity,
    ArticleEntity,
    PasswordResetEntity,
    EmailVerificationEntity,
    EmailChangeEntity,
    SignInFailureEntity,
    TotpEntity,
    RecoveryCodeEntity,
    MfaChallengeEntity,
    PasskeyEntity,
    WebauthnChallengeEntity,
  ],
  migrations: [
    CreateUsers1795629206840,
    AddProfileRetentionSwitches1795630729110,
    AddContactDetails1795631310515,
    IndexClosedAccounts1795638094858,
    AddSessionDetails1796596226790,
    AddPasswordReset1796597974780,
    AddAccountEmail1796602388515,
    AddTwoFactor1796602945245,
    AddPasskeys1796605144040,
    AddSessionSecondFactor1796614729744,
  ],
};

/** The accounts domain's services, as the gateway and the worker use them. */
export interface UsersServices {
  users: UserService;
  sessions: SessionService;
  /** The signed-in person's own sessions: list and revoke (`mySessions`, `revokeSession`). */
  ownSessions: OwnSessionService;
  articles: ArticleService;
  /** Two-factor: TOTP enrolment, recovery codes, the challenges of `MFA_REQUIRED`. */
  mfa: MfaService;
  /** Passkeys (WebAuthn): registration, sign-in, listing and removal. */
  passkeys: PasskeyService;
  /** The "account" section of data exports and the last erasure of a closure, registered with the platform. */
  personalData: AccountPersonalData;
  /** Email verification (double opt-in): verifyEmail, resendEmailVerification. */
  emailVerifications: EmailVerificationService;
  /** Email change confirmed through a link to the new address: requestEmailChange, confirmEmailChange. */
  emailChanges: EmailChangeService;
}

export interface UsersOptions {
  /**
   * scrypt parameters for new password hashes (default {@link DEFAULT_SCRYPT_PARAMETERS}).
   * Hashes keep their own parameters, so raising these upgrades each account at its next sign-in.
   * Tests lower them to run fast.
   */
  passwordHashing?: ScryptParameters;
  /** Replaces `PWNED_PASSWORDS_URL` of the configuration (the Have I Been Pwned range API; off when unset). */
  pwnedPasswordsUrl?: string | null;
  /**
   * Where the sign-in throttle keeps its counters (default: the database, which every gateway
   * shares); in Redis when `REDIS_URL` is set ({@link RedisThrottleStore}).
   */
  throttleStore?: ThrottleStore;
}

/**
 * Builds the accounts services on a platform. They hold no state beyond their configuration.
 * Registers the accounts domain's personal data contributor ("account") with the platform, so
 * call it once per platform, before the domains that build on users.
 */
export function createUsersServices(platform: Platform, options: UsersOptions = {}): UsersServices {
  const { retention } = platform.config;
  const passwords = new PasswordService(options.passwordHashing);
  const passwordPolicy = new PasswordPolicy({
    pwnedPasswordsUrl: options.pwnedPasswordsUrl ?? platform.config.accounts.pwnedPasswordsUrl,
    logger: platform.logger,
  });
  /** The single-use links mailed to accounts: their table, HMAC label, life and page. */
  const links = <T extends SingleUseLinkColumns>(entity: new () => T, label: string, ttlMs: number, path: string) =>
    new SingleUseLinks(entity, platform.config.secret, label, ttlMs, `${platform.config.publicUrl}${path}`);
  const emailVerifications = new EmailVerificationService(
    platform.config.secret,
    links(
      EmailVerificationEntity,
      "users.email-verification",
      EMAIL_VERIFICATION_TTL_HOURS * HOUR_MS,
      VERIFY_EMAIL_PATH,
    ),
    platform.jobs,
    platform.events,
    platform.securityLog,
  );
  const sessions = new SessionService(retention.sessionsDays);
  const throttle = new SignInThrottle(
    platform.config.secret,
    options.throttleStore ?? (platform.redis ? new RedisThrottleStore(platform.redis) : new DatabaseThrottleStore()),
    platform.securityLog,
  );
  const mfa = new MfaService(
    platform.config.secret,
    platform.config.accounts.webauthn.rpName,
    throttle,
    platform.securityLog,
    platform.config.accounts.staffMfaRequired,
  );
  const passkeys = new PasskeyService(platform.config.accounts.webauthn, platform.securityLog);
  const authentication = new AuthenticationService(passwords, throttle, sessions, mfa, passkeys, platform.securityLog);
  const passwordResets = new PasswordResetService(
    platform.config.secret,
    links(PasswordResetEntity, "users.password-reset", PASSWORD_RESET_TTL_MINUTES * MINUTE_MS, RESET_PASSWORD_PATH),
    passwords,
    sessions,
    platform.jobs,
    platform.securityLog,
    passwordPolicy,
    mfa,
  );
  const users = new UserService({
    registration: new RegistrationService(passwords, sessions, platform.events, emailVerifications, passwordPolicy),
    authentication,
    profile: new ProfileService(
      passwords,
      authentication,
      sessions,
      platform.events,
      platform.jobs,
      platform.securityLog,
      passwordPolicy,
    ),
    passwordResets,
    registrationLimit: new RegistrationLimit(
      platform.config.secret,
      platform.config.accounts.registrationsPerIpPerHour,
    ),
    staff: new StaffAccountService(passwords, sessions, platform.securityLog, platform.audit),
    closure: new AccountClosureService(
      platform.events,
      platform.audit,
      platform.personalData,
      retention.closedAccountsDays,
      platform.jobs,
    ),
  });
  const personalData = platform.personalData.register(
    new AccountPersonalData(sessions, throttle, passwordResets, mfa, passkeys),
  );
  const emailChanges = new EmailChangeService(
    platform.config.secret,
    links(EmailChangeEntity, "users.email-change", EMAIL_CHANGE_TTL_HOURS * HOUR_MS, EMAIL_CHANGE_PATH),
    authentication,
    emailVerifications,
    platform.jobs,
    platform.events,
    platform.securityLog,
  );
  platform.personalData.register(new AccountEmailPersonalData(emailVerifications, emailChanges));
  const ownSessions = new OwnSessionService(sessions, platform.securityLog);
  return {
    users,
    sessions,
    ownSessions,
    articles: new ArticleService(),
    mfa,
    passkeys,
    personalData,
    emailVerifications,
    emailChanges,
  };
}
