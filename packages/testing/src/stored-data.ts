import { isMysql } from "@honour/platform";
import type { DataSource } from "typeorm";

/** The SQL statements `work` runs on `dataSource`, transaction control left out. */
export async function statementsOf<T>(
  dataSource: DataSource,
  work: () => Promise<T>,
): Promise<{ result: T; sql: string[] }> {
  const sql: string[] = [];
  const logger = dataSource.logger;
  const original = logger.logQuery.bind(logger);
  logger.logQuery = (query, parameters, runner) => {
    if (!/^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)/i.test(query)) sql.push(query);
    return original(query, parameters, runner);
  };
  try {
    return { result: await work(), sql };
  } finally {
    logger.logQuery = original;
  }
}

/** One stored value, as text (a date as its ISO string). */
export interface StoredValue {
  table: string;
  column: string;
  value: string;
}

/** Every non-null value of every table, as text, for scanning for data that must never be at rest. */
export async function everyStoredValue(dataSource: DataSource): Promise<StoredValue[]> {
  const tables: { name: string }[] = isMysql(dataSource)
    ? await dataSource.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()")
    : await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table'");
  const values: StoredValue[] = [];
  for (const { name } of tables) {
    const rows: Record<string, unknown>[] = await dataSource.query(`SELECT * FROM ${dataSource.driver.escape(name)}`);
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || value === undefined) continue;
        values.push({ table: name, column, value: value instanceof Date ? value.toISOString() : String(value) });
      }
    }
  }
  return values;
}
