import { DataSource, QueryFailedError } from "typeorm";
import { isDuplicateKeyError } from "./duplicate-key";

/** What running `sql` on a fresh SQLite database throws: TypeORM's error, better-sqlite3's inside. */
async function sqliteError(sql: string): Promise<QueryFailedError> {
  const db = new DataSource({ type: "better-sqlite3", database: ":memory:" });
  await db.initialize();
  try {
    await db.query("CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT NOT NULL)");
    await db.query("INSERT INTO t (id, email, name) VALUES (1, 'a@example.org', 'A')");
    await db.query(sql);
  } catch (error) {
    return error as QueryFailedError;
  } finally {
    await db.destroy();
  }
  throw new Error("expected an error");
}

describe("isDuplicateKeyError", () => {
  it("recognises MySQL/MariaDB's duplicate entry by code and by errno, also wrapped by TypeORM", () => {
    const mysql = Object.assign(new Error("Duplicate entry 'a' for key 'email'"), {
      code: "ER_DUP_ENTRY",
      errno: 1062,
    });
    expect(isDuplicateKeyError(mysql)).toBe(true);
    expect(isDuplicateKeyError(new QueryFailedError("INSERT", [], mysql))).toBe(true);
    expect(isDuplicateKeyError({ errno: 1062 })).toBe(true);
    expect(isDuplicateKeyError({ driverError: { code: "ER_DUP_ENTRY" } })).toBe(true);
  });

  it("recognises SQLite's unique index and primary key violations, wrapped by TypeORM or not", async () => {
    const unique = await sqliteError("INSERT INTO t (id, email, name) VALUES (2, 'a@example.org', 'B')");
    const primary = await sqliteError("INSERT INTO t (id, email, name) VALUES (1, 'b@example.org', 'B')");
    expect(unique.driverError).toMatchObject({ code: "SQLITE_CONSTRAINT_UNIQUE" });
    expect(primary.driverError).toMatchObject({ code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
    for (const error of [unique, primary]) {
      expect(isDuplicateKeyError(error)).toBe(true);
      expect(isDuplicateKeyError(error.driverError)).toBe(true);
    }
    expect(isDuplicateKeyError({ code: "SQLITE_CONSTRAINT", message: "UNIQUE constraint failed: t.email" })).toBe(true);
  });

  it("answers false for other constraint failures and other errors", async () => {
    const notNull = await sqliteError("INSERT INTO t (id, email) VALUES (3, 'c@example.org')");
    expect(notNull.driverError).toMatchObject({ code: "SQLITE_CONSTRAINT_NOTNULL" });
    expect(isDuplicateKeyError(notNull)).toBe(false);
    expect(isDuplicateKeyError({ code: "SQLITE_CONSTRAINT", message: "NOT NULL constraint failed: t.name" })).toBe(
      false,
    );
    expect(isDuplicateKeyError({ code: "ER_LOCK_DEADLOCK", errno: 1213 })).toBe(false);
    expect(isDuplicateKeyError(new Error("boom"))).toBe(false);
    expect(isDuplicateKeyError(undefined)).toBe(false);
    expect(isDuplicateKeyError("ER_DUP_ENTRY")).toBe(false);
  });
});
