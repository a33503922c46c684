/**
 * The closed set of error codes a client can see. Every domain exception carries one; the gateway
 * maps them to GraphQL `extensions.code` in one exhaustive switch.
 */
export enum ErrorCode {
  BAD_USER_INPUT = "BAD_USER_INPUT",
  UNAUTHENTICATED = "UNAUTHENTICATED",
  FORBIDDEN = "FORBIDDEN",
  NOT_FOUND = "NOT_FOUND",
  CONFLICT = "CONFLICT",
  RATE_LIMITED = "RATE_LIMITED",
  PAYMENT_DECLINED = "PAYMENT_DECLINED",
  /** The database (or another part the request needs) cannot be reached just now: try again later. */
  SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE",
  /** The password was right; the account has two-factor on: finish with `completeLogin` (`extensions.challenge`). */
  MFA_REQUIRED = "MFA_REQUIRED",
  /** A staff account must turn on two-factor (`STAFF_MFA=required`) before any staff operation. */
  MFA_ENROLMENT_REQUIRED = "MFA_ENROLMENT_REQUIRED",
}

/** One invalid input field: its path (e.g. `input.email`) and why it was rejected. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * An expected failure of a business rule. Services throw it; anything else that escapes a
 * resolver is a bug, which the gateway logs and masks.
 */
export class DomainException extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields: FieldError[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Invalid input, with every offending field listed. */
export class ValidationException extends DomainException {
  constructor(fields: FieldError[], message = "The input is not valid.") {
    super(ErrorCode.BAD_USER_INPUT, message, fields);
  }
}

export class NotFoundException extends DomainException {
  constructor(what: string) {
    super(ErrorCode.NOT_FOUND, `${what} was not found.`);
  }
}

export class ForbiddenException extends DomainException {
  constructor(message = "You are not allowed to do this.") {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class UnauthenticatedException extends DomainException {
  constructor(message = "You must sign in to do this.") {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

export class RateLimitedException extends DomainException {
  constructor(message: string, retryAfterSeconds?: number) {
    super(ErrorCode.RATE_LIMITED, message, [], retryAfterSeconds ? { retryAfterSeconds } : {});
  }
}

/** Seconds a client is told to wait (`Retry-After`) while the database cannot be reached. */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * The database cannot be reached just now (connection refused, lost or timed out). Not the
 * client's fault, and not a bug: the same request works once the database is back.
 */
export class ServiceUnavailableException extends DomainException {
  constructor(
    message = "The service is unavailable just now; try again shortly.",
    retryAfterSeconds = SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS,
  ) {
    super(ErrorCode.SERVICE_UNAVAILABLE, message, [], { retryAfterSeconds });
  }
}
