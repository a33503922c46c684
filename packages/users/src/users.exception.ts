import { DomainException, ErrorCode, type FieldError } from "@honour/platform";

/**
 * The accounts domain's own failure reasons, each mapped to one of platform's error codes.
 * Invalid input is platform's `ValidationException` (`BAD_USER_INPUT` listing every field), and a
 * call that needs a signed-in user without one is platform's `UnauthenticatedException`, as
 * `@Authorized` answers: neither is a rule of this domain.
 */
export enum UsersErrorCode {
  /** Sign-in: unknown email, wrong password or closed account (one answer for all three). */
  INVALID_CREDENTIALS = "INVALID_CREDENTIALS",
  /** A password check before something irreversible (closing the account) failed. */
  WRONG_PASSWORD = "WRONG_PASSWORD",
  /** Too many failed password or code checks for the account or from the client: wait `retryAfterSeconds`. */
  SIGN_IN_THROTTLED = "SIGN_IN_THROTTLED",
  /** Another account already uses the email address. */
  EMAIL_TAKEN = "EMAIL_TAKEN",
  /** The account is closed: its data was erased. */
  ACCOUNT_CLOSED = "ACCOUNT_CLOSED",
  /** Closing it would leave no open ADMIN account. */
  LAST_ADMIN = "LAST_ADMIN",
  /** No account with this id. */
  USER_NOT_FOUND = "USER_NOT_FOUND",
  /** Staff correct other people's accounts; one's own goes through updateProfile. */
  OWN_ACCOUNT = "OWN_ACCOUNT",
  /** Nobody changes their own role. */
  OWN_ROLE = "OWN_ROLE",
  /** Only an administrator corrects a staff account. */
  STAFF_ACCOUNT = "STAFF_ACCOUNT",
  /** Another article already uses the slug. */
  SLUG_TAKEN = "SLUG_TAKEN",
  /** No article with this id. */
  ARTICLE_NOT_FOUND = "ARTICLE_NOT_FOUND",
  /** None of the signed-in person's sessions has this id (another person's answers the same). */
  SESSION_NOT_FOUND = "SESSION_NOT_FOUND",
  /** A password reset link's token is unknown, used, expired or superseded (one answer for all four). */
  INVALID_RESET_TOKEN = "INVALID_RESET_TOKEN",
  /** Too many password reset requests for the address or from the client's IP within the window. */
  PASSWORD_RESET_THROTTLED = "PASSWORD_RESET_THROTTLED",
  /** An email verification link's token is unknown, used, expired or superseded (one answer for all four). */
  INVALID_VERIFICATION_TOKEN = "INVALID_VERIFICATION_TOKEN",
  /** Too many verification mails asked for within the window. */
  EMAIL_VERIFICATION_THROTTLED = "EMAIL_VERIFICATION_THROTTLED",
  /** An email change link's token is unknown, used, expired or superseded (one answer for all four). */
  INVALID_EMAIL_CHANGE_TOKEN = "INVALID_EMAIL_CHANGE_TOKEN",
  /** Too many email changes asked for within the window. */
  EMAIL_CHANGE_THROTTLED = "EMAIL_CHANGE_THROTTLED",
  /** updateProfile no longer switches the address: requestEmailChange mails a link to confirm it. */
  EMAIL_CHANGE_NEEDS_CONFIRMATION = "EMAIL_CHANGE_NEEDS_CONFIRMATION",
  /** The new password is among the most common (or found in breaches); `hint` says what works. */
  PASSWORD_TOO_COMMON = "PASSWORD_TOO_COMMON",
  /** The password was right and the account has two-factor on: `completeLogin` with `extensions.challenge`. */
  MFA_REQUIRED = "MFA_REQUIRED",
  /** A two-factor code (TOTP or recovery code) is wrong, used already or replayed. */
  INVALID_MFA_CODE = "INVALID_MFA_CODE",
  /** The challenge of `MFA_REQUIRED` is unknown, used or expired: sign in again. */
  INVALID_MFA_CHALLENGE = "INVALID_MFA_CHALLENGE",
  /** Two-factor is on already: turn it off before enrolling another authenticator. */
  TOTP_ALREADY_ENABLED = "TOTP_ALREADY_ENABLED",
  /** `confirmTotpEnrolment` without `startTotpEnrolment` first. */
  TOTP_NOT_ENROLLING = "TOTP_NOT_ENROLLING",
  /** `disableTotp` while two-factor is off. */
  TOTP_NOT_ENABLED = "TOTP_NOT_ENABLED",
  /** Too many registrations from the client's IP within the hour. */
  REGISTRATION_THROTTLED = "REGISTRATION_THROTTLED",
  /** A passkey's registration answer does not verify, or its challenge is unknown, used or expired. */
  INVALID_PASSKEY = "INVALID_PASSKEY",
  /** A passkey sign-in does not verify (unknown passkey, used or expired challenge, wrong origin). */
  INVALID_PASSKEY_SIGN_IN = "INVALID_PASSKEY_SIGN_IN",
  /** None of the signed-in person's passkeys has this id. */
  PASSKEY_NOT_FOUND = "PASSKEY_NOT_FOUND",
}

const PLATFORM_CODES: Record<UsersErrorCode, ErrorCode> = {
  [UsersErrorCode.INVALID_CREDENTIALS]: ErrorCode.UNAUTHENTICATED,
  [UsersErrorCode.WRONG_PASSWORD]: ErrorCode.UNAUTHENTICATED,
  [UsersErrorCode.SIGN_IN_THROTTLED]: ErrorCode.RATE_LIMITED,
  [UsersErrorCode.EMAIL_TAKEN]: ErrorCode.CONFLICT,
  [UsersErrorCode.ACCOUNT_CLOSED]: ErrorCode.CONFLICT,
  [UsersErrorCode.LAST_ADMIN]: ErrorCode.CONFLICT,
  [UsersErrorCode.USER_NOT_FOUND]: ErrorCode.NOT_FOUND,
  [UsersErrorCode.OWN_ACCOUNT]: ErrorCode.FORBIDDEN,
  [UsersErrorCode.OWN_ROLE]: ErrorCode.FORBIDDEN,
  [UsersErrorCode.STAFF_ACCOUNT]: ErrorCode.FORBIDDEN,
  [UsersErrorCode.SLUG_TAKEN]: ErrorCode.CONFLICT,
  [UsersErrorCode.ARTICLE_NOT_FOUND]: ErrorCode.NOT_FOUND,
  [UsersErrorCode.SESSION_NOT_FOUND]: ErrorCode.NOT_FOUND,
  [UsersErrorCode.INVALID_RESET_TOKEN]: ErrorCode.BAD_USER_INPUT,
  [UsersErrorCode.PASSWORD_RESET_THROTTLED]: ErrorCode.RATE_LIMITED,
  [UsersErrorCode.INVALID_VERIFICATION_TOKEN]: ErrorCode.BAD_USER_INPUT,
  [UsersErrorCode.EMAIL_VERIFICATION_THROTTLED]: ErrorCode.RATE_LIMITED,
  [UsersErrorCode.INVALID_EMAIL_CHANGE_TOKEN]: ErrorCode.BAD_USER_INPUT,
  [UsersErrorCode.EMAIL_CHANGE_THROTTLED]: ErrorCode.RATE_LIMITED,
  [UsersErrorCode.EMAIL_CHANGE_NEEDS_CONFIRMATION]: ErrorCode.BAD_USER_INPUT,
  [UsersErrorCode.PASSWORD_TOO_COMMON]: ErrorCode.BAD_USER_INPUT,
  [UsersErrorCode.MFA_REQUIRED]: ErrorCode.MFA_REQUIRED,
  [UsersErrorCode.INVALID_MFA_CODE]: ErrorCode.BAD_USER_INPUT,
  [UsersErrorCode.INVALID_MFA_CHALLENGE]: ErrorCode.UNAUTHENTICATED,
  [UsersErrorCode.TOTP_ALREADY_ENABLED]: ErrorCode.CONFLICT,
  [UsersErrorCode.TOTP_NOT_ENROLLING]: ErrorCode.BAD_USER_INPUT,
  [UsersErrorCode.TOTP_NOT_ENABLED]: ErrorCode.CONFLICT,
  [UsersErrorCode.REGISTRATION_THROTTLED]: ErrorCode.RATE_LIMITED,
  [UsersErrorCode.INVALID_PASSKEY]: ErrorCode.BAD_USER_INPUT,
  [UsersErrorCode.INVALID_PASSKEY_SIGN_IN]: ErrorCode.UNAUTHENTICATED,
  [UsersErrorCode.PASSKEY_NOT_FOUND]: ErrorCode.NOT_FOUND,
};

/**
 * An expected failure of an accounts rule; clients see `extensions.code` (platform's, unchanged)
 * and `extensions.reason` (the {@link UsersErrorCode}).
 */
export class UsersException extends DomainException {
  constructor(
    readonly reason: UsersErrorCode,
    message: string,
    fields: FieldError[] = [],
    extra: Record<string, unknown> = {},
  ) {
    super(PLATFORM_CODES[reason], message, fields, { reason, ...extra });
  }
}

/**
 * Sign-in failed. One message for an unknown email, a wrong password and a closed account, so
 * the answer does not reveal which addresses have accounts.
 */
export class InvalidCredentialsException extends UsersException {
  constructor() {
    super(UsersErrorCode.INVALID_CREDENTIALS, "The email address or password is not correct.");
  }
}

/**
 * The signed-in person's password, checked before closing their account, is wrong (or the account
 * is closed). No email was typed, so the message names the password alone.
 */
export class WrongPasswordException extends UsersException {
  constructor() {
    super(UsersErrorCode.WRONG_PASSWORD, "The password is not correct.");
  }
}

/** Another account already uses this email address (compared case-insensitively). */
export class EmailTakenException extends UsersException {
  constructor(field = "input.email") {
    super(UsersErrorCode.EMAIL_TAKEN, "An account with this email address already exists.", [
      { field, message: "is already registered" },
    ]);
  }
}

/** The account is closed: its data was erased, and nothing more can be changed on it. */
export class AccountClosedException extends UsersException {
  constructor() {
    super(UsersErrorCode.ACCOUNT_CLOSED, "This account is closed.");
  }
}

/** No account has this id. */
export class UserNotFoundException extends UsersException {
  constructor() {
    super(UsersErrorCode.USER_NOT_FOUND, "User was not found.");
  }
}

/** No session of the signed-in person has this id: unknown, ended, or someone else's. */
export class SessionNotFoundException extends UsersException {
  constructor() {
    super(UsersErrorCode.SESSION_NOT_FOUND, "No such session.");
  }
}

/** Another article already uses this slug. */
export class SlugTakenException extends UsersException {
  constructor(field = "input.slug") {
    super(UsersErrorCode.SLUG_TAKEN, "An article with this slug already exists.", [
      { field, message: "is already in use" },
    ]);
  }
}

/**
 * A password reset link's token is unknown, used, expired or superseded by a newer request or a
 * password change: one answer for all four, on `input.token`.
 */
export class InvalidResetTokenException extends UsersException {
  constructor() {
    super(UsersErrorCode.INVALID_RESET_TOKEN, "This password reset link is not valid any more. Ask for a new one.", [
      { field: "input.token", message: "is not valid any more" },
    ]);
  }
}

/**
 * A link's token (email verification or email change) is unknown, used, expired or superseded:
 * one answer for all four, on `token`.
 */
export class InvalidLinkTokenException extends UsersException {
  constructor(reason: UsersErrorCode.INVALID_VERIFICATION_TOKEN | UsersErrorCode.INVALID_EMAIL_CHANGE_TOKEN) {
    super(reason, "This link is not valid any more (used, expired or replaced by a newer one). Ask for a new one.", [
      { field: "token", message: "is not valid any more" },
    ]);
  }
}
