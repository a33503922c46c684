import { isSchemaCurrent } from "@honour/platform";
import { pendingSchemaChanges, testDatabaseKinds } from "@honour/testing";
import { openConsentTestBed, type ConsentTestBed } from "./consent-test-bed";

describe.each(testDatabaseKinds())("consent schema on %s", (kind) => {
  let bed: ConsentTestBed;
  beforeAll(async () => {
    bed = await openConsentTestBed(kind);
  });
  afterAll(() => bed?.close());

  it("is exactly what the entities describe once the migrations have run", async () => {
    expect(await pendingSchemaChanges(bed.dataSource)).toEqual([]);
    expect(await isSchemaCurrent(bed.dataSource)).toBe(true);
  });
});
