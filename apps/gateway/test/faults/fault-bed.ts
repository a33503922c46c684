import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection, type Connection } from "mysql2/promise";
import {
  FaultProxy,
  createTestDatabase,
  hostAndPort,
  printFaultFigures,
  sleep,
  useMysqlUrl,
  type TestDatabase,
} from "@honour/testing";
import { TEST_SECRET } from "../support/test-gateway";

/**
 * What the gateway's fault scenarios share: the built gateway as a process, started the way the
 * README tells a user (`DATABASE_URL=mysql://…`, production settings), on a throwaway MariaDB
 * database reached through a {@link FaultProxy}; a direct connection for counting; and the one
 * line of figures each scenario prints.
 */

const MAIN = join(__dirname, "..", "..", "dist", "main.js");

/** The site the beacons name: `PUBLIC_URL`'s host, so the statistics count them. */
export const SITE_URL = "http://shop.honour.test";
export const ADMIN = { email: "admin@honour.test", password: "admin-password-123" };

export interface FaultBed {
  proxy: FaultProxy;
  database: TestDatabase;
  /** A connection to the throwaway database that bypasses the proxy. */
  direct: Connection;
  gateway: GatewayProcess;
  close(): Promise<void>;
}

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<{ code: number | null; at: number }>;
}

/** Starts the built gateway with `env` and waits until it says it is ready. */
export async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  let output = "";
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: "pipe" });
  child.stdout!.on("data", (d) => (output += String(d)));
  child.stderr!.on("data", (d) => (output += String(d)));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on("exit", (code) => resolve({ code, at: performance.now() })),
  );
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the gateway did not start:\n${output}`);
    }
    url = /GraphQL at (http:\/\/[^/\s]+)\/graphql/.exec(output)?.[1];
    await sleep(100);
  }
  return { child, url, output: () => output, exited };
}

/** A throwaway MariaDB database behind a fault proxy, and the built gateway on it. */
export async function openFaultBed(env: Record<string, string> = {}): Promise<FaultBed> {
  // The machines' MariaDB unless told otherwise, always addressed as users write it.
  useMysqlUrl();
  const database = await createTestDatabase("mysql");
  const url = new URL((database.config as { url: string }).url);
  const proxy = await FaultProxy.start(hostAndPort(url.toString()));
  const dataDir = mkdtempSync(join(tmpdir(), "honour-fault-"));
  const direct = await createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
  });
  const viaProxy = new URL(url.toString());
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  let gateway: GatewayProcess;
  try {
    gateway = await startGatewayProcess({
      NODE_ENV: "production",
      DATABASE_URL: viaProxy.toString(),
      HONOUR_SECRET: TEST_SECRET,
      HONOUR_DATA_DIR: dataDir,
      HOST: "127.0.0.1",
      PORT: "0",
      PUBLIC_URL: SITE_URL,
      HONOUR_ADMIN_EMAIL: ADMIN.email,
      HONOUR_ADMIN_PASSWORD: ADMIN.password,
      LOG_LEVEL: "error",
      ...env,
    });
  } catch (error) {
    await direct.end();
    await proxy.close();
    await database.drop();
    throw error;
  }
  return {
    proxy,
    database,
    direct,
    gateway,
    close: async () => {
      if (gateway.child.exitCode === null) {
        gateway.child.kill("SIGKILL");
        await gateway.exited;
      }
      await direct.end();
      await proxy.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
  /** Set when no answer came: the socket error's code. */
  error?: string;
}

/** One HTTP request (keep-alive through `agent`), answered or failed; never rejects. */
export function send(
  agent: Agent,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        agent,
        method: options.method ?? "GET",
        headers: {
          ...(options.body !== undefined ? { "content-length": String(Buffer.byteLength(options.body)) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }),
        );
        res.on("error", (e: NodeJS.ErrnoException) =>
          resolve({ status: 0, headers: {}, body, ms: performance.now() - started, error: e.code ?? e.message }),
        );
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () =>
      req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })),
    );
    req.on("error", (e: NodeJS.ErrnoException) =>
      resolve({ status: 0, headers: {}, body: "", ms: performance.now() - started, error: e.code ?? e.message }),
    );
    req.end(options.body);
  });
}

/** Prints a scenario's one line of figures (copied to the README's Reliability table). */
export function printFigures(scenario: string, figures: Record<string, string | number | boolean>): void {
  printFaultFigures("gateway", scenario, figures);
}

export { sleep };

/** The page-view beacon of page `path`, as a browser sends it. */
export function beacon(path: string): { headers: Record<string, string>; body: string } {
  return {
    headers: {
      "content-type": "text/plain;charset=UTF-8",
      "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    },
    body: JSON.stringify({ url: `${SITE_URL}${path}`, referrer: null }),
  };
}

/** Raw page views per path in the throwaway database (read past the proxy). */
export async function countViews(direct: Connection): Promise<Map<string, number>> {
  const [rows] = await direct.query("SELECT `path`, COUNT(*) AS n FROM `stats_page_view` GROUP BY `path`");
  return new Map((rows as { path: string; n: number | string }[]).map((r) => [r.path, Number(r.n)]));
}
