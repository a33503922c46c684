import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import type { DataSource } from "typeorm";

/**
 * What the worker's fault scenarios share: the MariaDB server addressed the way a user writes it,
 * periods short enough for a run of a few minutes yet long enough for two busy cores, bulk
 * inserts for seeding, a real SMTP peer and the one line of figures each scenario prints.
 */

/** The server of `TEST_DATABASE_URL` (or the machines' MariaDB), always through `mysql://`. */
export function useMysqlUrl(): void {
  const url = process.env.TEST_DATABASE_URL ?? "mysql://root@127.0.0.1:3306/test";
  process.env.TEST_DATABASE_URL = url.replace(/^mariadb:/, "mysql:");
}

/**
 * A dead worker's job is freed 2 s after its last heartbeat. Heartbeats every 200 ms leave room
 * for a loaded machine: a live worker is never mistaken for a dead one, which would be a double
 * run this suite would count against the product.
 */
export const FAULT_WORKER_ENV = {
  WORKER_POLL_MS: "50",
  WORKER_HEARTBEAT_MS: "200",
  WORKER_STALE_AFTER_MS: "2000",
  WORKER_SHUTDOWN_GRACE_MS: "3000",
  WORKER_BACKOFF_BASE_MS: "50",
  WORKER_SCHEMA_POLL_MS: "100",
} as const;

/** Prints a scenario's one line of figures (`npm run test:faults` output, copied to the README). */
export function printFigures(scenario: string, figures: Record<string, string | number | boolean>): void {
  const text = Object.entries(figures)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ");
  process.stdout.write(`[faults] worker ${scenario}: ${text}\n`);
}

/** Inserts `rows` into `table`, 500 to a statement. */
export async function insertRows(
  dataSource: DataSource,
  table: string,
  columns: readonly string[],
  rows: readonly unknown[][],
): Promise<void> {
  const CHUNK = 500;
  const list = columns.map((c) => `\`${c}\``).join(", ");
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    await dataSource.query(
      `INSERT INTO \`${table}\` (${list}) VALUES ${chunk.map(() => tuple).join(", ")}`,
      chunk.flat(),
    );
  }
}

/** A message as the peer received it. */
export interface ReceivedMail {
  to: string;
  messageId: string;
}

/** A real SMTP server in this process (smtp-server): no TLS, no AUTH. */
export interface SmtpPeer {
  url: string;
  messages: ReceivedMail[];
  /** Runs once a message has arrived whole, before the peer answers 250 and records it. */
  onMessage?: (mail: ReceivedMail) => void;
  close(): Promise<void>;
}

export async function startSmtpPeer(): Promise<SmtpPeer> {
  const peer: SmtpPeer = { url: "", messages: [], close: async () => {} };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("latin1");
        const head = raw.slice(0, raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
        const messageId = /^message-id:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? "";
        const mail = { to: session.envelope.rcptTo[0]?.address ?? "", messageId };
        peer.onMessage?.(mail);
        // Whole and answered: a real server would deliver it, whatever happens to the sender now.
        peer.messages.push(mail);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  peer.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer;
}
