import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { createTransport as CreateTransport } from "nodemailer";
import type SMTPPool from "nodemailer/lib/smtp-pool";
import { MimeBuilder } from "./mime";
import { SmtpClient, SmtpError } from "./smtp-client";

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
  /**
   * `text` in pieces (their concatenation is `text`), when most of it is shared by many messages:
   * a campaign's body, then the recipient's footer. The SMTP transport encodes a piece it has
   * seen before only once.
   */
  textParts?: readonly string[];
  /** `html` in pieces, like {@link textParts}. */
  htmlParts?: readonly string[];
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

export interface SmtpTransportOptions {
  /** Connections kept open to the server (default 4); messages go to the least busy. */
  connections?: number;
}

/**
 * SMTP: `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`, with nodemailer's
 * URL options (`?tls.rejectUnauthorized=false`, `requireTLS`, `ignoreTLS`, `name`). A 5xx refusal
 * of the recipient is permanent; anything else (connection errors, 4xx) is worth retrying.
 * Messages are written by {@link MimeBuilder} (a campaign's body is encoded once) and sent by
 * {@link SmtpClient}, pipelined over a few kept connections. A message MimeBuilder does not write
 * (an address outside plain ASCII, which needs SMTPUTF8 or an encoded domain) goes through
 * nodemailer's composer and pool instead, made on first need.
 */
export function smtpMailTransport(url: string, transportOptions: SmtpTransportOptions = {}): MailTransport {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseConnectionUrl } = require("nodemailer/lib/shared") as typeof import("nodemailer/lib/shared");
  const connection = parseConnectionUrl(url) as SMTPPool.Options;
  const connections = Math.max(1, transportOptions.connections ?? 4);
  const auth = connection.auth as { user?: string; pass?: string } | undefined;
  const client = new SmtpClient({
    host: connection.host ?? "localhost",
    port: connection.port ?? (connection.secure ? 465 : 587),
    secure: connection.secure ?? false,
    ...(auth?.user ? { auth: { user: auth.user, pass: auth.pass ?? "" } } : {}),
    ...(connection.tls ? { tls: connection.tls } : {}),
    ...(connection.ignoreTLS ? { ignoreTLS: true } : {}),
    ...(connection.requireTLS ? { requireTLS: true } : {}),
    ...(connection.name ? { name: connection.name } : {}),
    connections,
    timeoutMs: CONNECT_TIMEOUT_MS,
  });
  let fallback: { sendMail(mail: object): Promise<unknown>; close(): void } | undefined;
  const composer = () =>
    (fallback ??= createTransport()({ ...connection, pool: true, maxConnections: 1, maxMessages: Infinity }));
  const mime = new MimeBuilder();
  return {
    kind: "smtp",
    async send(mail) {
      const built = mime.build(mail);
      try {
        if (built) await client.send(built.envelope.from, built.envelope.to[0]!, built.raw);
        else await composer().sendMail(toNodemailer(mail));
      } catch (error) {
        const e = error as { code?: string; responseCode?: number; recipientRefused?: boolean };
        const permanent =
          error instanceof SmtpError
            ? e.recipientRefused === true
            : e.code === "EENVELOPE" && (e.responseCode ?? 0) >= 500;
        // The message names the failure only: no address, and never the URL (it may hold a password).
        throw new MailDeliveryError(`SMTP ${e.code ?? "error"} ${e.responseCode ?? ""}`.trim(), permanent);
      }
    },
    close: () => {
      client.close();
      fallback?.close();
    },
  };
}

/**
 * Writes each message as `<dir>/<message id>.eml` instead of sending it: the embedded default when
 * no SMTP server is configured, so development never mails anyone.
 */
export function fileMailTransport(dir: string): MailTransport {
  let transport: { sendMail(mail: object): Promise<unknown>; close(): void } | undefined;
  return {
    kind: "file",
    async send(mail) {
      transport ??= createTransport()({ streamTransport: true, buffer: true, newline: "windows" });
      const info = (await transport.sendMail(toNodemailer(mail))) as { message: Buffer };
      mkdirSync(dir, { recursive: true });
      const name = mail.messageId.replace(/^<|>$/g, "").replace(/[^A-Za-z0-9@._-]/g, "_");
      const file = join(dir, `${name}.eml`);
      // Written whole, then renamed: a reader never sees half a message.
      writeFileSync(`${file}.tmp`, info.message);
      renameSync(`${file}.tmp`, file);
    },
    close: () => transport?.close(),
  };
}

/**
 * nodemailer (its composer, pool and stream transport), loaded with the first message that needs
 * it rather than at start-up (issue 18: idle memory, start-up); most messages go through
 * {@link MimeBuilder} and {@link SmtpClient}.
 */
function createTransport(): typeof CreateTransport {
  // require, not import(): the build is CommonJS, and jest runs it without ES module support.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("nodemailer") as typeof import("nodemailer")).createTransport;
}
