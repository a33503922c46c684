import type { EntityManager } from "typeorm";

/**
 * Turns the transaction `manager` has just begun on the embedded SQLite file into a write
 * transaction from its first statement (`BEGIN IMMEDIATE`). Nothing on MySQL/MariaDB.
 *
 * TypeORM begins SQLite transactions with a deferred `BEGIN`: the first read takes a snapshot and
 * the first write then asks for the write lock. The gateway and the worker share the file, and
 * when the worker has committed a write since that snapshot, SQLite cannot give the lock to a
 * snapshot that is out of date and answers `SQLITE_BUSY_SNAPSHOT` at once, whatever the busy
 * timeout (an order failed with INTERNAL_SERVER_ERROR at its first INSERT). Asking for the write
 * lock before any read instead waits for the other writer (the busy timeout) and then reads its
 * work. In one process SQLite transactions take turns anyway, so this costs no concurrency.
 *
 * Call it first thing inside the transaction, before any statement of its own: the deferred
 * `BEGIN` has read nothing yet, so ending it loses nothing.
 */
export async function takeSqliteWriteLock(manager: EntityManager): Promise<void> {
  const runner = manager.queryRunner;
  if (manager.connection.options.type !== "better-sqlite3" || !runner?.isTransactionActive) return;
  // A transaction opened inside another one's flow is a SAVEPOINT on the same connection: the
  // outer transaction has the lock already, and must not be ended. (TypeORM keeps the depth
  // protected; it is 1 for the outermost transaction.)
  if ((runner as unknown as { transactionDepth?: number }).transactionDepth !== 1) return;
  await runner.query("COMMIT");
  await runner.query("BEGIN IMMEDIATE");
}
