import { isMysql, isSchemaCurrent } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { DataSource, type DataSourceOptions } from "typeorm";
import { openConsentTestBed, type ConsentTestBed } from "./consent-test-bed";

/** On MariaDB, compare with MariaDB's eyes (see the users package's schema test). */
async function schemaReader(dataSource: DataSource): Promise<DataSource> {
  if (!isMysql(dataSource) || dataSource.options.type === "mariadb") return dataSource;
  const [{ version }] = (await dataSource.query("SELECT VERSION() AS version")) as [{ version: string }];
  if (!/mariadb/i.test(version)) return dataSource;
  return new DataSource({ ...dataSource.options, type: "mariadb", poolSize: 1 } as DataSourceOptions).initialize();
}

describe.each(testDatabaseKinds())("consent schema on %s", (kind) => {
  let bed: ConsentTestBed;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());

  it("is exactly what the entities describe once the migrations have run", async () => {
    const reader = await schemaReader(bed.dataSource);
    try {
      const pending = await reader.driver.createSchemaBuilder().log();

      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      expect(await isSchemaCurrent(bed.dataSource)).toBe(true);
    } finally {
      if (reader !== bed.dataSource) await reader.destroy();
    }
  });
});
