import { DomainException, ErrorCode, ValidationException, type FieldError } from "@honour/platform";

/** The consent domain's own failure reasons, each mapped to one of platform's error codes. */
export enum ConsentErrorCode {
  /** Only a DRAFT campaign can be sent. */
  CAMPAIGN_NOT_DRAFT = "CAMPAIGN_NOT_DRAFT",
  /** Someone published a policy version at the same moment. */
  POLICY_VERSION_TAKEN = "POLICY_VERSION_TAKEN",
  /** The unsubscribe token is unknown or has been changed. */
  INVALID_UNSUBSCRIBE_TOKEN = "INVALID_UNSUBSCRIBE_TOKEN",
}

const PLATFORM_CODES: Record<ConsentErrorCode, ErrorCode> = {
  [ConsentErrorCode.CAMPAIGN_NOT_DRAFT]: ErrorCode.CONFLICT,
  [ConsentErrorCode.POLICY_VERSION_TAKEN]: ErrorCode.CONFLICT,
  [ConsentErrorCode.INVALID_UNSUBSCRIBE_TOKEN]: ErrorCode.NOT_FOUND,
};

/** An expected failure of a consent rule; clients see `extensions.code` and `extensions.reason`. */
export class ConsentException extends DomainException {
  constructor(
    readonly reason: ConsentErrorCode,
    message: string,
  ) {
    super(PLATFORM_CODES[reason], message, [], { reason });
  }
}

/**
 * Collects every invalid field of an input so the caller can fix them all at once. Field paths
 * name the GraphQL argument (`input.subject`, `input.3.topic`), as the gateway reports
 * class-validator's errors.
 */
export class FieldChecks {
  private readonly errors: FieldError[] = [];

  fail(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new ValidationException(this.errors);
  }
}

/** True for a unique-key violation on MySQL/MariaDB or SQLite (a lost race for the same row). */
export function isDuplicateKeyError(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? "";
  return code === "ER_DUP_ENTRY" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
