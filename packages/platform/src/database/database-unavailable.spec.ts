import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection, createPool } from "mysql2/promise";
import { QueryFailedError } from "typeorm";
import { isDatabaseUnavailable } from "./database-unavailable";

/** A port nobody listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The little of better-sqlite3 this test uses: it ships no types, and the platform reaches it through TypeORM. */
interface SqliteFile {
  pragma(statement: string): unknown;
  exec(sql: string): unknown;
  close(): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require("better-sqlite3") as new (file: string) => SqliteFile;

async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("isDatabaseUnavailable", () => {
  it("recognises a refused connection, also wrapped by TypeORM", async () => {
    const port = await freePort();
    const error = await rejection(() => createConnection({ host: "127.0.0.1", port, user: "root" }));
    expect(error).toMatchObject({ code: "ECONNREFUSED" });
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError("SELECT 1", [], error as Error))).toBe(true);
    expect(isDatabaseUnavailable(new Error("outer", { cause: error }))).toBe(true);
  });

  it("recognises mysql2's closed pool", async () => {
    const pool = createPool({ host: "127.0.0.1", port: await freePort(), user: "root" });
    await pool.end();
    const error = await rejection(() => pool.query("SELECT 1"));
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it("recognises an SQLite file another process holds past the busy timeout", () => {
    const dir = mkdtempSync(join(tmpdir(), "honour-busy-"));
    const holder = new Database(join(dir, "db.sqlite"));
    const other = new Database(join(dir, "db.sqlite"));
    try {
      holder.pragma("journal_mode = WAL");
      holder.exec("CREATE TABLE t (n INTEGER)");
      other.pragma("busy_timeout = 0");
      holder.exec("BEGIN IMMEDIATE");
      holder.exec("INSERT INTO t VALUES (1)");
      let error: unknown;
      try {
        other.exec("INSERT INTO t VALUES (2)");
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ code: "SQLITE_BUSY" });
      expect(isDatabaseUnavailable(new QueryFailedError("INSERT", [], error as Error))).toBe(true);
      // A wrong statement on the same file is a defect, not an outage.
      let wrong: unknown;
      try {
        other.exec("INSERT INTO missing VALUES (1)");
      } catch (caught) {
        wrong = caught;
      }
      expect(wrong).toMatchObject({ code: "SQLITE_ERROR" });
      expect(isDatabaseUnavailable(wrong)).toBe(false);
    } finally {
      holder.close();
      other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("does not take other errors for an outage", () => {
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error("Duplicate entry"), { code: "ER_DUP_ENTRY" }))).toBe(false);
  });

  const serverUrl = process.env.TEST_DATABASE_URL;
  (serverUrl ? it : it.skip)("does not take an SQL error from a live server for an outage", async () => {
    const url = new URL(serverUrl!);
    const connection = await createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: url.username,
    });
    try {
      const error = await rejection(() => connection.query("SELEC 1"));
      expect(error).toMatchObject({ code: "ER_PARSE_ERROR" });
      expect(isDatabaseUnavailable(error)).toBe(false);
    } finally {
      await connection.end();
    }
  });
});
