import { isSchemaCurrent } from "@honour/platform";
import { pendingSchemaChanges, testDatabaseKinds } from "@honour/testing";
import { openUsersTestBed, type UsersTestBed } from "./users-test-bed";

describe.each(testDatabaseKinds())("schema on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());

  it("is exactly what the entities describe once the migrations have run", async () => {
    expect(await pendingSchemaChanges(bed.db.dataSource)).toEqual([]);
    expect(await isSchemaCurrent(bed.db.dataSource)).toBe(true);
  });
});
