import { createTestDatabase, testDatabaseKinds, type TestDatabase } from "@honour/testing";
import { Column, Entity, PrimaryColumn, QueryFailedError, type DataSource } from "typeorm";
import { QueryResult } from "typeorm/query-runner/QueryResult";
import { systemClock } from "../clock/clock";
import { RequestContext } from "../context/request-context";
import { MAX_PREPARED_STATEMENTS_PER_CONNECTION, openDataSource } from "./data-source";
import { runPrepared } from "./prepared";

@Entity("prepared_thing")
class PreparedThing {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ type: "int" })
  count!: number;

  @Column({ type: "boolean" })
  flag!: boolean;

  @Column({ type: "datetime", precision: 3, nullable: true })
  at!: Date | null;

  @Column({ type: "varchar", length: 50, nullable: true })
  note!: string | null;

  @Column({ type: "decimal", precision: 10, scale: 2, default: "0.00" })
  amount!: string;
}

describe.each(testDatabaseKinds())("runPrepared on %s", (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let ctx: RequestContext;
  const AT = new Date("2026-03-04T05:06:07.089Z");

  beforeAll(async () => {
    // A throwaway database, opened as the apps open theirs (the pool's settings included).
    database = await createTestDatabase(kind);
    ({ dataSource } = await openDataSource(database.config, { entities: [PreparedThing], migrations: [] }));
    await dataSource.synchronize();
    ctx = new RequestContext(dataSource, { kind: "system", name: "test" }, systemClock);
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.drop();
  });

  beforeEach(() => dataSource.manager.clear(PreparedThing));

  const insert = `INSERT INTO prepared_thing (id, count, flag, at, note, amount) VALUES (?, ?, ?, ?, ?, ?)`;
  const columns = ["count", "flag", "at", "note", "amount"].map((name) => ({
    name,
    column: () => dataSource.getMetadata(PreparedThing).findColumnWithPropertyName(name)!,
  }));
  const persisted = (values: Record<string, unknown>) =>
    columns.map(({ name, column }) => dataSource.driver.preparePersistentValue(values[name], column()));

  it("writes and reads back the same rows as TypeORM's own query, types and all", async () => {
    await runPrepared(ctx, insert, ["a", ...persisted({ count: 7, flag: true, at: AT, note: "x", amount: "12.50" })]);
    // undefined is written as NULL, as the text protocol did (mysql2's execute refuses it).
    await runPrepared(ctx, insert, [
      "b",
      ...persisted({ count: -3, flag: false, at: null, note: undefined, amount: "0" }),
    ]);
    const select = "SELECT * FROM prepared_thing WHERE count > ? ORDER BY id";
    const prepared = await runPrepared<Record<string, unknown>[]>(ctx, select, [-10]);
    const text = await dataSource.manager.query(select, [-10]);
    expect(prepared).toEqual(text);
    expect(prepared).toHaveLength(2);
    const things = await dataSource.manager.find(PreparedThing, { order: { id: "ASC" } });
    // A DECIMAL is a string from MySQL/MariaDB (exact), a number from SQLite (which has none).
    const [amountA, amountB] = kind === "mysql" ? ["12.50", "0.00"] : [12.5, 0];
    expect(things.map((t) => ({ ...t }))).toEqual([
      { id: "a", count: 7, flag: true, at: AT, note: "x", amount: amountA },
      { id: "b", count: -3, flag: false, at: null, note: null, amount: amountB },
    ]);
  });

  it("binds integers for LIMIT and dates for comparisons", async () => {
    for (const id of ["a", "b", "c"])
      await runPrepared(ctx, insert, [id, ...persisted({ count: 1, flag: true, at: AT, note: null, amount: "1" })]);
    const page = await runPrepared<{ id: string }[]>(
      ctx,
      "SELECT id FROM prepared_thing ORDER BY id DESC LIMIT ?",
      [2],
    );
    expect(page.map((r) => r.id)).toEqual(["c", "b"]);
    const at = columns.find((c) => c.name === "at")!.column();
    const before = dataSource.driver.preparePersistentValue(new Date(AT.getTime() - 1), at);
    const after = dataSource.driver.preparePersistentValue(new Date(AT.getTime() + 1), at);
    expect(await runPrepared<unknown[]>(ctx, "SELECT id FROM prepared_thing WHERE at > ?", [before])).toHaveLength(3);
    expect(await runPrepared<unknown[]>(ctx, "SELECT id FROM prepared_thing WHERE at > ?", [after])).toHaveLength(0);
  });

  it("says how many rows a write changed with a structured result", async () => {
    for (const id of ["a", "b"])
      await runPrepared(ctx, insert, [id, ...persisted({ count: 1, flag: true, at: null, note: null, amount: "1" })]);
    const update = "UPDATE prepared_thing SET note = ? WHERE count = ? AND note IS NULL";
    const first = await runPrepared<QueryResult>(ctx, update, ["set", 1], true);
    expect(first).toBeInstanceOf(QueryResult);
    expect(first.affected).toBe(2);
    expect((await runPrepared<QueryResult>(ctx, update, ["again", 1], true)).affected).toBe(0);
  });

  it("expands an array parameter as TypeORM's query does", async () => {
    for (const id of ["a", "b", "c"])
      await runPrepared(ctx, insert, [id, ...persisted({ count: 1, flag: true, at: null, note: null, amount: "1" })]);
    if (kind !== "mysql") return; // SQLite binds no arrays; only mysql2's text protocol expands them
    const rows = await runPrepared<{ id: string }[]>(ctx, "SELECT id FROM prepared_thing WHERE id IN (?) ORDER BY id", [
      ["a", "c"],
    ]);
    expect(rows.map((r) => r.id)).toEqual(["a", "c"]);
  });

  it("is logged like any query, and fails with a QueryFailedError naming the statement", async () => {
    const logged: string[] = [];
    const logger = dataSource.logger;
    const original = logger.logQuery.bind(logger);
    logger.logQuery = (query, parameters, runner) => {
      logged.push(query);
      return original(query, parameters, runner);
    };
    try {
      await runPrepared(ctx, "SELECT id FROM prepared_thing WHERE id = ?", ["a"]);
    } finally {
      logger.logQuery = original;
    }
    expect(logged).toEqual(["SELECT id FROM prepared_thing WHERE id = ?"]);
    const failure = runPrepared(ctx, "SELECT nothing FROM prepared_thing WHERE id = ?", ["a"]);
    await expect(failure).rejects.toBeInstanceOf(QueryFailedError);
    await expect(failure).rejects.toMatchObject({ query: "SELECT nothing FROM prepared_thing WHERE id = ?" });
  });

  it("tells the data source's subscribers before and after each statement, as TypeORM's query does", async () => {
    const seen: string[] = [];
    const subscriber = {
      beforeQuery: (event: { query: string }) => void seen.push(`before ${event.query}`),
      afterQuery: (event: { query: string; success: boolean }) => void seen.push(`after ${event.success}`),
    };
    dataSource.subscribers.push(subscriber);
    try {
      await runPrepared(ctx, "SELECT id FROM prepared_thing WHERE id = ?", ["a"]);
      await runPrepared(ctx, "SELECT nothing FROM prepared_thing", []).catch(() => undefined);
    } finally {
      dataSource.subscribers.splice(dataSource.subscribers.indexOf(subscriber), 1);
    }
    expect(seen).toEqual([
      "before SELECT id FROM prepared_thing WHERE id = ?",
      "after true",
      "before SELECT nothing FROM prepared_thing",
      "after false",
    ]);
  });

  it("runs in the caller's transaction, and a rollback undoes its writes", async () => {
    await expect(
      ctx.transaction(async (tx) => {
        await runPrepared(tx, insert, ["t", ...persisted({ count: 1, flag: true, at: null, note: null, amount: "1" })]);
        const inside = await runPrepared<unknown[]>(tx, "SELECT id FROM prepared_thing WHERE id = ?", ["t"]);
        expect(inside).toHaveLength(1);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await dataSource.manager.count(PreparedThing)).toBe(0);
  });

  if (kind === "mysql") {
    it("runs as a server-side prepared statement, prepared once per connection", async () => {
      await ctx.transaction(async (tx) => {
        // Session counters of the transaction's one connection.
        const status = async () => {
          const rows: { Variable_name: string; Value: string }[] = await tx.manager.query(
            "SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute')",
          );
          return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
        };
        const before = await status();
        for (const id of ["x", "y", "z"])
          await runPrepared(tx, "SELECT id FROM prepared_thing WHERE id = ? AND ? = ?", [id, 1, 1]);
        const after = await status();
        expect(after.Com_stmt_execute! - before.Com_stmt_execute!).toBe(3);
        expect(after.Com_stmt_prepare! - before.Com_stmt_prepare!).toBe(1);
      });
    });

    it("keeps at most MAX_PREPARED_STATEMENTS_PER_CONNECTION statements open on each pooled connection", () => {
      const { pool } = dataSource.driver as unknown as {
        pool: { config: { connectionConfig: { maxPreparedStatements: number } } };
      };
      expect(pool.config.connectionConfig.maxPreparedStatements).toBe(MAX_PREPARED_STATEMENTS_PER_CONNECTION);
    });
  }
});
