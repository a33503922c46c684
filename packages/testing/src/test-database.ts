import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection } from "mysql2/promise";
import type { DataSource } from "typeorm";
import { migrateSchema, openDataSource, type DatabaseConfig, type DomainModuleDefinition } from "@honour/platform";

export type TestDatabaseKind = "sqlite" | "mysql";

/**
 * The databases a database test runs on: SQLite always, and MariaDB/MySQL when
 * `TEST_DATABASE_URL` is set (CI sets it). Use with `describe.each(testDatabaseKinds())`.
 */
export function testDatabaseKinds(): TestDatabaseKind[] {
  return process.env.TEST_DATABASE_URL ? ["sqlite", "mysql"] : ["sqlite"];
}

export interface TestDatabase {
  kind: TestDatabaseKind;
  config: DatabaseConfig;
  /** Removes the throwaway database. */
  drop(): Promise<void>;
}

/**
 * A throwaway database of its own for one test suite, so that parallel runs never collide: a new
 * schema on the MariaDB/MySQL server of `TEST_DATABASE_URL`, or a new SQLite file.
 */
export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "honour-test-"));
    return {
      kind,
      config: { kind: "sqlite", path: join(dir, "test.sqlite") },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error("TEST_DATABASE_URL is not set");
  // The URL is handed on exactly as written (scheme included): the product reads the server's
  // version and picks its dialect itself, as it does for a user's `DATABASE_URL=mysql://…`.
  const url = new URL(serverUrl);
  const name = `honour_t_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return {
    kind,
    config: { kind: "mysql", url: url.toString() },
    drop: async () => {
      const conn = await createConnection({
        host: url.hostname,
        port: Number(url.port || 3306),
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
      });
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

export interface TestDataSource {
  database: TestDatabase;
  dataSource: DataSource;
  /** Closes the data source and drops the database. */
  close(): Promise<void>;
}

/**
 * A connected data source on a throwaway database with the modules' schema in place, built the
 * way production builds it: migrations on MariaDB/MySQL, entities on SQLite.
 */
export async function openTestDataSource(
  kind: TestDatabaseKind,
  modules: readonly DomainModuleDefinition[],
): Promise<TestDataSource> {
  const database = await createTestDatabase(kind);
  let dataSource: DataSource | undefined;
  try {
    ({ dataSource } = await openDataSource(database.config, {
      entities: modules.flatMap((m) => m.entities),
      migrations: modules.flatMap((m) => m.migrations),
      poolSize: 5,
    }));
    await migrateSchema(dataSource);
  } catch (error) {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database.drop();
    throw error;
  }
  const opened = dataSource;
  return {
    database,
    dataSource: opened,
    close: async () => {
      if (opened.isInitialized) await opened.destroy();
      await database.drop();
    },
  };
}

/**
 * The statements TypeORM would still run to make the database match the entities: empty when the
 * migrations produce exactly the entities' schema. The data source speaks the dialect of the
 * server it found, so on MariaDB the comparison is made the way MariaDB reports its schema.
 */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const pending = await dataSource.driver.createSchemaBuilder().log();
  return pending.upQueries.map((q) => q.query);
}
