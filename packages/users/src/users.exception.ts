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
  /** Too many failed password checks for the email within the throttling window. */
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
