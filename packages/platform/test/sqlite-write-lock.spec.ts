import { openTestDataSource, type TestDataSource } from "@honour/testing";
import { JobEntity, ManualClock, platformModule, SqlJobQueue } from "../src";
import { otherSqliteConnection, systemContext, type OtherSqliteConnection } from "./job-fixtures";

/**
 * The gateway and the worker share the embedded SQLite file. A transaction that read before
 * another process wrote could not write afterwards (SQLITE_BUSY_SNAPSHOT at once, whatever the
 * busy timeout): an order failed at its first INSERT while the worker sent mail.
 */
describe("transactions on the shared SQLite file", () => {
  let db: TestDataSource;
  let other: OtherSqliteConnection;
  const clock = new ManualClock("2026-03-01T10:00:00.000Z");

  beforeAll(async () => {
    db = await openTestDataSource("sqlite", [platformModule]);
    // The other process: its own connection to the file (better-sqlite3, as TypeORM loaded it),
    // which gives up at once when it must wait.
    other = otherSqliteConnection(db);
  });
  afterAll(async () => {
    other?.close();
    await db?.close();
  });

  it("writes after reading even when another connection wanted to write in between", async () => {
    const queue = new SqlJobQueue(db.dataSource, clock);
    const table = db.dataSource.getMetadata(JobEntity).tableName;
    let otherWrite = "";
    await systemContext(db.dataSource, clock).transaction(async (tx) => {
      await tx.manager.count(JobEntity);
      try {
        other.prepare(`DELETE FROM "${table}" WHERE name = 'none'`).run();
        otherWrite = "written";
      } catch (error) {
        otherWrite = (error as { code?: string }).code ?? "failed";
      }
      await queue.enqueue(tx, "after-read", {});
    });
    // The transaction held the write lock from its start: the other writer had to wait its turn.
    expect(otherWrite).toBe("SQLITE_BUSY");
    expect((await db.dataSource.manager.find(JobEntity)).map((j) => j.name)).toEqual(["after-read"]);
  });
});
