import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from "@honour/testing";
import {
  openDataSource,
  JobEntity,
  JobStatus,
  migrateSchema,
  RequestContext,
  SqlJobQueue,
  systemClock,
  type DatabaseConfig,
  type EnqueueOptions,
} from "@honour/platform";
import { moduleDefinitions } from "@honour/composition";
import type { DataSource } from "typeorm";
import { TEST_JOB_RUN_TABLE, type TestJobRunEvent } from "../src/test-jobs";

const MAIN = join(__dirname, "..", "dist", "main.js");

/** Short periods so that a dead worker is noticed in well under a second. */
export const FAST_WORKER_ENV = {
  WORKER_POLL_MS: "20",
  WORKER_HEARTBEAT_MS: "50",
  WORKER_STALE_AFTER_MS: "400",
  WORKER_SHUTDOWN_GRACE_MS: "3000",
  WORKER_BACKOFF_BASE_MS: "20",
  WORKER_SCHEMA_POLL_MS: "50",
} as const;

export interface LogLine {
  level: number;
  event?: string;
  msg: string;
  [key: string]: unknown;
}

/** A real `node dist/main.js` process, with its JSON log lines collected as they arrive. */
export class WorkerProcess {
  readonly logs: LogLine[] = [];
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private listeners: (() => void)[] = [];

  constructor(env: Record<string, string>) {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the worker first (npm run build)`);
    this.child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
    let pending = "";
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop()!;
      for (const line of lines.filter(Boolean)) this.logs.push(JSON.parse(line) as LogLine);
      this.listeners.forEach((notify) => notify());
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
      this.listeners.forEach((notify) => notify());
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => this.listeners.forEach((notify) => notify()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the first log line with this `event`; fails if the process exits first. */
  waitForEvent(event: string, timeoutMs = 15_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.logs.find((l) => l.event === event);
        if (line) return done(() => resolve(line));
        if (!this.running) done(() => reject(new Error(`worker exited before "${event}":\n${this.describe()}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no "${event}" within ${timeoutMs} ms:\n${this.describe()}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        settle();
      };
      this.listeners.push(check);
      check();
    });
  }

  /** The output so far, for failure messages. */
  describe(): string {
    return [...this.logs.map((l) => JSON.stringify(l)), this.stderr].join("\n").slice(-4000);
  }

  /** Stops the process however it is (for cleanup after a failed test). */
  async dispose(): Promise<void> {
    if (this.running) this.kill("SIGKILL");
    await this.exited;
  }
}

export interface JobRun {
  jobId: string;
  pid: number;
  attempt: number;
  event: TestJobRunEvent;
}

/**
 * A throwaway database for worker processes: migrated by the test (the worker never migrates),
 * with the table the test jobs record their runs in, and a queue to enqueue through.
 */
export class WorkerTestDatabase {
  private readonly workers: WorkerProcess[] = [];

  private constructor(
    readonly kind: TestDatabaseKind,
    private readonly dataDir: string,
    private readonly database: DatabaseConfig,
    readonly dataSource: DataSource,
    private readonly drop: () => Promise<void>,
  ) {}

  /** An empty database; call {@link migrate} to give it the schema. */
  static async create(kind: TestDatabaseKind): Promise<WorkerTestDatabase> {
    const dataDir = mkdtempSync(join(tmpdir(), "honour-worker-"));
    let database: DatabaseConfig;
    let server: TestDatabase | undefined;
    if (kind === "mysql") {
      server = await createTestDatabase("mysql");
      database = server.config;
    } else {
      // The worker finds the embedded database at HONOUR_DATA_DIR/honour.sqlite.
      database = { kind: "sqlite", path: join(dataDir, "honour.sqlite") };
    }
    // Exactly the tables the worker waits for.
    const modules = moduleDefinitions;
    const { dataSource } = await openDataSource(database, {
      entities: modules.flatMap((m) => m.entities),
      migrations: modules.flatMap((m) => m.migrations),
      poolSize: 4,
    });
    return new WorkerTestDatabase(kind, dataDir, database, dataSource, async () => {
      await server?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });
  }

  async migrate(): Promise<void> {
    await migrateSchema(this.dataSource);
    await this.dataSource.query(TEST_JOB_RUN_TABLE);
  }

  /** Starts `node dist/main.js` on this database with the test jobs and fast periods. */
  startWorker(env: Record<string, string> = {}): WorkerProcess {
    const worker = new WorkerProcess({
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      HONOUR_DATA_DIR: this.dataDir,
      HONOUR_SECRET: "worker-e2e-secret-that-is-long-enough",
      LOG_LEVEL: "info",
      HONOUR_WORKER_TEST_JOBS: "true",
      ...(this.database.kind === "mysql" ? { DATABASE_URL: this.database.url } : {}),
      ...FAST_WORKER_ENV,
      ...env,
    });
    this.workers.push(worker);
    return worker;
  }

  enqueue(name: string, payload: Record<string, unknown> = {}, options: EnqueueOptions = {}): Promise<string | null> {
    const ctx = new RequestContext(this.dataSource, { kind: "system", name: "e2e-test" }, systemClock);
    return new SqlJobQueue(this.dataSource, systemClock).enqueue(ctx, name, payload, options);
  }

  job(id: string): Promise<JobEntity> {
    return this.dataSource.manager.findOneByOrFail(JobEntity, { id });
  }

  countJobs(status: JobStatus, name?: string): Promise<number> {
    return this.dataSource.manager.countBy(JobEntity, name ? { status, name } : { status });
  }

  async runs(): Promise<JobRun[]> {
    const rows: JobRun[] = await this.dataSource.query("SELECT jobId, pid, attempt, event FROM test_job_run");
    return rows.map((r) => ({ ...r, pid: Number(r.pid), attempt: Number(r.attempt) }));
  }

  /** Kills any worker still running, closes the connection and removes the database. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.dispose()));
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.drop();
  }
}

export { waitFor } from "@honour/testing";
