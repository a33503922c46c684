/**
 * Error codes mysql2 and Node's sockets give when the database server cannot be reached or the
 * connection to it broke, and better-sqlite3's when another process holds the file: the database
 * is away or busy, not the query wrong.
 */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR",
  "PROTOCOL_ENQUEUE_AFTER_QUIT",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_TOO_MANY_USER_CONNECTIONS",
  // The embedded SQLite file is held by another process (the worker, or a second gateway) past the
  // busy timeout, or a read snapshot went stale under another writer: busy now, worth a retry.
  "SQLITE_BUSY",
  "SQLITE_BUSY_SNAPSHOT",
  "SQLITE_BUSY_TIMEOUT",
  "SQLITE_LOCKED",
]);

/** Messages of mysql2's pool, which throws plain errors without a code. */
const UNAVAILABLE_MESSAGES = [/^Pool is closed\.?$/, /^Queue limit reached\.?$/, /^No connections available\.?$/];

/**
 * True when `error` (or what it wraps: TypeORM's `driverError`, a `cause`, GraphQL's
 * `originalError`) says the MySQL/MariaDB server cannot be reached or the connection to it was
 * lost, or that the SQLite file stayed locked by another process, so the request may work when
 * retried later. False for everything else, including SQL errors and MySQL lock timeouts.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const { code, message, fatal } = current as { code?: unknown; message?: unknown; fatal?: unknown };
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.some((re) => re.test(message))) return true;
    // mysql2 marks errors that killed the connection as fatal (a lost handshake, a closed socket).
    if (fatal === true && typeof code === "string" && !code.startsWith("ER_")) return true;
    if (current instanceof AggregateError && current.errors.some((e) => isDatabaseUnavailable(e))) return true;
    const next = current as { driverError?: unknown; cause?: unknown; originalError?: unknown };
    current = next.driverError ?? next.originalError ?? next.cause;
  }
  return false;
}
