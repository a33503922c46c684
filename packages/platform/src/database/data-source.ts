import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  DataSource,
  MigrationExecutor,
  type DataSourceOptions,
  type EntityManager,
  type EntitySchema,
  type MixedList,
} from "typeorm";
import type { DatabaseConfig } from "../config/config";

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityList = MixedList<string | Function | EntitySchema>;

export interface DataSourceParts {
  entities: EntityList;
  /** Migration classes; used on MySQL/MariaDB only. */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<string | Function>;
  /** Pool size for MySQL (default 10). */
  poolSize?: number;
  logging?: boolean;
}

/** True when the data source talks to MySQL or MariaDB (row locks, real migrations). */
export function isMysql(dataSource: DataSource): boolean {
  return dataSource.options.type === "mysql" || dataSource.options.type === "mariadb";
}

/**
 * Builds (but does not connect) the TypeORM data source for a database config: mysql2 for
 * `mysql://` and `mariadb://` URLs, better-sqlite3 for the embedded file. The SQLite file is
 * shared by gateway and worker, so it uses WAL mode and a busy timeout instead of failing on a
 * concurrent write.
 */
export function createDataSource(database: DatabaseConfig, parts: DataSourceParts): DataSource {
  const common = {
    entities: parts.entities,
    migrations: parts.migrations,
    migrationsTableName: "migration",
    synchronize: false,
    logging: parts.logging ?? false,
  } as const;
  let options: DataSourceOptions;
  if (database.kind === "mysql") {
    const url = new URL(database.url);
    options = {
      ...common,
      type: url.protocol === "mariadb:" ? "mariadb" : "mysql",
      url: `mysql://${database.url.slice(database.url.indexOf("://") + 3)}`,
      charset: "utf8mb4_unicode_ci",
      timezone: "Z",
      poolSize: parts.poolSize ?? 10,
      // DDL is not transactional on MySQL: run each migration on its own so a failure stops cleanly.
      migrationsTransactionMode: "each",
    };
  } else {
    if (database.path !== ":memory:") mkdirSync(dirname(database.path), { recursive: true });
    options = {
      ...common,
      type: "better-sqlite3",
      database: database.path,
      enableWAL: database.path !== ":memory:",
      timeout: 10_000,
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma("busy_timeout = 10000");
        db.pragma("foreign_keys = ON");
      },
    };
  }
  const dataSource = new DataSource(options);
  if (database.kind === "sqlite") acceptCharOnSqlite(dataSource);
  return dataSource;
}

/**
 * The entities are written for MySQL, where ids are `char(36)`. SQLite stores any declared type
 * (`char` has text affinity), but TypeORM's SQLite driver refuses `char` outright and, unless it
 * knows `char` takes a length, reads `char(36)` back as a different column on every schema diff.
 * Teaching this driver instance both lets one set of entities serve both databases.
 */
function acceptCharOnSqlite(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as { supportedDataTypes: string[]; withLengthColumnTypes: string[] };
  for (const types of [driver.supportedDataTypes, driver.withLengthColumnTypes]) {
    if (!types.includes("char")) types.push("char");
  }
}

/**
 * Brings the schema up to date: runs pending migrations on MySQL/MariaDB; on the embedded SQLite
 * default builds the schema from the entities.
 */
export async function migrateSchema(dataSource: DataSource): Promise<string[]> {
  if (isMysql(dataSource)) {
    const applied = await dataSource.runMigrations({ transaction: "each" });
    return applied.map((m) => m.name);
  }
  await dataSource.synchronize();
  return [];
}

/**
 * True when the schema is current: no pending migration (MySQL) or no difference (SQLite).
 * Only reads: unlike TypeORM's `showMigrations()` it never creates the migrations table, so a
 * worker waiting for the gateway's migrations cannot collide with them.
 */
export async function isSchemaCurrent(dataSource: DataSource): Promise<boolean> {
  if (isMysql(dataSource)) return (await new MigrationExecutor(dataSource).getPendingMigrations()).length === 0;
  const pending = await dataSource.driver.createSchemaBuilder().log();
  return pending.upQueries.length === 0;
}

/** The tail of each SQLite data source's queue of transactions. */
const sqliteTurns = new WeakMap<DataSource, Promise<unknown>>();
/** The SQLite data sources whose transaction the current async flow is inside. */
const insideSqliteTransaction = new AsyncLocalStorage<ReadonlySet<DataSource>>();

/**
 * Runs `work` in a new transaction. On MySQL/MariaDB each transaction has a pooled connection of
 * its own. TypeORM runs every SQLite query on one shared connection, where two transactions that
 * overlap in time nest into each other and both fail; so on SQLite transactions take turns (a
 * transaction opened from inside another one's flow nests, as before, rather than waiting for
 * itself). Queries outside any transaction still share that connection: on SQLite, one that runs
 * while a transaction is open becomes part of it.
 */
export function runInTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (isMysql(dataSource)) return dataSource.transaction(work);
  const inside = insideSqliteTransaction.getStore();
  if (inside?.has(dataSource)) return dataSource.transaction(work);
  const entered = new Set(inside ?? []).add(dataSource);
  const previous = sqliteTurns.get(dataSource) ?? Promise.resolve();
  const result = previous.then(() => insideSqliteTransaction.run(entered, () => dataSource.transaction(work)));
  // The next transaction waits for this one, whatever its outcome.
  sqliteTurns.set(
    dataSource,
    result.catch(() => undefined),
  );
  return result;
}
