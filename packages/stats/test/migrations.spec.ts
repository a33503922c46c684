import { isMysql, isSchemaCurrent } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { DataSource, type DataSourceOptions } from "typeorm";
import { openStatsTestBed, type StatsTestBed } from "./stats-test-bed";

/**
 * The data source to compare the schema with. TypeORM reads MariaDB's column defaults right only
 * when the data source says "mariadb"; against MariaDB, look with MariaDB's eyes.
 */
async function schemaReader(dataSource: DataSource): Promise<DataSource> {
  if (!isMysql(dataSource) || dataSource.options.type === "mariadb") return dataSource;
  const [{ version }] = (await dataSource.query("SELECT VERSION() AS version")) as [{ version: string }];
  if (!/mariadb/i.test(version)) return dataSource;
  return new DataSource({ ...dataSource.options, type: "mariadb", poolSize: 1 } as DataSourceOptions).initialize();
}

describe.each(testDatabaseKinds())("schema on %s", (kind) => {
  let bed: StatsTestBed;
  beforeAll(async () => {
    bed = await openStatsTestBed(kind);
  });
  afterAll(() => bed?.close());

  it("is exactly what the entities describe once the migrations have run", async () => {
    const reader = await schemaReader(bed.db.dataSource);
    try {
      const pending = await reader.driver.createSchemaBuilder().log();

      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      expect(await isSchemaCurrent(bed.db.dataSource)).toBe(true);
    } finally {
      if (reader !== bed.db.dataSource) await reader.destroy();
    }
  });
});
