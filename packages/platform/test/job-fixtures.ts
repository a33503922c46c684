import type { TestDataSource } from "@honour/testing";
import type { DataSource } from "typeorm";
import { JobEntity, JobStatus, RequestContext, type Clock, type Logger } from "../src";

/** The part of a better-sqlite3 connection the SQLite tests use. */
export interface OtherSqliteConnection {
  exec(sql: string): unknown;
  prepare(sql: string): { run(): unknown };
  close(): void;
}

/**
 * Another process's connection to a SQLite test database's file (the worker beside a gateway):
 * better-sqlite3, as TypeORM loaded it, giving up at once when it must wait.
 */
export function otherSqliteConnection(db: TestDataSource): OtherSqliteConnection {
  const config = db.database.config;
  if (config.kind !== "sqlite") throw new Error("a SQLite test");
  const { sqlite } = db.dataSource.driver as unknown as {
    sqlite: new (path: string, options: object) => OtherSqliteConnection;
  };
  return new sqlite(config.path, { timeout: 0 });
}

/** A context acting as the system, outside any transaction. */
export function systemContext(dataSource: DataSource, clock: Clock): RequestContext {
  return new RequestContext(dataSource, { kind: "system", name: "test" }, clock);
}

export function findJob(dataSource: DataSource, id: string): Promise<JobEntity> {
  return dataSource.manager.findOneByOrFail(JobEntity, { id });
}

export async function jobsByStatus(dataSource: DataSource): Promise<Record<JobStatus, number>> {
  const counts = { PENDING: 0, RUNNING: 0, DONE: 0, DEAD: 0 } as Record<JobStatus, number>;
  for (const job of await dataSource.manager.find(JobEntity)) counts[job.status] += 1;
  return counts;
}

/** Polls `check` until it returns a truthy value; fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 5000,
  everyMs = 10,
): Promise<Exclude<T, false | null | undefined | 0 | "">> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | null | undefined | 0 | "">;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A logger that keeps what it was told, so tests can assert on levels (never on wording). */
export class RecordingLogger implements Logger {
  readonly entries: { level: "info" | "warn" | "error" | "debug"; obj: object | string }[] = [];
  info(obj: object | string): void {
    this.entries.push({ level: "info", obj });
  }
  warn(obj: object | string): void {
    this.entries.push({ level: "warn", obj });
  }
  error(obj: object | string): void {
    this.entries.push({ level: "error", obj });
  }
  debug(obj: object | string): void {
    this.entries.push({ level: "debug", obj });
  }
}
