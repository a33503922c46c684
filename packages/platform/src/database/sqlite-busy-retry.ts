import type { DataSource, QueryRunner } from "typeorm";

/**
 * How long better-sqlite3 itself waits for a lock held by another connection. Its busy handler
 * sleeps synchronously, on the event loop, so it is kept to a few milliseconds; longer waits are
 * the asynchronous retries of {@link retrySqliteBusyStatements}.
 */
export const SQLITE_SYNC_BUSY_TIMEOUT_MS = 5;

/** The longest a statement keeps retrying a busy file before its SQLITE_BUSY is thrown. */
const SQLITE_BUSY_GIVE_UP_MS = 10_000;
const FIRST_PAUSE_MS = 2;
const LONGEST_PAUSE_MS = 100;

/**
 * Makes every statement of this SQLite data source that finds the file locked by another
 * connection (the worker, a second gateway) wait for it without blocking the event loop: after
 * the short synchronous busy timeout, the statement is run again after a pause that doubles up to
 * 100 ms (with jitter), for at most 10 s, and then the last SQLITE_BUSY is thrown (the gateway
 * answers SERVICE_UNAVAILABLE). Repeating is safe: a statement that got SQLITE_BUSY did nothing,
 * and a transaction stays open across it. SQLITE_BUSY_SNAPSHOT is not retried: the transaction's
 * snapshot is out of date and only a new transaction can succeed.
 *
 * TypeORM runs every SQLite statement through the driver's one query runner, so wrapping that
 * runner's `query` covers transactions (`BEGIN`, `COMMIT`) as well as plain statements.
 */
export function retrySqliteBusyStatements(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as { createQueryRunner(mode?: string): QueryRunner };
  const create = driver.createQueryRunner.bind(driver);
  const wrapped = new WeakSet<QueryRunner>();
  driver.createQueryRunner = (mode) => {
    const runner = create(mode);
    if (!wrapped.has(runner)) {
      wrapped.add(runner);
      const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
      runner.query = ((...args: unknown[]) => retryWhileBusy(() => query(...args))) as QueryRunner["query"];
    }
    return runner;
  };
}

async function retryWhileBusy<T>(statement: () => Promise<T>): Promise<T> {
  const giveUpAt = Date.now() + SQLITE_BUSY_GIVE_UP_MS;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
    try {
      return await statement();
    } catch (error) {
      if (!isSqliteBusy(error) || Date.now() + pause > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random() / 2)));
    }
  }
}

function isSqliteBusy(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return (e?.driverError?.code ?? e?.code) === "SQLITE_BUSY";
}
