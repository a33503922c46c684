import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, Socket } from "node:net";

/** Debian's redis-server (CI installs the `redis-server` package when it is missing). */
export const REDIS_SERVER_BINARY = process.env.REDIS_SERVER_BINARY ?? "/usr/bin/redis-server";

/** A redis-server process of a test's own, on a free port, with no persistence. */
export interface TestRedisServer {
  /** `redis://127.0.0.1:<port>`, for `REDIS_URL`. */
  url: string;
  port: number;
  /** Kills the server (SIGKILL: an outage, not a shutdown) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence), and waits until it answers. */
  restart(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
}

/**
 * Why Redis tests cannot run here, or null when they can: redis-server is missing. Under `CI=true`
 * a missing server is a failure, never a skip (see {@link redisTestsOrSkip}).
 */
export function redisUnavailableReason(): string | null {
  return existsSync(REDIS_SERVER_BINARY)
    ? null
    : `${REDIS_SERVER_BINARY} is not installed (Debian package redis-server)`;
}

/**
 * Whether the Redis tests run: true when redis-server is installed, and always under `CI=true`
 * (where a missing server then fails them); otherwise prints why they are skipped and answers
 * false. Use as `(redisTestsRun() ? describe : describe.skip)(…)`.
 */
export function redisTestsRun(): boolean {
  const reason = redisUnavailableReason();
  if (!reason || process.env.CI === "true") return true;
  process.stdout.write(`[skip] Redis tests skipped: ${reason}\n`);
  return false;
}

/** Starts `redis-server --port <free> --save '' --appendonly no` and waits until it answers PING. */
export async function startRedisServer(): Promise<TestRedisServer> {
  const reason = redisUnavailableReason();
  if (reason) throw new Error(`cannot start Redis: ${reason}`);
  const port = await freePort();
  let child = await launch(port);
  const kill = async () => {
    const running = child;
    if (running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: async () => {
      await kill();
      child = await launch(port);
    },
    stop: kill,
  };
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER_BINARY,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr.trim()}`);
    if (await answersPing(port)) return child;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not answer on port ${port} within 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
    socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
  });
}

/** A TCP port nothing listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
