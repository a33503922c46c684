import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** A message as the SMTP peer received it: envelope recipient, headers (lower-cased), body. */
export interface ReceivedMail {
  to: string;
  headers: Map<string, string>;
  body: string;
}

/** A real SMTP server in this process (smtp-server): no TLS, no AUTH. */
export async function startSmtpPeer(): Promise<{ url: string; messages: ReceivedMail[]; close(): Promise<void> }> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("latin1");
        const split = raw.indexOf("\r\n\r\n");
        const headers = new Map<string, string>();
        for (const line of raw
          .slice(0, split)
          .replace(/\r\n[ \t]+/g, " ")
          .split("\r\n")) {
          const colon = line.indexOf(":");
          if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        const body = raw
          .slice(split + 4)
          .replace(/=\r\n/g, "")
          .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
        for (const rcpt of session.envelope.rcptTo) messages.push({ to: rcpt.address, headers, body });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
