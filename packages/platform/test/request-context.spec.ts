import { openTestDataSource, testDatabaseKinds, type TestDataSource } from "@honour/testing";
import { JobEntity, ManualClock, platformModule, RequestContext, Role, SqlJobQueue } from "../src";
import { sleep, systemContext } from "./job-fixtures";

describe.each(testDatabaseKinds())("RequestContext transactions on %s", (kind) => {
  let db: TestDataSource;
  let queue: SqlJobQueue;
  const clock = new ManualClock("2026-03-01T10:00:00.000Z");

  beforeAll(async () => {
    db = await openTestDataSource(kind, [platformModule]);
    queue = new SqlJobQueue(db.dataSource, clock);
  });
  afterAll(() => db.close());
  beforeEach(() => db.dataSource.getRepository(JobEntity).clear());

  const ctx = () => systemContext(db.dataSource, clock);
  const names = async () => (await db.dataSource.manager.find(JobEntity)).map((j) => j.name).sort();

  it("commits or rolls back each of several overlapping transactions on its own", async () => {
    const results = await Promise.allSettled([
      ctx().transaction(async (tx) => {
        await queue.enqueue(tx, "kept-1", {});
        await sleep(30);
      }),
      ctx().transaction(async (tx) => {
        await queue.enqueue(tx, "rolled-back", {});
        await sleep(10);
        throw new Error("rollback");
      }),
      ctx().transaction(async (tx) => {
        await sleep(5);
        await queue.enqueue(tx, "kept-2", {});
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(await names()).toEqual(["kept-1", "kept-2"]);
  });

  it("joins the transaction already open, so an outer rollback undoes the inner work", async () => {
    await expect(
      ctx().transaction(async (tx) => {
        expect(tx.inTransaction).toBe(true);
        await tx.transaction(async (inner) => {
          expect(inner.manager).toBe(tx.manager);
          await queue.enqueue(inner, "inner", {});
        });
        throw new Error("rollback");
      }),
    ).rejects.toThrow(Error);
    expect(await names()).toEqual([]);
  });

  it("keeps the transaction when acting as someone else", async () => {
    await ctx().transaction(async (tx) => {
      const asUser = tx.withActor({ kind: "user", userId: "u1", role: Role.CUSTOMER, sessionId: "s1" });
      expect(asUser.inTransaction).toBe(true);
      expect(asUser.manager).toBe(tx.manager);
      expect(asUser.userId).toBe("u1");
    });
  });

  it("opens a transaction from a fresh context inside another's flow without waiting for itself", async () => {
    await ctx().transaction(async (outer) => {
      await queue.enqueue(outer, "outer", {});
      await new RequestContext(db.dataSource, { kind: "system", name: "nested" }, clock).transaction((inner) =>
        queue.enqueue(inner, "inner", {}),
      );
    });
    expect(await names()).toEqual(["inner", "outer"]);
  });

  it("is not in a transaction outside one", () => {
    expect(ctx().inTransaction).toBe(false);
    expect(ctx().userId).toBeUndefined();
  });
});
