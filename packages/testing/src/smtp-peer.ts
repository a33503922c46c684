import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** A message as the SMTP peer received it, one per recipient. */
export interface ReceivedMail {
  /** RCPT TO. */
  to: string;
  raw: string;
  /** Header names lower-cased, folded lines joined. */
  headers: Map<string, string>;
  /** The body with quoted-printable undone, for looking for text and links. */
  body: string;
  /** The Message-ID header ("" when there is none). */
  messageId: string;
}

/**
 * A real SMTP server in this process (the smtp-server package), for sending mail through
 * nodemailer end to end. No TLS, no AUTH.
 */
export interface SmtpPeer {
  /** `smtp://127.0.0.1:<port>`, for `SMTP_URL`. */
  url: string;
  messages: ReceivedMail[];
  /** Recipients refused at RCPT TO with 550. */
  rejected: Set<string>;
  /**
   * Runs once a message has arrived whole, before the peer answers 250 and records it: a test can
   * pause the sender there, kill it, or change things while mail is being sent. A rejection
   * refuses the message.
   */
  beforeAccept?: (mail: ReceivedMail) => Promise<void> | void;
  close(): Promise<void>;
}

function parse(to: string, raw: string): ReceivedMail {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const headers = new Map<string, string>();
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const body = raw
    .slice(split + 4)
    .replace(/=\r\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return {
    to,
    raw,
    headers,
    body: Buffer.from(body, "latin1").toString("utf8"),
    messageId: headers.get("message-id") ?? "",
  };
}

/** Starts an {@link SmtpPeer} on a free port of 127.0.0.1. */
export async function startSmtpPeer(): Promise<SmtpPeer> {
  const peer: SmtpPeer = {
    url: "",
    messages: [],
    rejected: new Set(),
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (peer.rejected.has(address.address)) {
        const error = Object.assign(new Error("No such mailbox"), { responseCode: 550 });
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("latin1");
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        const copies = (recipients.length > 0 ? recipients : [""]).map((to) => parse(to, raw));
        Promise.resolve(peer.beforeAccept?.(copies[0]!)).then(
          () => {
            // Whole and answered: a real server would deliver it, whatever happens to the sender now.
            peer.messages.push(...copies);
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  // A sender killed mid-conversation resets its connections (the fault suite does it on purpose,
  // with several pooled connections at once): a real server notes it and carries on, where
  // smtp-server's 'error' event with no listener would be thrown and fail the test run.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  peer.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer;
}
