import { isMysql, isSchemaCurrent } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import { DataSource, type DataSourceOptions } from "typeorm";
import { openOrdersTestBed, type OrdersTestBed } from "./orders-test-bed";

/** Against MariaDB, compare the schema as TypeORM's "mariadb" driver sees it (see users' migrations test). */
async function schemaReader(dataSource: DataSource): Promise<DataSource> {
  if (!isMysql(dataSource) || dataSource.options.type === "mariadb") return dataSource;
  const [{ version }] = (await dataSource.query("SELECT VERSION() AS version")) as [{ version: string }];
  if (!/mariadb/i.test(version)) return dataSource;
  return new DataSource({ ...dataSource.options, type: "mariadb", poolSize: 1 } as DataSourceOptions).initialize();
}

describe.each(testDatabaseKinds())("orders schema on %s", (kind) => {
  let bed: OrdersTestBed;
  beforeAll(async () => {
    bed = await openOrdersTestBed(kind);
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
