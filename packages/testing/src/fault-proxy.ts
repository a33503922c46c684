import { createConnection, createServer, type Server, type Socket } from "node:net";

/** What the proxy does with traffic: forward it, refuse connections, or swallow everything. */
export type FaultMode = "pass" | "refuse" | "blackhole";

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Set once the pair saw a black hole: its protocol state is lost, so it never passes again. */
  stalled: boolean;
  /** The server's bytes are swallowed: requests arrive (and commit), answers never do. */
  muted: boolean;
}

export interface FaultProxyOptions {
  /** Where the proxy listens; default 127.0.0.1 on a free port. */
  host?: string;
  port?: number;
}

/**
 * A TCP proxy for fault tests, between the apps and a real server (MariaDB): it forwards bytes
 * both ways until told to fail, so a test can cut the database without stopping the shared
 * server.
 *
 * - {@link dropAll} destroys every open connection, both sides (the server sees its client go,
 *   the app sees `PROTOCOL_CONNECTION_LOST` / `ECONNRESET`);
 * - {@link refuse} stops listening, so new connections get `ECONNREFUSED`;
 * - {@link blackhole} accepts connections but forwards nothing either way, on open connections
 *   too: clients hang until their own timeouts;
 * - {@link loseReplies} lets open connections' requests through but swallows the server's answers:
 *   a commit that lands while its client never hears of it;
 * - {@link restore} passes traffic again. Connections that were black-holed stay silent (bytes were
 *   lost, so their protocol state is gone) and are destroyed, as a real network's idle timeout
 *   would; new connections pass.
 *
 * {@link cut} (drop every connection and refuse new ones) is the database going away.
 */
export class FaultProxy {
  private mode: FaultMode = "pass";
  private readonly pairs = new Set<Pair>();
  private server: Server | null = null;
  private closed = false;
  /** Connections accepted since the start (including those refused or black-holed). */
  accepted = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    readonly host: string,
    public port: number,
  ) {}

  /** Starts a proxy to `target` (`host:port`, or a `mysql://…@host:port/db` URL's host and port). */
  static async start(target: { host: string; port: number }, options: FaultProxyOptions = {}): Promise<FaultProxy> {
    const proxy = new FaultProxy(target, options.host ?? "127.0.0.1", options.port ?? 0);
    await proxy.listen();
    return proxy;
  }

  /** The current mode. */
  get state(): FaultMode {
    return this.mode;
  }

  /** Open client connections. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Destroys every open connection, both sides. New connections are treated by the mode. */
  dropAll(): void {
    for (const pair of this.pairs) this.destroy(pair);
  }

  /** New connections are refused (`ECONNREFUSED`): the listening socket closes. Open ones are kept. */
  async refuse(): Promise<void> {
    this.mode = "refuse";
    await this.unlisten();
  }

  /** Drops every connection and refuses new ones: the database is away. */
  async cut(): Promise<void> {
    await this.refuse();
    this.dropAll();
  }

  /** Accepts connections but forwards nothing, on open connections as well. */
  async blackhole(): Promise<void> {
    this.mode = "blackhole";
    for (const pair of this.pairs) pair.stalled = true;
    await this.listen();
  }

  /** Open connections keep sending to the server, but its answers are swallowed. */
  loseReplies(): void {
    for (const pair of this.pairs) pair.muted = true;
  }

  /** Passes traffic again (black-holed and muted connections are destroyed). */
  async restore(): Promise<void> {
    this.mode = "pass";
    for (const pair of this.pairs) if (pair.stalled || pair.muted) this.destroy(pair);
    await this.listen();
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.dropAll();
    await this.unlisten();
  }

  private async listen(): Promise<void> {
    if (this.server || this.closed) return;
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === "object") this.port = address.port;
    this.server = server;
  }

  private async unlisten(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    // close() waits for accepted connections to end; they are ours to manage, so don't wait.
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      setImmediate(resolve);
    });
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    if (this.mode === "refuse") {
      // Accepted in the instant before the listener closed.
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = createConnection({ host: this.target.host, port: this.target.port });
    upstream.setNoDelay(true);
    const pair: Pair = { client, upstream, stalled: this.mode === "blackhole", muted: false };
    this.pairs.add(pair);
    this.forward(pair, client, upstream, false);
    this.forward(pair, upstream, client, true);
    const end = () => this.destroy(pair);
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  }

  private forward(pair: Pair, from: Socket, to: Socket, reply: boolean): void {
    from.on("data", (chunk: Buffer) => {
      if (pair.stalled || (reply && pair.muted)) return; // swallowed
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => from.resume());
      }
    });
    from.on("end", () => {
      if (!pair.stalled) to.end();
    });
  }

  private destroy(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream.destroy();
  }
}

/** The host and port of a `mysql://user@host:port/db` URL (port 3306 when absent). */
export function hostAndPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port || 3306) };
}
