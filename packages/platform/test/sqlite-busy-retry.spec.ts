import { openTestDataSource, type TestDataSource } from "@honour/testing";
import { JobEntity, ManualClock, platformModule, SqlJobQueue } from "../src";
import { otherSqliteConnection, systemContext, type OtherSqliteConnection } from "./job-fixtures";

/**
 * better-sqlite3 waits for a locked file in a synchronous busy handler, on the event loop: while
 * the worker held the embedded SQLite file, a gateway write stopped every other request, timers
 * included, for as long as the busy timeout.
 */
describe("a write to the shared SQLite file while another connection holds it", () => {
  let db: TestDataSource;
  let other: OtherSqliteConnection;
  const clock = new ManualClock("2026-03-01T10:00:00.000Z");

  beforeAll(async () => {
    db = await openTestDataSource("sqlite", [platformModule]);
    // The other process (the worker): its own connection to the file.
    other = otherSqliteConnection(db);
  });
  afterAll(async () => {
    other?.close();
    await db?.close();
  });

  it("waits without blocking the event loop, and writes once the lock is released", async () => {
    other.exec("BEGIN IMMEDIATE");
    let settled = false;
    const write = new SqlJobQueue(db.dataSource, clock)
      .enqueue(systemContext(db.dataSource, clock), "after-the-lock", {})
      .finally(() => (settled = true));
    // The other connection gives the lock up from a timer: it can only fire while the event loop
    // runs, which a synchronous busy wait would not let it do until the write had failed.
    let writePendingWhenTimerFired: boolean | undefined;
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        writePendingWhenTimerFired = !settled;
        other.exec("COMMIT");
        resolve();
      }, 50),
    );
    expect(writePendingWhenTimerFired).toBe(true);
    const id = await write;
    expect((await db.dataSource.manager.find(JobEntity)).map((j) => [j.id, j.name])).toEqual([[id, "after-the-lock"]]);
  });
});
