import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the receiver took in. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver did with it. */
  answer: ReceiverAnswer;
}

/** How the receiver answers: a status (with headers), or never (the sender must time out). */
export type ReceiverAnswer = { status: number; headers?: Record<string, string> } | "hang";

/**
 * A real HTTP server on 127.0.0.1 (node:http) that partners' webhooks are delivered to in tests.
 * `answers` is consumed one per request; when empty, `fallback` answers.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answers: ReceiverAnswer[] = [];
  fallback: ReceiverAnswer = { status: 204 };
  private readonly server: Server;

  private constructor() {
    const hanging = new Set<() => void>();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const answer = this.answers.shift() ?? this.fallback;
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), answer });
        if (answer === "hang") {
          const end = () => res.destroy();
          hanging.add(end);
          res.on("close", () => hanging.delete(end));
          return;
        }
        res.writeHead(answer.status, answer.headers ?? {});
        res.end();
      });
    });
    this.server.on("close", () => hanging.forEach((end) => end()));
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port><path>`. */
  url(path = "/hooks"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  reset(): void {
    this.received.length = 0;
    this.answers = [];
    this.fallback = { status: 204 };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
