import { DomainException, ErrorCode, UnauthenticatedException } from "@honour/platform";

/**
 * Sign-in failed. One message for an unknown email, a wrong password and a closed account, so
 * the answer does not reveal which addresses have accounts.
 */
export class InvalidCredentialsException extends UnauthenticatedException {
  constructor() {
    super("The email address or password is not correct.");
  }
}

/** Another account already uses this email address (compared case-insensitively). */
export class EmailTakenException extends DomainException {
  constructor(field = "input.email") {
    super(ErrorCode.CONFLICT, "An account with this email address already exists.", [
      { field, message: "is already registered" },
    ]);
  }
}

/** The account is closed: its data was erased, and nothing more can be changed on it. */
export class AccountClosedException extends DomainException {
  constructor() {
    super(ErrorCode.CONFLICT, "This account is closed.");
  }
}

/** Another article already uses this slug. */
export class SlugTakenException extends DomainException {
  constructor(field = "input.slug") {
    super(ErrorCode.CONFLICT, "An article with this slug already exists.", [{ field, message: "is already in use" }]);
  }
}

/** True for a unique-key violation on MySQL/MariaDB or SQLite (a lost race for the same value). */
export function isDuplicateKeyError(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? "";
  return code === "ER_DUP_ENTRY" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
