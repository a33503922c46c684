import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { createTransport } from "nodemailer";
import { parseConnectionUrl } from "nodemailer/lib/shared";
import type SMTPPool from "nodemailer/lib/smtp-pool";

export interface MailAddress {
  name: string;
  address: string;
}

/** One message, ready to go. */
export interface OutgoingMail {
  /** `<local@domain>`. */
  messageId: string;
  from: string;
  to: MailAddress;
  subject: string;
  text: string;
  html?: string | null;
  headers?: Record<string, string>;
}

/**
 * Where messages go: SMTP, or files. `send` resolves once the message is accepted, and rejects
 * with {@link MailDeliveryError} (permanent or not) when it is not.
 */
export interface MailTransport {
  /** For logs: the kind of transport, never a credential. */
  readonly kind: "smtp" | "file";
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** A message the transport did not accept. `permanent`: the server refused the address for good. */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = "MailDeliveryError";
  }
}

/** How long to wait for the SMTP server to accept a connection. */
const CONNECT_TIMEOUT_MS = 30_000;

function toNodemailer(mail: OutgoingMail) {
  return {
    messageId: mail.messageId,
    from: mail.from,
    to: { name: mail.to.name, address: mail.to.address },
    subject: mail.subject,
    text: mail.text,
    ...(mail.html ? { html: mail.html } : {}),
    headers: mail.headers ?? {},
  };
}

/**
 * SMTP through nodemailer, with pooled connections: `smtp://user:pass@host:587` (STARTTLS when
 * offered) or `smtps://…:465`. A 5xx refusal of the recipient is permanent; anything else
 * (connection errors, 4xx) is worth retrying.
 */
export function smtpMailTransport(url: string): MailTransport {
  const connection = parseConnectionUrl(url);
  const options: SMTPPool.Options = {
    ...connection,
    pool: true,
    maxConnections: 2,
    // nodemailer writes a message in several small pieces; with Nagle's algorithm each one waits
    // for the peer's delayed ACK (~40 ms a message). So the pool connects its own sockets without
    // the delay (nodemailer still speaks STARTTLS or TLS over them).
    getSocket: (_options, callback) => {
      const socket = netConnect({
        host: connection.host ?? "localhost",
        port: connection.port ?? (connection.secure ? 465 : 587),
        noDelay: true,
      });
      const fail = (error: Error) => {
        socket.destroy();
        callback(error, undefined as never);
      };
      socket.setTimeout(CONNECT_TIMEOUT_MS, () =>
        fail(Object.assign(new Error("Connection timeout"), { code: "ETIMEDOUT" })),
      );
      socket.once("error", fail);
      socket.once("connect", () => {
        socket.setTimeout(0);
        socket.off("error", fail);
        callback(null, { connection: socket });
      });
    },
  };
  const transport = createTransport(options);
  return {
    kind: "smtp",
    async send(mail) {
      try {
        await transport.sendMail(toNodemailer(mail));
      } catch (error) {
        const e = error as { code?: string; responseCode?: number };
        const permanent = e.code === "EENVELOPE" && (e.responseCode ?? 0) >= 500;
        // The message names the failure only: no address, and never the URL (it may hold a password).
        throw new MailDeliveryError(`SMTP ${e.code ?? "error"} ${e.responseCode ?? ""}`.trim(), permanent);
      }
    },
    close: () => transport.close(),
  };
}

/**
 * Writes each message as `<dir>/<message id>.eml` instead of sending it: the embedded default when
 * no SMTP server is configured, so development never mails anyone.
 */
export function fileMailTransport(dir: string): MailTransport {
  const transport = createTransport({ streamTransport: true, buffer: true, newline: "windows" });
  return {
    kind: "file",
    async send(mail) {
      const info = (await transport.sendMail(toNodemailer(mail))) as { message: Buffer };
      mkdirSync(dir, { recursive: true });
      const name = mail.messageId.replace(/^<|>$/g, "").replace(/[^A-Za-z0-9@._-]/g, "_");
      const file = join(dir, `${name}.eml`);
      // Written whole, then renamed: a reader never sees half a message.
      writeFileSync(`${file}.tmp`, info.message);
      renameSync(`${file}.tmp`, file);
    },
    close: () => transport.close(),
  };
}
