import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { createConnection, type Connection } from "mysql2/promise";
import { freePort } from "./redis-server";

const MARIADBD = "/usr/sbin/mariadbd";
const INSTALL_DB = "/usr/bin/mariadb-install-db";

/**
 * A MariaDB primary and a replica of it with GTID replication, both of this test's own: the
 * machines' shared server at 3306 has no binary log, and is never restarted or reconfigured.
 */
export interface TestReplicatedMariadb {
  /** `mysql://root@127.0.0.1:<port>/<database>` of the primary. */
  primaryUrl: string;
  /** The same database on the replica. */
  replicaUrl: string;
  /** A connection straight to the primary or the replica (for markers and checks). */
  connect(server: "primary" | "replica"): Promise<Connection>;
  /** Waits until the replica has applied everything the primary has written so far. */
  caughtUp(timeoutSeconds?: number): Promise<void>;
  /** Stops replicating (the replica keeps answering, with the data it has): lag, on demand. */
  pauseReplication(): Promise<void>;
  resumeReplication(): Promise<void>;
  stop(): Promise<void>;
}

/** Why the replica tests cannot run here, or null when they can (mariadbd and mariadb-install-db present). */
export function mariadbReplicaUnavailableReason(): string | null {
  if (!existsSync(MARIADBD)) return `${MARIADBD} is not installed (Debian package mariadb-server)`;
  if (!existsSync(INSTALL_DB)) return `${INSTALL_DB} is not installed (Debian package mariadb-server)`;
  return null;
}

/**
 * Whether the replica tests run: true when MariaDB's binaries are here, and always under
 * `CI=true` (where their absence fails the tests); otherwise prints why they are skipped.
 */
export function mariadbReplicaTestsRun(): boolean {
  const reason = mariadbReplicaUnavailableReason();
  if (!reason || process.env.CI === "true") return true;
  process.stdout.write(`[skip] read-replica tests skipped: ${reason}\n`);
  return false;
}

/** Starts a primary (binary log, server id 1) and a replica (server id 2) and a database on both. */
export async function startReplicatedMariadb(database = "honour_replica_test"): Promise<TestReplicatedMariadb> {
  const reason = mariadbReplicaUnavailableReason();
  if (reason) throw new Error(`cannot start MariaDB: ${reason}`);
  const root = mkdtempSync(join(tmpdir(), "honour-replica-"));
  const servers: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(servers.map((child) => terminate(child)));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const primary = await startServer(join(root, "primary"), 1, servers, ["--log-bin=binlog", "--binlog-format=ROW"]);
    const replica = await startServer(join(root, "replica"), 2, servers, ["--read-only=ON"]);
    const connect = async (server: "primary" | "replica") =>
      createConnection({
        host: "127.0.0.1",
        port: server === "primary" ? primary : replica,
        user: "root",
        multipleStatements: true,
      });

    const r = await connect("replica");
    try {
      await r.query(
        `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary}, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1`,
      );
      await r.query("START SLAVE");
    } finally {
      await r.end();
    }
    const p = await connect("primary");
    try {
      await p.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await p.end();
    }
    const handle: TestReplicatedMariadb = {
      primaryUrl: `mysql://root@127.0.0.1:${primary}/${database}`,
      replicaUrl: `mysql://root@127.0.0.1:${replica}/${database}`,
      connect,
      async caughtUp(timeoutSeconds = 30) {
        const source = await connect("primary");
        const target = await connect("replica");
        try {
          const [[row]] = (await source.query("SELECT @@gtid_binlog_pos AS pos")) as unknown as [{ pos: string }[]];
          const [[waited]] = (await target.query("SELECT MASTER_GTID_WAIT(?, ?) AS result", [
            row!.pos,
            timeoutSeconds,
          ])) as unknown as [{ result: number }[]];
          if (Number(waited!.result) !== 0)
            throw new Error(`the replica did not reach ${row!.pos} within ${timeoutSeconds} s`);
        } finally {
          await source.end();
          await target.end();
        }
      },
      async pauseReplication() {
        const target = await connect("replica");
        await target.query("STOP SLAVE").finally(() => target.end());
      },
      async resumeReplication() {
        const target = await connect("replica");
        await target.query("START SLAVE").finally(() => target.end());
      },
      stop,
    };
    await handle.caughtUp();
    return handle;
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Initialises a data directory and starts mariadbd on a free port; resolves with the port once it answers. */
async function startServer(dir: string, serverId: number, servers: ChildProcess[], extra: string[]): Promise<number> {
  const user = userInfo().username;
  const installed = spawnSync(
    INSTALL_DB,
    [
      "--no-defaults",
      `--datadir=${dir}`,
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
      `--user=${user}`,
    ],
    { encoding: "utf8" },
  );
  if (installed.status !== 0) throw new Error(`mariadb-install-db failed: ${installed.stderr || installed.stdout}`);
  const port = await freePort();
  const child = spawn(
    MARIADBD,
    [
      "--no-defaults",
      `--datadir=${dir}`,
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      `--socket=${join(dir, "sock")}`,
      `--pid-file=${join(dir, "pid")}`,
      `--server-id=${serverId}`,
      `--user=${user}`,
      "--innodb-buffer-pool-size=32M",
      "--innodb-log-file-size=16M",
      "--max-connections=100",
      ...extra,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  servers.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mariadbd (server ${serverId}) exited: ${stderr}`);
    try {
      const probe = await createConnection({ host: "127.0.0.1", port, user: "root" });
      await probe.end();
      return port;
    } catch {
      if (Date.now() > deadline) throw new Error(`mariadbd (server ${serverId}) did not answer within 60 s: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}
