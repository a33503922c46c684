import { connect, type Socket } from "node:net";
import { DEFAULT_HTTP_TIMEOUTS } from "../src/gateway";
import { DISCARD_LIMIT } from "../src/http/error-envelope";
import { LOGIN, ME, newRegistration, REGISTER, startTestGateway, type TestGateway } from "./support/test-gateway";

/** What came back on a raw connection: the status, headers and body, and whether it was cut. */
interface RawAnswer {
  status: number | null;
  headers: Record<string, string>;
  body: string;
  reset: boolean;
}

function parseAnswer(bytes: Buffer, reset: boolean): RawAnswer {
  const text = bytes.toString("utf8");
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return { status: null, headers: {}, body: "", reset };
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(" ")[1]), headers, body: text.slice(end + 4), reset };
}

/** A raw TCP connection to the gateway, collecting everything it answers until it closes. */
function rawConnection(url: string): { socket: Socket; answer: Promise<RawAnswer & { closedAfterMs: number }> } {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  const startedAt = Date.now();
  const chunks: Buffer[] = [];
  let reset = false;
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const answer = new Promise<RawAnswer & { closedAfterMs: number }>((resolve) => {
    socket.on("error", () => {
      reset = true;
    });
    socket.on("close", () => {
      resolve({ ...parseAnswer(Buffer.concat(chunks), reset), closedAfterMs: Date.now() - startedAt });
    });
  });
  return { socket, answer };
}

/** Writes `total` bytes in 64 KiB pieces, waiting for the socket to drain; stops when it is cut. */
async function writeBody(socket: Socket, total: number): Promise<number> {
  const piece = Buffer.alloc(64 * 1024, "x");
  let written = 0;
  while (written < total && !socket.destroyed) {
    const size = Math.min(piece.length, total - written);
    const flushed = socket.write(size === piece.length ? piece : piece.subarray(0, size));
    written += size;
    if (!flushed) {
      await new Promise<void>((resolve) => {
        socket.once("drain", resolve);
        socket.once("close", resolve);
      });
    }
  }
  return written;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Abuse at the HTTP level, under the GraphQL layer; the database does not matter, so SQLite. */
describe("gateway under HTTP abuse", () => {
  let t: TestGateway;
  /** Short timeouts, so the slow-loris cases take seconds rather than the defaults' half-minute. */
  const timeouts = { headersMs: 1_500, requestMs: 3_000, checkIntervalMs: 250 };

  beforeAll(async () => {
    t = await startTestGateway("sqlite", {}, undefined, timeouts);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function stillServes(): Promise<number> {
    const startedAt = Date.now();
    const result = await t.client().query(ME);
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    return Date.now() - startedAt;
  }

  it("answers a 5 MB body with 413 PAYLOAD_TOO_LARGE that the client really reads, then keeps serving", async () => {
    for (const framing of ["content-length", "chunked"] as const) {
      const size = 5 * 1024 * 1024;
      const { socket, answer } = rawConnection(t.url);
      socket.write(
        "POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n" +
          (framing === "content-length" ? `Content-Length: ${size}\r\n\r\n` : "Transfer-Encoding: chunked\r\n\r\n"),
      );
      if (framing === "content-length") {
        await writeBody(socket, size);
      } else {
        const chunk = Buffer.alloc(64 * 1024, "x");
        for (let sent = 0; sent < size && !socket.destroyed; sent += chunk.length) {
          socket.write(`${chunk.length.toString(16)}\r\n`);
          socket.write(chunk);
          if (!socket.write("\r\n")) await new Promise((resolve) => socket.once("drain", resolve));
        }
        socket.write("0\r\n\r\n");
      }
      const received = await answer;
      expect({ framing, status: received.status, reset: received.reset }).toEqual({
        framing,
        status: 413,
        reset: false,
      });
      expect(JSON.parse(received.body)).toEqual({ code: "PAYLOAD_TOO_LARGE", message: expect.any(String) });
      expect(received.headers.connection).toBe("close");
    }
    // And fetch, as a client library would send it.
    const response = await t.client().fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ me { id } } # ${"x".repeat(5 * 1024 * 1024)}` }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe("PAYLOAD_TOO_LARGE");
    await stillServes();
  });

  it("cuts a body that goes on past the discard limit instead of reading it forever", async () => {
    const { socket, answer } = rawConnection(t.url);
    const declared = DISCARD_LIMIT * 4;
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`,
    );
    const written = await writeBody(socket, declared);
    const received = await answer;
    // The connection was cut well before the whole body went (what is in flight varies).
    expect(written).toBeLessThan(declared);
    expect(received.status === null || received.status === 413).toBe(true);
    await stillServes();
  });

  it("times out slow-loris headers and bodies while serving everyone else", async () => {
    const slow: Promise<RawAnswer & { closedAfterMs: number }>[] = [];
    const trickles: NodeJS.Timeout[] = [];
    for (let i = 0; i < 40; i++) {
      const { socket, answer } = rawConnection(t.url);
      slow.push(answer);
      const bodyLoris = i % 2 === 1;
      socket.write(
        bodyLoris
          ? "POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"
          : "POST /graphql HTTP/1.1\r\nHost: gateway\r\n",
      );
      // One byte every 200 ms: never idle, never done.
      trickles.push(
        setInterval(() => {
          if (!socket.destroyed) socket.write(bodyLoris ? " " : "X");
        }, 200),
      );
    }
    try {
      await sleep(300);
      // Everyone else is served at once meanwhile.
      for (let i = 0; i < 5; i++) expect(await stillServes()).toBeLessThan(1_000);
      const answers = await Promise.all(slow);
      for (const [i, received] of answers.entries()) {
        const limit = i % 2 === 1 ? timeouts.requestMs : timeouts.headersMs;
        expect(received.closedAfterMs).toBeGreaterThanOrEqual(limit - 100);
        expect(received.closedAfterMs).toBeLessThan(limit + timeouts.checkIntervalMs * 2 + 1_000);
        // A header that never ends may be cut as too large instead (each byte lengthens it).
        expect([408, 431]).toContain(received.status);
        expect(JSON.parse(received.body)).toMatchObject({
          code: received.status === 408 ? "REQUEST_TIMEOUT" : "HEADERS_TOO_LARGE",
        });
      }
    } finally {
      trickles.forEach(clearInterval);
    }
    await stillServes();
  });

  it("has timeouts for slow clients by default", async () => {
    const other = await startTestGateway("sqlite");
    try {
      const server = other.gateway.app.server;
      expect(server.headersTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.headersMs);
      expect(server.requestTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.requestMs);
      expect(server.keepAliveTimeout).toBe(72_000);
    } finally {
      await other.close();
    }
  });

  it("answers unknown content types with 415 UNSUPPORTED_MEDIA_TYPE", async () => {
    for (const contentType of ["application/xml", "image/png", "application/json; charset=iso-8859-1", "x/y"]) {
      const response = await t.client().fetch("/graphql", {
        method: "POST",
        headers: { "content-type": contentType, "apollo-require-preflight": "true" },
        body: JSON.stringify({ query: "{ me { id } }" }),
      });
      expect({ contentType, status: response.status }).toEqual({ contentType, status: 415 });
      expect(await response.json()).toEqual({ code: "UNSUPPORTED_MEDIA_TYPE", message: expect.any(String) });
    }
  });

  it("answers a body that is not UTF-8 with 400 INVALID_ENCODING, not as U+FFFD", async () => {
    const cases = {
      latin1: Buffer.from('{"query":"{ me { id } }","variables":{"n":"caf\xe9"}}', "latin1"),
      loneSurrogate: Buffer.concat([
        Buffer.from('{"query":"{ me { id } } #'),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('"}'),
      ]),
      overlong: Buffer.concat([Buffer.from('{"query":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
      truncated: Buffer.concat([Buffer.from('{"query":"{ me { id } }"}'), Buffer.from([0xf0, 0x9f])]),
    };
    for (const [name, body] of Object.entries(cases)) {
      const response = await t.client().fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect({ name, status: response.status }).toEqual({ name, status: 400 });
      expect(await response.json()).toEqual({ code: "INVALID_ENCODING", message: expect.any(String) });
    }
    // The same with valid UTF-8, emoji and all, is fine.
    const fine = await t.client().fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: Buffer.from(JSON.stringify({ query: "{ me { id } } # 👩‍👩‍👧 ‮ café" }), "utf8"),
    });
    expect(fine.status).toBe(200);
  });

  it("answers every refusal outside GraphQL in one envelope with a code", async () => {
    const cases: { path: string; init?: RequestInit; status: number; code: string }[] = [
      { path: "/no-such-page", status: 404, code: "NOT_FOUND" },
      { path: "/graphql/extra", init: { method: "DELETE" }, status: 404, code: "NOT_FOUND" },
      {
        path: "/graphql",
        init: { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" },
        status: 400,
        code: "BAD_REQUEST",
      },
      {
        path: "/graphql",
        init: { method: "POST", headers: { "content-type": "application/json" }, body: '{"__proto__":{"x":1}}' },
        status: 400,
        code: "BAD_REQUEST",
      },
      {
        path: "/unsubscribe/not-a-token",
        init: { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" },
        status: 400,
        code: "BAD_REQUEST",
      },
      {
        path: "/unsubscribe/not-a-token",
        init: { method: "POST", headers: { "content-type": "text/plain" }, body: "x".repeat(4096) },
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
      },
      { path: "/privacy/exports/x/y", status: 401, code: "UNAUTHENTICATED" },
      {
        path: "/api/event",
        init: { method: "POST", headers: { "content-type": "text/plain" }, body: "x".repeat(9000) },
        status: 413,
        code: "PAYLOAD_TOO_LARGE",
      },
    ];
    for (const { path, init, status, code } of cases) {
      const response = await t.client().fetch(path, init);
      expect({ path, status: response.status }).toEqual({ path, status });
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ code, message: expect.any(String) });
    }
  });

  it("sends Retry-After with RATE_LIMITED", async () => {
    const client = t.client();
    const input = newRegistration();
    await client.ok(REGISTER, { input });
    let limited: Awaited<ReturnType<typeof client.query>> | undefined;
    for (let attempt = 0; attempt < 8 && !limited; attempt++) {
      const result = await t.client().query(LOGIN, { input: { email: input.email, password: "wrong password!" } });
      if (result.errors?.[0]?.extensions?.code === "RATE_LIMITED") limited = result;
      else expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    }
    expect(limited).toBeDefined();
    const retryAfter = Number(limited!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBe(Math.ceil(Number(limited!.errors![0]!.extensions!.retryAfterSeconds)));
  });
});
