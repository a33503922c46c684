import { isSchemaCurrent } from "@honour/platform";
import { pendingSchemaChanges, testDatabaseKinds } from "@honour/testing";
import { openOrdersTestBed, type OrdersTestBed } from "./orders-test-bed";

describe.each(testDatabaseKinds())("orders schema on %s", (kind) => {
  let bed: OrdersTestBed;
  beforeAll(async () => {
    bed = await openOrdersTestBed(kind);
  });
  afterAll(() => bed?.close());

  it("is exactly what the entities describe once the migrations have run", async () => {
    expect(await pendingSchemaChanges(bed.db.dataSource)).toEqual([]);
    expect(await isSchemaCurrent(bed.db.dataSource)).toBe(true);
  });
});
