import { isSchemaCurrent } from "@honour/platform";
import { pendingSchemaChanges, testDatabaseKinds } from "@honour/testing";
import { openPrivacyTestBed, type PrivacyTestBed } from "./privacy-test-bed";

describe.each(testDatabaseKinds())("privacy schema on %s", (kind) => {
  let bed: PrivacyTestBed;
  beforeAll(async () => {
    bed = await openPrivacyTestBed(kind);
  });
  afterAll(() => bed?.close());

  it("is exactly what the entities describe once the migrations have run", async () => {
    expect(await pendingSchemaChanges(bed.dataSource)).toEqual([]);
    expect(await isSchemaCurrent(bed.dataSource)).toBe(true);
  });
});
