import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** A message as the SMTP peer received it. */
export interface ReceivedMessage {
  /** RCPT TO. */
  to: string;
  raw: string;
  /** Header names lower-cased, folded lines joined. */
  headers: Map<string, string>;
  /** The body with quoted-printable undone, for looking for text and links. */
  body: string;
}

/**
 * A real SMTP server in this process (the smtp-server package), for sending campaigns through
 * nodemailer end to end. No TLS, no AUTH. `beforeAccept` runs before a message is accepted: a
 * test can pause the sender there, or change things while a campaign is being sent.
 */
export interface SmtpPeer {
  url: string;
  messages: ReceivedMessage[];
  /** Recipients refused at RCPT TO with 550. */
  rejected: Set<string>;
  beforeAccept?: (message: ReceivedMessage) => Promise<void> | void;
  close(): Promise<void>;
}

function parse(to: string, raw: string): ReceivedMessage {
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
  return { to, raw, headers, body: Buffer.from(body, "latin1").toString("utf8") };
}

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
        const message = parse(session.envelope.rcptTo[0]?.address ?? "", Buffer.concat(chunks).toString("latin1"));
        Promise.resolve(peer.beforeAccept?.(message)).then(
          () => {
            peer.messages.push(message);
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  peer.url = `smtp://127.0.0.1:${port}`;
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer;
}
