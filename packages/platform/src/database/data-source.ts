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
import type { Logger } from "../logging/logger";
import { describeServer, probeDatabaseServer, type DatabaseServer } from "./database-server";
import { retrySqliteBusyStatements, SQLITE_SYNC_BUSY_TIMEOUT_MS } from "./sqlite-busy-retry";

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

/**
 * How many prepared statements (runPrepared) mysql2 keeps open on each pooled connection; its LRU
 * closes the least recently used beyond that. The services prepare a few dozen statements, and a
 * few per page size or id count, so this is room to spare; it also bounds a process's share of the
 * server's `max_prepared_stmt_count` (16 382 by default, for every client together) at
 * `poolSize` × 256.
 */
export const MAX_PREPARED_STATEMENTS_PER_CONNECTION = 256;

/** True when the data source talks to MySQL or MariaDB (row locks, real migrations). */
export function isMysql(dataSource: DataSource): boolean {
  return dataSource.options.type === "mysql" || dataSource.options.type === "mariadb";
}

/**
 * Builds (but does not connect) the TypeORM data source for a database config: mysql2 for
 * MySQL/MariaDB, better-sqlite3 for the embedded file. For MySQL/MariaDB `server` (what
 * {@link probeDatabaseServer} read from the server) chooses TypeORM's dialect, never the URL's
 * scheme; {@link openDataSource} does both. The SQLite file is shared by gateway and worker, so it
 * uses WAL mode, and a statement that finds it locked waits and retries (without blocking the
 * event loop: {@link retrySqliteBusyStatements}) instead of failing on a concurrent write.
 */
export function createDataSource(
  database: DatabaseConfig,
  parts: DataSourceParts,
  server?: DatabaseServer,
): DataSource {
  const common = {
    entities: parts.entities,
    migrations: parts.migrations,
    migrationsTableName: "migration",
    synchronize: false,
    logging: parts.logging ?? false,
  } as const;
  let options: DataSourceOptions;
  if (database.kind === "mysql") {
    if (!server)
      throw new Error("createDataSource: a MySQL/MariaDB data source needs the probed server (use openDataSource)");
    const asMysql = (url: string) => `mysql://${url.slice(url.indexOf("://") + 3)}`;
    const replicas = database.replicaUrls ?? [];
    options = {
      ...common,
      type: server.dialect,
      // With replicas, TypeORM keeps a pool per server. Every query still goes to the primary unless
      // it asks for a replica (readFromReplica): read-your-writes is the default, replicas opt-in.
      ...(replicas.length > 0
        ? {
            replication: {
              master: { url: asMysql(database.url) },
              slaves: replicas.map((url) => ({ url: asMysql(url) })),
              defaultMode: "master" as const,
              selector: "RR" as const,
              // A replica that fails is left out for a minute, then tried again.
              restoreNodeTimeout: 60_000,
            },
          }
        : { url: asMysql(database.url) }),
      charset: "utf8mb4_unicode_ci",
      timezone: "Z",
      poolSize: parts.poolSize ?? 10,
      // mysql2's promise API captures a stack trace for every query, to give a failure the caller's
      // stack: 3 % of a `me` request's CPU. TypeORM wraps every failure in a QueryFailedError with
      // its own stack, so the capture is never seen.
      trace: false,
      extra: { maxPreparedStatements: MAX_PREPARED_STATEMENTS_PER_CONNECTION },
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
      // better-sqlite3's busy wait is synchronous: keep it short, and retry asynchronously after it.
      timeout: SQLITE_SYNC_BUSY_TIMEOUT_MS,
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma(`busy_timeout = ${SQLITE_SYNC_BUSY_TIMEOUT_MS}`);
        db.pragma("foreign_keys = ON");
      },
    };
  }
  const dataSource = new DataSource(options);
  if (database.kind === "sqlite") {
    acceptCharOnSqlite(dataSource);
    retrySqliteBusyStatements(dataSource);
  }
  return dataSource;
}

export interface OpenDataSourceOptions {
  /** Told the server once (`database: MariaDB 10.11.19`). */
  logger?: Logger;
}

/** A connected data source and, on MySQL/MariaDB, the server it talks to. */
export interface OpenedDataSource {
  dataSource: DataSource;
  /** Null for the embedded SQLite file. */
  server: DatabaseServer | null;
}

/**
 * Connects to the configured database the way every app starts: on MySQL/MariaDB it first asks
 * the server its version (refusing one older than supported, naming `DATABASE_URL`) and speaks
 * that server's dialect whatever the URL's scheme; then it opens the pool. Connection errors are
 * thrown as they come, for the caller to retry or report.
 */
export async function openDataSource(
  database: DatabaseConfig,
  parts: DataSourceParts,
  options: OpenDataSourceOptions = {},
): Promise<OpenedDataSource> {
  const server = database.kind === "mysql" ? await probeDatabaseServer(database.url) : null;
  const dataSource = createDataSource(database, parts, server ?? undefined);
  await dataSource.initialize();
  if (server) keepPromiseWrappers(dataSource);
  options.logger?.info(
    server
      ? {
          event: "database.connected",
          database: describeServer(server),
          version: server.versionText,
          dialect: server.dialect,
        }
      : {
          event: "database.connected",
          database: "SQLite",
          path: database.kind === "sqlite" ? database.path : undefined,
        },
    `database: ${server ? describeServer(server) : "SQLite (embedded)"}`,
  );
  return { dataSource, server };
}

/**
 * TypeORM runs every MySQL/MariaDB statement through `connection.promise().query(…)`, and mysql2's
 * `promise()` requires a module and builds a new event-emitting wrapper on every call: 2–3 % of a
 * `myOrders` request. The wrapper holds nothing but the connection, so each pooled connection
 * keeps its first one from the moment it is acquired (the pool's or, with replicas, every node's).
 */
function keepPromiseWrappers(dataSource: DataSource): void {
  type PooledConnection = { promise(promiseImpl?: PromiseConstructor): unknown };
  type Pool = { on(event: "acquire", listener: (connection: PooledConnection) => void): void };
  const driver = dataSource.driver as unknown as {
    pool?: Pool;
    poolCluster?: { _nodes?: Record<string, { pool?: Pool }> };
  };
  const pools = driver.pool
    ? [driver.pool]
    : Object.values(driver.poolCluster?._nodes ?? {}).flatMap((node) => (node.pool ? [node.pool] : []));
  for (const pool of pools) {
    pool.on("acquire", (connection) => {
      if (Object.hasOwn(connection, "promise")) return;
      const made = connection.promise.bind(connection);
      const wrapper = made();
      connection.promise = (promiseImpl) => (promiseImpl ? made(promiseImpl) : wrapper);
    });
  }
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
