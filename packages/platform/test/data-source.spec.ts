import { createTestDatabase, pendingSchemaChanges, testDatabaseKinds, type TestDatabase } from "@honour/testing";
import type { DataSource } from "typeorm";
import { createDataSource, isMysql, isSchemaCurrent, migrateSchema, platformModule } from "../src";

describe.each(testDatabaseKinds())("the platform schema on %s", (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    dataSource = createDataSource(database.config, {
      entities: platformModule.entities,
      migrations: platformModule.migrations,
      poolSize: 2,
    });
    await dataSource.initialize();
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
    it("keeps the shared SQLite file in WAL mode with a busy timeout", async () => {
      expect(await dataSource.query("PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }]);
      expect(await dataSource.query("PRAGMA busy_timeout")).toEqual([{ timeout: 10000 }]);
      expect(await dataSource.query("PRAGMA foreign_keys")).toEqual([{ foreign_keys: 1 }]);
    });
  }
});
