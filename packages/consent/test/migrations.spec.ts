import { isSchemaCurrent } from "@honour/platform";
import { pendingSchemaChanges, testDatabaseKinds } from "@honour/testing";
import { IndexOutboxUser1796591913300 } from "../src/migrations/1796591913300-index-outbox-user.migration";
import { openConsentTestBed, type ConsentTestBed } from "./consent-test-bed";

describe.each(testDatabaseKinds())("consent schema on %s", (kind) => {
  let bed: ConsentTestBed;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());

  /** The names of the indexes of a table, as the database reports them. */
  async function indexesOf(table: string): Promise<string[]> {
    const rows: { name: string }[] =
      kind === "sqlite"
        ? await bed.dataSource.query(`SELECT name FROM pragma_index_list('${table}')`)
        : await bed.dataSource.query(
            "SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
            [table],
          );
    return rows.map((r) => r.name).sort();
  }

  async function foreignKeysOf(table: string): Promise<string[]> {
    const rows: { name: string }[] = await bed.dataSource.query(
      "SELECT CONSTRAINT_NAME AS name FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ?",
      [table],
    );
    return rows.map((r) => r.name).sort();
  }

  it("is exactly what the entities describe once the migrations have run", async () => {
    expect(await pendingSchemaChanges(bed.dataSource)).toEqual([]);
    expect(await isSchemaCurrent(bed.dataSource)).toBe(true);
  });

  it("indexes the outbox by account", async () => {
    expect(await indexesOf("consent_outbox")).toContain("IDX_consent_outbox_user");
  });

  if (kind === "mysql") {
    it("undoes the outbox account index, giving the foreign key its own index back, and applies it again", async () => {
      const migration = new IndexOutboxUser1796591913300();
      const runner = bed.dataSource.createQueryRunner();
      try {
        await migration.down(runner);
        // As the first migration left it: the foreign key's own index, and the key itself.
        expect(await indexesOf("consent_outbox")).toEqual([
          "FK_consent_outbox_user",
          "IDX_consent_outbox_status",
          "PRIMARY",
          "UQ_consent_outbox_recipient",
        ]);
        expect(await foreignKeysOf("consent_outbox")).toEqual(["FK_consent_outbox_campaign", "FK_consent_outbox_user"]);
        expect(await pendingSchemaChanges(bed.dataSource)).toEqual([
          "CREATE INDEX `IDX_consent_outbox_user` ON `consent_outbox` (`userId`)",
        ]);

        await migration.up(runner);
        // The new index serves the foreign key, so MariaDB/MySQL drop its implicit one.
        expect(await indexesOf("consent_outbox")).toEqual([
          "IDX_consent_outbox_status",
          "IDX_consent_outbox_user",
          "PRIMARY",
          "UQ_consent_outbox_recipient",
        ]);
        expect(await foreignKeysOf("consent_outbox")).toEqual(["FK_consent_outbox_campaign", "FK_consent_outbox_user"]);
        expect(await pendingSchemaChanges(bed.dataSource)).toEqual([]);
      } finally {
        await runner.release();
      }
    });
  }
});
