import { DomainException, ErrorCode, FieldChecks as PlatformFieldChecks, type FieldError } from "@honour/platform";

/** The privacy domain's own failure reasons, each mapped to one of platform's error codes. */
export enum PrivacyErrorCode {
  /** Extensions would take the request beyond three months after receipt. */
  EXTENSION_LIMIT_EXCEEDED = "EXTENSION_LIMIT_EXCEEDED",
  /** The request was already completed or rejected. */
  REQUEST_CLOSED = "REQUEST_CLOSED",
  /** The account already has an open access request (one at a time). */
  REQUEST_ALREADY_OPEN = "REQUEST_ALREADY_OPEN",
  /** Someone changed the request at the same moment; read it again and retry. */
  REQUEST_CHANGED = "REQUEST_CHANGED",
  /** Completing an access, erasure or objection request needs the account it is about. */
  SUBJECT_REQUIRED = "SUBJECT_REQUIRED",
  /** The account the request is about is closed (its data is already erased). */
  SUBJECT_ACCOUNT_CLOSED = "SUBJECT_ACCOUNT_CLOSED",
  /** No export behind this link for the signed-in account. */
  EXPORT_NOT_FOUND = "EXPORT_NOT_FOUND",
  /** The export's link has expired and the copy is deleted (HTTP 410). */
  EXPORT_EXPIRED = "EXPORT_EXPIRED",
  /** The copy is still being built. */
  EXPORT_NOT_READY = "EXPORT_NOT_READY",
}

const PLATFORM_CODES: Record<PrivacyErrorCode, ErrorCode> = {
  [PrivacyErrorCode.EXTENSION_LIMIT_EXCEEDED]: ErrorCode.BAD_USER_INPUT,
  [PrivacyErrorCode.REQUEST_CLOSED]: ErrorCode.CONFLICT,
  [PrivacyErrorCode.REQUEST_ALREADY_OPEN]: ErrorCode.CONFLICT,
  [PrivacyErrorCode.REQUEST_CHANGED]: ErrorCode.CONFLICT,
  [PrivacyErrorCode.SUBJECT_REQUIRED]: ErrorCode.BAD_USER_INPUT,
  [PrivacyErrorCode.SUBJECT_ACCOUNT_CLOSED]: ErrorCode.CONFLICT,
  [PrivacyErrorCode.EXPORT_NOT_FOUND]: ErrorCode.NOT_FOUND,
  [PrivacyErrorCode.EXPORT_EXPIRED]: ErrorCode.NOT_FOUND,
  [PrivacyErrorCode.EXPORT_NOT_READY]: ErrorCode.CONFLICT,
};

/** An expected failure of a privacy rule; clients see `extensions.code` and `extensions.reason`. */
export class PrivacyException extends DomainException {
  constructor(
    readonly reason: PrivacyErrorCode,
    message: string,
    fields: FieldError[] = [],
  ) {
    super(PLATFORM_CODES[reason], message, fields, { reason });
  }
}

/** Platform's {@link PlatformFieldChecks} with the privacy domain's rule for free texts. */
export class FieldChecks extends PlatformFieldChecks {
  /** Trimmed text, or null when empty; fails when longer than `max` (or empty and `required`). */
  text(field: string, value: string | null | undefined, max: number, required = false): string | null {
    const text = value?.trim() || null;
    if (text === null) {
      if (required) this.fail(field, "must not be empty");
      return null;
    }
    if (text.length > max) this.fail(field, `must be at most ${max} characters`);
    return text;
  }
}
