import { createTestDatabase, pendingSchemaChanges, testDatabaseKinds, type TestDatabase } from "@honour/testing";
import { QueryFailedError, type DataSource } from "typeorm";
import {
  ConfigException,
  isMysql,
  isSchemaCurrent,
  migrateSchema,
  openDataSource,
  platformModule,
  probeDatabaseServer,
} from "../src";
import { createDataSource } from "../src/database/data-source";
import { assertSupportedServer, parseServerVersion } from "../src/database/database-server";

describe.each(testDatabaseKinds())("the platform schema on %s", (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    ({ dataSource } = await openDataSource(database.config, {
      entities: platformModule.entities,
      migrations: platformModule.migrations,
      poolSize: 2,
    }));
  });
  afterEach(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  const tables = async (): Promise<string[]> =>
    isMysql(dataSource)
      ? (await dataSource.query("SHOW TABLES")).map((row: Record<string, string>) => Object.values(row)[0])
      : (await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table'")).map(
          (row: { name: string }) => row.name,
        );

  it("is not current on an empty database, and checking creates nothing", async () => {
    expect(await isSchemaCurrent(dataSource)).toBe(false);
    expect(await tables()).toEqual([]);
  });

  it("is current after migrating, and a second migration run does nothing", async () => {
    const applied = await migrateSchema(dataSource);
    expect(applied).toEqual(kind === "mysql" ? platformModule.migrations.map((m) => m.name) : []);
    expect(await isSchemaCurrent(dataSource)).toBe(true);
    expect(await migrateSchema(dataSource)).toEqual([]);
    expect(await tables()).toContain("job");
  });

  it("gets from its migrations exactly the schema its entities describe", async () => {
    await migrateSchema(dataSource);
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });

  if (kind === "sqlite") {
    it("keeps the shared SQLite file in WAL mode with a short synchronous busy timeout", async () => {
      expect(await dataSource.query("PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }]);
      // Longer waits are asynchronous retries (sqlite-busy-retry.spec.ts): this one blocks the event loop.
      expect(await dataSource.query("PRAGMA busy_timeout")).toEqual([{ timeout: 5 }]);
      expect(await dataSource.query("PRAGMA foreign_keys")).toEqual([{ foreign_keys: 1 }]);
    });
  }
});

describe("the database server decides the SQL dialect", () => {
  it.each([
    ["10.11.19-MariaDB-0+deb12u1", "mariadb", "MariaDB", "10.11.19"],
    ["11.4.2-MariaDB-log", "mariadb", "MariaDB", "11.4.2"],
    ["8.0.36", "mysql", "MySQL", "8.0.36"],
    ["8.4.3-0ubuntu0.24.04.1", "mysql", "MySQL", "8.4.3"],
    ["8.0.11-TiDB-v7.5.1", "mysql", "TiDB", "8.0.11"],
    ["8.0.31-Vitess", "mysql", "Vitess", "8.0.31"],
    ["8.0.mysql_aurora.3.05.2", "mysql", "Aurora MySQL", "8.0"],
  ])("reads %s as %s (%s %s)", (text, dialect, product, version) => {
    expect(parseServerVersion(text)).toEqual({ dialect, product, version, versionText: text });
  });

  it("refuses MariaDB before 10.6 and MySQL before 8.0.1, naming DATABASE_URL", () => {
    for (const text of ["10.5.23-MariaDB", "5.7.44", "8.0.0"]) {
      let thrown: unknown;
      try {
        assertSupportedServer(parseServerVersion(text));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigException);
      expect((thrown as ConfigException).problems[0]).toMatch(/^DATABASE_URL: /);
    }
    expect(() => assertSupportedServer(parseServerVersion("10.6.0-MariaDB"))).not.toThrow();
    expect(() => assertSupportedServer(parseServerVersion("8.0.1"))).not.toThrow();
  });

  it("will not build a MySQL/MariaDB data source without asking the server first", () => {
    expect(() =>
      createDataSource({ kind: "mysql", url: "mysql://root@127.0.0.1:3306/test" }, { entities: [], migrations: [] }),
    ).toThrow(/openDataSource/);
  });

  const onMysql = process.env.TEST_DATABASE_URL ? it : it.skip;

  onMysql("keeps mysql2's per-query work small: no stack captured, one promise wrapper per connection", async () => {
    const { dataSource: ds } = await openDataSource(
      { kind: "mysql", url: process.env.TEST_DATABASE_URL! },
      { entities: platformModule.entities, migrations: [], poolSize: 1 },
    );
    try {
      const pool = (ds.driver as unknown as { pool: { config: { connectionConfig: { trace: boolean } } } }).pool;
      expect(pool.config.connectionConfig.trace).toBe(false);
      const error: unknown = await ds.query("SELECT 1 FROM no_such_table_here").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueryFailedError);
      expect((error as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe("ER_NO_SUCH_TABLE");
      expect((error as Error).stack).toContain("data-source.spec.ts");
      // TypeORM asks each statement's connection for mysql2's promise wrapper: one per connection.
      const runner = ds.createQueryRunner();
      try {
        const connection = (await runner.connect()) as { promise(): unknown };
        expect(connection.promise()).toBe(connection.promise());
        expect(await runner.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
      } finally {
        await runner.release();
      }
    } finally {
      await ds.destroy();
    }
  });

  onMysql("speaks the server's dialect whatever the URL's scheme", async () => {
    const url = process.env.TEST_DATABASE_URL!;
    const rest = url.slice(url.indexOf("://") + 3);
    const server = await probeDatabaseServer(url);
    for (const scheme of ["mysql", "mariadb"]) {
      const { dataSource: ds, server: found } = await openDataSource(
        { kind: "mysql", url: `${scheme}://${rest}` },
        { entities: platformModule.entities, migrations: [], poolSize: 1 },
      );
      try {
        expect(found).toEqual(server);
        expect(ds.options.type).toBe(server.dialect);
        // The clause a shared lock is written with must be one this server accepts.
        const sql = ds.createQueryBuilder().select("1").from("job", "j").setLock("pessimistic_read").getQuery();
        expect(sql).toMatch(server.dialect === "mariadb" ? /LOCK IN SHARE MODE$/ : /FOR SHARE$/);
      } finally {
        await ds.destroy();
      }
    }
  });
});
