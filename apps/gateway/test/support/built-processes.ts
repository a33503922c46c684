import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, waitFor, type TestDatabase, type TestDatabaseKind } from "@honour/testing";
import { TEST_SECRET } from "./test-gateway";

const GATEWAY_MAIN = join(__dirname, "..", "..", "dist", "main.js");
const WORKER_MAIN = join(__dirname, "..", "..", "..", "worker", "dist", "main.js");

/** A `node dist/main.js` child with its output collected. */
export interface BuiltProcess {
  child: ChildProcess;
  output(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

function run(main: string, env: Record<string, string>): BuiltProcess {
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npm run build)`);
  let output = "";
  const child = spawn(process.execPath, [main], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (output += String(d)));
  child.stderr!.on("data", (d) => (output += String(d)));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface BuiltServer {
  /** The gateway's address, from its start-up banner. */
  url: string;
  gateway: BuiltProcess;
  worker: BuiltProcess | null;
  database: TestDatabase;
  /** The environment both processes were started with. */
  env: Record<string, string>;
  /** Starts the worker on the same database and settings. */
  startWorker(): BuiltProcess;
  close(): Promise<void>;
}

/**
 * The built gateway started as a user starts it (`node apps/gateway/dist/main.js`, NODE_ENV
 * unset, demo data on) on a throwaway database of the kind asked for, resolved once its banner
 * has printed the demo accounts; the worker can be started beside it.
 */
export async function startBuiltServer(
  kind: TestDatabaseKind,
  extraEnv: Record<string, string> = {},
): Promise<BuiltServer> {
  const database = await createTestDatabase(kind);
  const dataDir = mkdtempSync(join(tmpdir(), "honour-built-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOST: "127.0.0.1",
    PORT: "0",
    HONOUR_DATA_DIR: dataDir,
    HONOUR_SECRET: TEST_SECRET,
    HONOUR_DEMO_DATA: "true",
    LOG_LEVEL: "warn",
    // The fault scenarios send far more from one client IP than the site's rate limit allows.
    RATE_LIMIT_SITE_OPERATIONS: "0",
    RATE_LIMIT_SITE_COST: "0",
    ...(database.config.kind === "mysql" ? { DATABASE_URL: database.config.url } : {}),
    ...extraEnv,
  };
  const gateway = run(GATEWAY_MAIN, env);
  let worker: BuiltProcess | null = null;
  const close = async () => {
    await worker?.stop();
    await gateway.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const demoAccount = /ADMIN\s+\S+@\S+\s+password: \S+/;
    await waitFor(() => demoAccount.test(gateway.output()) || gateway.child.exitCode !== null, 90_000, 100);
    const url = /GraphQL at (http:\/\/[^/\s]+)\/graphql/.exec(gateway.output())?.[1];
    if (!url || !demoAccount.test(gateway.output())) throw new Error(`the gateway did not start:\n${gateway.output()}`);
    const server: BuiltServer = {
      url,
      gateway,
      get worker() {
        return worker;
      },
      database,
      env,
      startWorker: () => {
        worker = run(WORKER_MAIN, { ...env, WORKER_POLL_MS: "100" });
        return worker;
      },
      close,
    };
    return server;
  } catch (error) {
    await close();
    throw error;
  }
}
