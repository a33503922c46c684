import { connect as netConnect, isIP, type Socket } from "node:net";
import { hostname } from "node:os";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";

/** Where and how to connect: what nodemailer's `parseConnectionUrl` reads from `SMTP_URL`. */
export interface SmtpClientOptions {
  host: string;
  port: number;
  /** `smtps://`: TLS from the first byte. Otherwise STARTTLS when the server offers it. */
  secure: boolean;
  auth?: { user: string; pass: string };
  /** Options for `tls.connect` (`?tls.rejectUnauthorized=false` in the URL, a private CA…). */
  tls?: ConnectionOptions;
  /** Never upgrade with STARTTLS. */
  ignoreTLS?: boolean;
  /** Refuse a server that does not offer STARTTLS. */
  requireTLS?: boolean;
  /** The name said in EHLO. */
  name?: string;
  /** Connections kept open at most; messages go to the least busy (default 4). */
  connections?: number;
  /** Connecting, and waiting for any reply (default 30 s). */
  timeoutMs?: number;
  /** An unused connection is closed after this long (default 30 s). */
  idleMs?: number;
}

/**
 * A message the server did not take. `code`: `EENVELOPE` (MAIL FROM or RCPT TO refused),
 * `EMESSAGE` (refused after the content), `ECONNECTION`, `ETIMEDOUT`, `EAUTH`, `ETLS`,
 * `EPROTOCOL`; `responseCode` is the server's reply code when there was one. `recipientRefused`:
 * the server refused the recipient's address with a 5xx reply (a permanent failure for it).
 */
export class SmtpError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly responseCode?: number,
    readonly recipientRefused = false,
  ) {
    super(message);
    this.name = "SmtpError";
  }
}

interface Reply {
  code: number;
  lines: string[];
}

const CRLF_DOT = /\r\n\./g;
/** Longer than any reply line a server sends (RFC 5321 allows 512 octets). */
const MAX_REPLY_LINE = 16 * 1024;

/**
 * The SMTP client of the SMTP transport's hot path: campaigns send thousands of small messages,
 * and nodemailer spent more CPU per message than the rest of the campaign (a stream pipeline per
 * message, one socket write per command, no PIPELINING). This one keeps a few connections and
 * writes each message as two writes with PIPELINING (RFC 2920): `MAIL FROM`, `RCPT TO` and
 * `DATA` together, then the content; the next message's commands go out right behind the
 * previous content, without waiting for its reply. A message counts as sent only when the
 * server has answered 250 to its content.
 *
 * One recipient a message. Plain TCP, `smtps://` (TLS) and STARTTLS, AUTH PLAIN and LOGIN;
 * without PIPELINING it waits for each reply in turn. Addresses must already be in the form the
 * server takes (ASCII): the transport hands anything else to nodemailer.
 */
export class SmtpClient {
  private readonly slots: (SmtpConnection | null)[];
  private readonly options: Required<Pick<SmtpClientOptions, "timeoutMs" | "idleMs">> & SmtpClientOptions;
  private closed = false;

  constructor(options: SmtpClientOptions) {
    this.options = { timeoutMs: 30_000, idleMs: 30_000, ...options };
    this.slots = Array.from({ length: Math.max(1, options.connections ?? 4) }, () => null);
  }

  /** Resolves once the server accepted the message; rejects with {@link SmtpError} otherwise. */
  async send(from: string, to: string, message: string): Promise<void> {
    if (this.closed) throw new SmtpError("The SMTP client is closed", "ECONNECTION");
    const data = toDataLines(message);
    const connection = this.pick();
    try {
      await connection.send(from, to, data);
    } catch (error) {
      // A connection the server closed while idle (or that failed to open) fails before anything
      // of the message was written: nothing reached the server, so a fresh connection may try it.
      if (error instanceof NotSent && !this.closed) return this.pick().send(from, to, data).catch(unwrap);
      throw unwrap(error);
    }
  }

  /** Ends every connection (QUIT, then close); messages in flight fail. */
  close(): void {
    this.closed = true;
    for (const [i, connection] of this.slots.entries()) {
      connection?.quit();
      this.slots[i] = null;
    }
  }

  /** The least busy open connection, or a new one in a free or dead slot while every open one is busy. */
  private pick(): SmtpConnection {
    let best: SmtpConnection | null = null;
    let free = -1;
    for (const [i, connection] of this.slots.entries()) {
      if (!connection || connection.dead) {
        if (free < 0) free = i;
        continue;
      }
      if (!best || connection.load < best.load) best = connection;
    }
    if (best && (best.load === 0 || free < 0)) return best;
    const slot = free;
    const opened = new SmtpConnection(this.options, () => {
      if (this.slots[slot] === opened) this.slots[slot] = null;
    });
    this.slots[slot] = opened;
    return opened;
  }
}

/** A failure before any byte of the message was written. */
class NotSent extends Error {
  constructor(readonly error: SmtpError) {
    super(error.message);
  }
}

function unwrap(error: unknown): never {
  throw error instanceof NotSent ? error.error : error;
}

/** The content as the DATA command carries it: CRLF line ends, leading dots doubled, a final CRLF. */
function toDataLines(message: string): string {
  let data = message.includes("\n") && /(^|[^\r])\n/.test(message) ? message.replace(/\r?\n/g, "\r\n") : message;
  if (data.startsWith(".")) data = `.${data}`;
  if (data.includes("\r\n.")) data = data.replace(CRLF_DOT, "\r\n..");
  return data.endsWith("\r\n") ? data : `${data}\r\n`;
}

/** One connection: the greeting, EHLO, STARTTLS, AUTH, then any number of messages in turn. */
class SmtpConnection {
  dead = false;
  /** Messages given to this connection and not yet answered. */
  load = 0;
  private socket: Socket | null = null;
  private readonly ready: Promise<void>;
  private buffer = "";
  private lines: string[] = [];
  private readonly waiting: { resolve(reply: Reply): void; reject(error: SmtpError): void }[] = [];
  private failure: SmtpError | null = null;
  private extensions = new Map<string, string>();
  /** Resolves when the previous message's content is written: the next may start. */
  private turn: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: SmtpClient["options"],
    private readonly onDead: () => void,
  ) {
    this.ready = this.open();
    this.ready.catch(() => {});
  }

  async send(from: string, to: string, data: string): Promise<void> {
    this.load += 1;
    const previous = this.turn;
    let release!: () => void;
    this.turn = new Promise((resolve) => (release = resolve));
    let written = false;
    try {
      await this.ready.catch((error: unknown) => {
        throw new NotSent(error as SmtpError);
      });
      await previous;
      if (this.failure) throw new NotSent(this.failure);
      const mail = `MAIL FROM:<${from}>`;
      const rcpt = `RCPT TO:<${to}>`;
      let replies: Reply[];
      if (this.extensions.has("PIPELINING")) {
        const expected = [this.expect(), this.expect(), this.expect()];
        this.write(`${mail}\r\n${rcpt}\r\nDATA\r\n`);
        replies = await settleAll(expected);
      } else {
        replies = [];
        for (const command of [mail, rcpt, "DATA"]) {
          const reply = await this.command(command);
          replies.push(reply);
          if (reply.code >= 400) break;
        }
      }
      const [mailReply, rcptReply, dataReply] = replies;
      if (mailReply!.code !== 250 || (rcptReply?.code !== 250 && rcptReply?.code !== 251) || dataReply?.code !== 354) {
        // The transaction failed before the content (DATA is refused without a recipient): RSET
        // clears it, so the connection serves the next message.
        this.command("RSET").catch(() => {});
        const refused =
          mailReply!.code !== 250 ? mailReply! : rcptReply && rcptReply.code >= 300 ? rcptReply : dataReply!;
        throw new SmtpError(
          `SMTP ${refused === dataReply ? "DATA" : refused === mailReply ? "MAIL FROM" : "RCPT TO"} refused: ${refused.code}`,
          refused === dataReply ? "EPROTOCOL" : "EENVELOPE",
          refused.code,
          refused === rcptReply && refused.code >= 500,
        );
      }
      const done = this.expect();
      // Corked until the microtasks have run: the next message's commands, written as soon as
      // this releases the turn, leave in the same segment as this content.
      const socket = this.socket!;
      socket.cork();
      this.write(`${data}.\r\n`);
      written = true;
      release();
      process.nextTick(() => socket.uncork());
      const reply = await done;
      if (reply.code !== 250) throw new SmtpError(`SMTP message refused: ${reply.code}`, "EMESSAGE", reply.code);
    } catch (error) {
      if (error instanceof NotSent || error instanceof SmtpError) {
        // Failed on a connection that then died before the content went: nothing was sent.
        if (!written && error instanceof SmtpError && ["ECONNECTION", "ETIMEDOUT"].includes(error.code)) {
          throw new NotSent(error);
        }
        throw error;
      }
      throw new SmtpError(`SMTP error: ${(error as Error).message}`, "EPROTOCOL");
    } finally {
      release();
      this.load -= 1;
      if (this.load === 0 && !this.dead) this.startIdleTimer();
    }
  }

  /** QUIT, then close, whatever the answer. */
  quit(): void {
    if (this.dead) return;
    this.stopIdleTimer();
    // Out of the pool now: no message starts on a connection that is saying QUIT.
    this.dead = true;
    this.onDead();
    // QUIT goes behind the content of the message whose turn it is (written alone in the middle
    // of a transaction, it would become part of that message); its answer comes after theirs.
    Promise.all([this.ready, this.turn]).then(
      () => {
        this.command("QUIT").then(
          () => this.destroy(new SmtpError("The connection was closed", "ECONNECTION")),
          () => {},
        );
        // A server that does not answer QUIT is not waited for long.
        setTimeout(() => this.destroy(new SmtpError("The connection was closed", "ECONNECTION")), 2000).unref();
      },
      () => {},
    );
  }

  private async open(): Promise<void> {
    const { host, port, secure, timeoutMs } = this.options;
    const socket = secure
      ? tlsConnect({ host, port, ...this.servername(), ...this.options.tls })
      : netConnect({ host, port });
    socket.setNoDelay(true);
    this.attach(socket);
    await this.connected(socket, secure ? "secureConnect" : "connect");
    socket.setTimeout(timeoutMs, () => this.destroy(new SmtpError("SMTP timeout", "ETIMEDOUT")));
    const greeting = await this.expect();
    if (greeting.code !== 220)
      throw this.fatal(new SmtpError(`SMTP greeting ${greeting.code}`, "EPROTOCOL", greeting.code));
    await this.hello();
    if (!secure && !this.options.ignoreTLS && this.extensions.has("STARTTLS")) {
      const reply = await this.command("STARTTLS");
      if (reply.code !== 220) throw this.fatal(new SmtpError(`SMTP STARTTLS ${reply.code}`, "ETLS", reply.code));
      this.detach(socket);
      const upgraded = tlsConnect({ socket, ...this.servername(), ...this.options.tls });
      this.attach(upgraded);
      await this.connected(upgraded, "secureConnect");
      upgraded.setTimeout(timeoutMs, () => this.destroy(new SmtpError("SMTP timeout", "ETIMEDOUT")));
      await this.hello();
    } else if (!secure && this.options.requireTLS) {
      throw this.fatal(new SmtpError("The SMTP server does not offer STARTTLS", "ETLS"));
    }
    if (this.options.auth) await this.login(this.options.auth);
  }

  private servername(): { servername?: string } {
    return isIP(this.options.host) ? {} : { servername: this.options.host };
  }

  private connected(socket: Socket, event: "connect" | "secureConnect"): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(this.fatal(new SmtpError("SMTP connection timeout", "ETIMEDOUT"))),
        this.options.timeoutMs,
      );
      socket.once(event, () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("close", () => {
        clearTimeout(timer);
        reject(this.failure ?? new SmtpError("SMTP connection closed", "ECONNECTION"));
      });
    });
  }

  private async hello(): Promise<void> {
    const name = this.options.name ?? (hostname().includes(".") ? hostname() : "[127.0.0.1]");
    let reply = await this.command(`EHLO ${name}`);
    if (reply.code !== 250) {
      reply = await this.command(`HELO ${name}`);
      if (reply.code !== 250) throw this.fatal(new SmtpError(`SMTP HELO ${reply.code}`, "EPROTOCOL", reply.code));
    }
    this.extensions = new Map(
      reply.lines.slice(1).map((line) => {
        const [keyword = "", ...rest] = line.trim().split(/\s+/);
        return [keyword.toUpperCase(), rest.join(" ").toUpperCase()] as const;
      }),
    );
  }

  private async login({ user, pass }: { user: string; pass: string }): Promise<void> {
    const mechanisms = (this.extensions.get("AUTH") ?? "").split(" ");
    let reply: Reply;
    if (mechanisms.includes("PLAIN")) {
      reply = await this.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${pass}`, "utf8").toString("base64")}`);
    } else if (mechanisms.includes("LOGIN")) {
      reply = await this.command("AUTH LOGIN");
      if (reply.code === 334) reply = await this.command(Buffer.from(user, "utf8").toString("base64"));
      if (reply.code === 334) reply = await this.command(Buffer.from(pass, "utf8").toString("base64"));
    } else {
      throw this.fatal(new SmtpError("The SMTP server offers neither AUTH PLAIN nor AUTH LOGIN", "EAUTH"));
    }
    // The reply's text is not kept: some servers echo what they were sent.
    if (reply.code !== 235) throw this.fatal(new SmtpError(`SMTP AUTH ${reply.code}`, "EAUTH", reply.code));
  }

  private command(line: string): Promise<Reply> {
    const reply = this.expect();
    this.write(`${line}\r\n`);
    return reply;
  }

  private expect(): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private write(text: string): void {
    this.socket?.write(text, "utf8");
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.on("data", this.onData);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
  }

  private detach(socket: Socket): void {
    socket.off("data", this.onData);
    socket.off("error", this.onError);
    socket.off("close", this.onClose);
    socket.setTimeout(0);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffer += chunk.toString("latin1");
    // Reply lines are short (RFC 5321: 512 octets); a server that never ends one is not waited on.
    if (this.buffer.length > MAX_REPLY_LINE && !this.buffer.includes("\n")) {
      this.destroy(new SmtpError("SMTP reply line too long", "EPROTOCOL"));
      return;
    }
    let end: number;
    while ((end = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, "");
      this.buffer = this.buffer.slice(end + 1);
      this.lines.push(line.slice(4));
      if (line.charAt(3) === "-") continue;
      const reply = { code: Number(line.slice(0, 3)) || 0, lines: this.lines };
      this.lines = [];
      const waiter = this.waiting.shift();
      if (waiter) waiter.resolve(reply);
      // Unasked (421 before closing an idle connection): this connection is over.
      else this.destroy(new SmtpError(`SMTP server said ${reply.code}`, "ECONNECTION", reply.code));
    }
  };

  private readonly onError = (error: Error): void => {
    this.destroy(
      new SmtpError(`SMTP connection error: ${(error as { code?: string }).code ?? "error"}`, "ECONNECTION"),
    );
  };

  private readonly onClose = (): void => {
    this.destroy(new SmtpError("SMTP connection closed", "ECONNECTION"));
  };

  private fatal(error: SmtpError): SmtpError {
    this.destroy(error);
    return error;
  }

  /** Fails every reply still awaited, closes the socket and leaves the pool. */
  private destroy(error: SmtpError): void {
    this.failure ??= error;
    this.stopIdleTimer();
    if (!this.dead) {
      this.dead = true;
      this.onDead();
    }
    for (const waiter of this.waiting.splice(0)) waiter.reject(this.failure);
    this.socket?.destroy();
  }

  /** Arms (or re-arms, without a new timer per message) the idle close; a busy connection ignores it. */
  private startIdleTimer(): void {
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      if (this.load === 0) this.quit();
    }, this.options.idleMs);
    this.idleTimer.unref();
  }

  private stopIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

/** Every reply, once all are in; the first failure otherwise (after all have settled). */
async function settleAll(replies: Promise<Reply>[]): Promise<Reply[]> {
  const settled = await Promise.allSettled(replies);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<Reply>).value);
}
