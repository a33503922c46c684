import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabaseKind } from "@honour/testing";

/** The built gateway; turbo builds it first (`@honour/gateway` is a devDependency of this package). */
const MAIN = join(__dirname, "..", "..", "..", "..", "apps", "gateway", "dist", "main.js");

export const ADMIN = { email: "admin@client.honour.test", password: "admin-password-client-123" };

export interface GatewayProcess {
  /** The GraphQL endpoint: http://127.0.0.1:<port>/graphql. */
  url: string;
  output(): string;
  close(): Promise<void>;
}

/**
 * Starts the built gateway as a process on a random port over SQLite (or a throwaway MariaDB
 * database) in a throwaway data directory,
 * with demo data and an ADMIN account, and waits for its "GraphQL at …" line.
 */
export async function startGateway(
  kind: TestDatabaseKind = "sqlite",
  extraEnv: Record<string, string> = {},
): Promise<GatewayProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the gateway first (npx turbo run build)`);
  // On MariaDB a throwaway database per run, as @honour/testing makes them for every package's tests.
  const database = kind === "mysql" ? await createTestDatabase("mysql") : null;
  const dataDir = mkdtempSync(join(tmpdir(), "honour-client-"));
  let output = "";
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: "0",
      HONOUR_DATA_DIR: dataDir,
      HONOUR_SECRET: "client-test-secret-0123456789-abcdefghij",
      HONOUR_DEMO_DATA: "true",
      HONOUR_ADMIN_EMAIL: ADMIN.email,
      HONOUR_ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: "error",
      ...(database?.config.kind === "mysql" ? { DATABASE_URL: database.config.url } : {}),
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk) => (output += String(chunk)));
  child.stderr!.on("data", (chunk) => (output += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /GraphQL at (http:\/\/\S+\/graphql)/.exec(output)?.[1];
    if (url) return { url, output: () => output, close };
    if (child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`the gateway did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
