/** MySQL/MariaDB's number for a duplicate entry in a unique index (its code is `ER_DUP_ENTRY`). */
const ER_DUP_ENTRY_ERRNO = 1062;

/** SQLite's extended result codes for a unique index or primary key that already holds the value. */
const SQLITE_DUPLICATE_CODES = new Set(["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"]);

/** The message SQLite gives a duplicate when a driver reports only the primary code `SQLITE_CONSTRAINT`. */
const SQLITE_DUPLICATE_MESSAGE = /\b(UNIQUE|PRIMARY KEY) constraint failed\b/;

/**
 * True for a unique-key violation on MySQL/MariaDB (`ER_DUP_ENTRY`, errno 1062) or SQLite (a
 * unique index or primary key), as the driver's error or wrapped in TypeORM's `QueryFailedError`
 * (`driverError`). It is how an insert finds out that it lost a race for the same row: the caller
 * turns it into its own answer (`EMAIL_TAKEN`, an existing row, a job already queued). Other
 * constraint failures (NOT NULL, CHECK, foreign keys) are bugs, not races, and answer false.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  if (!error || typeof error !== "object") return false;
  const e = error as { code?: unknown; errno?: unknown; message?: unknown; driverError?: unknown };
  const driver = (e.driverError && typeof e.driverError === "object" ? e.driverError : {}) as typeof e;
  const code = driver.code ?? e.code;
  const errno = driver.errno ?? e.errno;
  const message = driver.message ?? e.message;
  if (code === "ER_DUP_ENTRY" || errno === ER_DUP_ENTRY_ERRNO) return true;
  if (typeof code !== "string") return false;
  if (SQLITE_DUPLICATE_CODES.has(code)) return true;
  return code === "SQLITE_CONSTRAINT" && typeof message === "string" && SQLITE_DUPLICATE_MESSAGE.test(message);
}
