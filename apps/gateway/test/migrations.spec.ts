import { isSchemaCurrent, openDataSource } from "@honour/platform";
import { createTestDatabase, pendingSchemaChanges } from "@honour/testing";
import { moduleDefinitions } from "@honour/composition";

const onMysql = process.env.TEST_DATABASE_URL ? describe : describe.skip;

onMysql("migrations on MariaDB/MySQL", () => {
  it("produce exactly the schema of the entities (TypeORM's schema diff is empty)", async () => {
    const database = await createTestDatabase("mysql");
    const { dataSource } = await openDataSource(database.config, {
      entities: moduleDefinitions.flatMap((m) => m.entities),
      migrations: moduleDefinitions.flatMap((m) => m.migrations),
    });
    try {
      expect(await isSchemaCurrent(dataSource)).toBe(false);
      const applied = await dataSource.runMigrations({ transaction: "each" });
      expect(applied.length).toBe(moduleDefinitions.flatMap((m) => m.migrations).length);
      expect(await pendingSchemaChanges(dataSource)).toEqual([]);
      expect(await isSchemaCurrent(dataSource)).toBe(true);

      // Every migration can be undone, newest first, down to an empty database.
      for (let i = 0; i < applied.length; i++) await dataSource.undoLastMigration({ transaction: "each" });
      const tables: unknown[] = await dataSource.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'migration'",
      );
      expect(tables).toEqual([]);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    }
  });
});
