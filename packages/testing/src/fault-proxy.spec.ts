import { createConnection as connectTcp, createServer, type Server, type Socket } from "node:net";
import { createConnection } from "mysql2/promise";
import { FaultProxy, hostAndPort } from "./fault-proxy";

/** An echo server: whatever a client writes comes back. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

type Outcome =
  { kind: "data"; text: string } | { kind: "closed" } | { kind: "error"; code: string } | { kind: "silent" };

/** Connects, writes `text`, and tells what happened within `ms`. */
function roundTrip(port: number, text: string, ms = 300, socket?: Socket): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = socket ?? connectTcp({ host: "127.0.0.1", port });
    const timer = setTimeout(() => resolve({ kind: "silent" }), ms);
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      s.removeAllListeners("data");
      resolve(outcome);
    };
    s.once("data", (d) => done({ kind: "data", text: String(d) }));
    s.once("error", (e: NodeJS.ErrnoException) => done({ kind: "error", code: e.code ?? "?" }));
    s.once("close", () => done({ kind: "closed" }));
    s.write(text);
  });
}

describe("FaultProxy", () => {
  let echo: { server: Server; port: number };
  let proxy: FaultProxy;
  beforeEach(async () => {
    echo = await echoServer();
    proxy = await FaultProxy.start({ host: "127.0.0.1", port: echo.port });
  });
  afterEach(async () => {
    await proxy.close();
    await new Promise((resolve) => echo.server.close(resolve));
  });

  it("passes traffic both ways", async () => {
    expect(await roundTrip(proxy.port, "hello")).toEqual({ kind: "data", text: "hello" });
  });

  it("drops open connections on both sides", async () => {
    const socket = connectTcp({ host: "127.0.0.1", port: proxy.port });
    expect(await roundTrip(proxy.port, "one", 300, socket)).toEqual({ kind: "data", text: "one" });
    let serverSide = 0;
    echo.server.getConnections((_e, n) => (serverSide = n));
    await new Promise((r) => setTimeout(r, 20));
    expect(serverSide).toBe(1);
    const closed = new Promise((resolve) => socket.once("close", resolve));
    proxy.dropAll();
    await closed;
    await new Promise((r) => setTimeout(r, 50));
    echo.server.getConnections((_e, n) => (serverSide = n));
    await new Promise((r) => setTimeout(r, 20));
    expect(serverSide).toBe(0);
    expect(proxy.connections).toBe(0);
    // New connections still pass.
    expect(await roundTrip(proxy.port, "two")).toEqual({ kind: "data", text: "two" });
  });

  it("refuses new connections until restored, on the same port", async () => {
    await proxy.refuse();
    expect(await roundTrip(proxy.port, "x")).toEqual({ kind: "error", code: "ECONNREFUSED" });
    await proxy.restore();
    expect(await roundTrip(proxy.port, "back")).toEqual({ kind: "data", text: "back" });
  });

  it("black-holes new and open connections, and destroys the stalled ones on restore", async () => {
    const open = connectTcp({ host: "127.0.0.1", port: proxy.port });
    expect(await roundTrip(proxy.port, "a", 300, open)).toEqual({ kind: "data", text: "a" });
    await proxy.blackhole();
    expect(await roundTrip(proxy.port, "b", 300, open)).toEqual({ kind: "silent" });
    const fresh = connectTcp({ host: "127.0.0.1", port: proxy.port });
    expect(await roundTrip(proxy.port, "c", 300, fresh)).toEqual({ kind: "silent" });
    const closed = new Promise((resolve) => open.once("close", resolve));
    await proxy.restore();
    await closed;
    expect(await roundTrip(proxy.port, "d")).toEqual({ kind: "data", text: "d" });
    fresh.destroy();
  });

  it("lets requests through but loses the answers, until restored", async () => {
    const arrived: string[] = [];
    echo.server.on("connection", (socket) => socket.on("data", (d) => arrived.push(String(d))));
    const open = connectTcp({ host: "127.0.0.1", port: proxy.port });
    expect(await roundTrip(proxy.port, "a", 300, open)).toEqual({ kind: "data", text: "a" });
    proxy.loseReplies();
    expect(await roundTrip(proxy.port, "b", 300, open)).toEqual({ kind: "silent" });
    expect(arrived).toEqual(["a", "b"]);
    const closed = new Promise((resolve) => open.once("close", resolve));
    await proxy.restore();
    await closed;
  });

  it("reads host and port from a database URL", () => {
    expect(hostAndPort("mysql://root@127.0.0.1:3307/test")).toEqual({ host: "127.0.0.1", port: 3307 });
    expect(hostAndPort("mariadb://u:p@db.example/x")).toEqual({ host: "db.example", port: 3306 });
  });
});

const serverUrl = process.env.TEST_DATABASE_URL;
(serverUrl ? describe : describe.skip)("FaultProxy in front of MariaDB/MySQL", () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await FaultProxy.start(hostAndPort(serverUrl!));
  });
  afterAll(() => proxy.close());
  const connect = () => {
    const url = new URL(serverUrl!);
    return createConnection({
      host: "127.0.0.1",
      port: proxy.port,
      user: decodeURIComponent(url.username),
      connectTimeout: 500,
    });
  };

  it("gives mysql2 the errors of a database that went away, and works again after", async () => {
    const connection = await connect();
    expect(await connection.query("SELECT 1 AS one")).toEqual([[{ one: 1 }], expect.anything()]);
    connection.on("error", () => undefined);
    proxy.dropAll();
    await expect(connection.query("SELECT 1")).rejects.toMatchObject({
      code: expect.stringMatching(/PROTOCOL_CONNECTION_LOST|ECONNRESET|EPIPE/),
    });
    await proxy.refuse();
    await expect(connect()).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await proxy.blackhole();
    await expect(connect()).rejects.toMatchObject({ code: "ETIMEDOUT" });
    await proxy.restore();
    const again = await connect();
    expect(await again.query("SELECT 2 AS two")).toEqual([[{ two: 2 }], expect.anything()]);
    await again.end();
  });
});
