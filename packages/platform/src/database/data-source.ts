import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from "typeorm";
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
  return new DataSource(options);
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

/** True when the schema is current: no pending migration (MySQL) or no difference (SQLite). */
export async function isSchemaCurrent(dataSource: DataSource): Promise<boolean> {
  if (isMysql(dataSource)) return !(await dataSource.showMigrations());
  const pending = await dataSource.driver.createSchemaBuilder().log();
  return pending.upQueries.length === 0;
}
