import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { IngestRequest, IngestStatus } from "@honour/stats";
import { createEventEndpoint } from "./event-endpoint";

/** Not the stats package's 8 KiB default: the endpoint must follow the limit it is given. */
const LIMIT = 4096;

interface Answer {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

/** Sends a raw request; `chunks` go out one write at a time (chunked, no content-length). */
function send(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string | number>; chunks?: (string | Buffer)[] },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "POST",
        path: options.path ?? "/api/event",
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    // The server may answer 413 and close before every chunk is written.
    req.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error),
    );
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe("POST /api/event ahead of Fastify", () => {
  let server: Server;
  let port: number;
  let accepted: IngestRequest[];
  let status: IngestStatus | "throw";
  let answered: number[];
  let failures: unknown[];
  let fallThrough: string[];
  let closing: boolean;
  let trustProxy: boolean | string[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const endpoint = createEventEndpoint({
        accept: (request) => {
          if (status === "throw") throw new Error("a bug");
          accepted.push(request);
          return status;
        },
        maxBodyBytes: LIMIT,
        trustProxy,
        closing: () => closing,
        answered: (_request, code) => answered.push(code),
        failed: (error) => failures.push(error),
      });
      if (!endpoint(req, res)) {
        fallThrough.push(`${req.method} ${req.url}`);
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    accepted = [];
    status = 202;
    answered = [];
    failures = [];
    fallThrough = [];
    closing = false;
    trustProxy = false;
  });

  const view = JSON.stringify({ url: "https://www.honour.example/pricing", referrer: "https://www.google.co.uk/" });
  const headers = {
    "content-type": "text/plain;charset=UTF-8",
    "user-agent": "Mozilla/5.0 Firefox/133.0",
    dnt: "0",
    "sec-gpc": "0",
    referer: "https://www.honour.example/pricing",
    "x-forwarded-for": "203.0.113.9",
  };

  it("hands the body, headers and the socket's address to the ingest and answers its status at once", async () => {
    const answer = await send(port, {
      headers: { ...headers, connection: "keep-alive" },
      chunks: [view.slice(0, 10), view.slice(10)],
    });

    expect(answer).toMatchObject({ status: 202, body: "" });
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(answer.headers.connection).toBe("keep-alive");
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.body.toString()).toBe(view);
    expect(accepted[0]).toMatchObject({
      contentType: "text/plain;charset=UTF-8",
      headers: { userAgent: "Mozilla/5.0 Firefox/133.0", dnt: "0", secGpc: "0", referer: headers.referer },
      ip: "127.0.0.1", // X-Forwarded-For is not trusted without TRUST_PROXY
    });
    expect(answered).toEqual([202]);
  });

  it("takes the client's address from X-Forwarded-For behind a trusted proxy", async () => {
    trustProxy = true;
    // A new endpoint reads the setting when it is created: the server makes one per request.
    await send(port, { headers: { ...headers, "x-forwarded-for": "198.51.100.7, 10.0.0.2" }, chunks: [view] });
    expect(accepted[0]!.ip).toBe("198.51.100.7");
  });

  it("behind listed proxies, takes the address left of the last trusted hop, not what the client wrote", async () => {
    trustProxy = ["127.0.0.0/8", "10.0.0.0/8"];
    // The client claims 192.0.2.1; the edge proxy (10.0.0.2) appended the client's real address.
    await send(port, {
      headers: { ...headers, "x-forwarded-for": "192.0.2.1, 198.51.100.7, 10.0.0.2" },
      chunks: [view],
    });
    expect(accepted[0]!.ip).toBe("198.51.100.7");
    // From an untrusted peer nothing in the header counts.
    trustProxy = ["10.0.0.0/8"];
    await send(port, { headers: { ...headers, "x-forwarded-for": "198.51.100.7" }, chunks: [view] });
    expect(accepted[1]!.ip).toBe("127.0.0.1");
  });

  it("accepts a query string and leaves every other method and path to Fastify", async () => {
    expect((await send(port, { path: "/api/event?v=1", headers, chunks: [view] })).status).toBe(202);
    for (const [method, path] of [
      ["GET", "/api/event"],
      ["POST", "/api/events"],
      ["POST", "/api/event/"],
      ["POST", "/graphql"],
    ] as const) {
      expect((await send(port, { method, path, headers })).status).toBe(404);
    }
    expect(fallThrough).toEqual(["GET /api/event", "POST /api/events", "POST /api/event/", "POST /graphql"]);
    expect(accepted).toHaveLength(1);
  });

  it("answers 413 with a code for a body over the limit, declared or streamed, without reading it all", async () => {
    const big = "x".repeat(LIMIT + 1);
    const declared = await send(port, { headers: { ...headers, "content-length": big.length }, chunks: [big] });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    expect(declared.headers.connection).toBe("close");

    const chunk = "y".repeat(1024);
    const streamed = await send(port, { headers, chunks: Array.from({ length: 5 }, () => chunk) });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });

    const exactly = await send(port, { headers, chunks: ["z".repeat(LIMIT)] });
    expect(exactly.status).toBe(202);
    expect(accepted).toHaveLength(1);
    expect(answered).toEqual([413, 413, 202]);
  });

  it("explains the ingest's refusals with a code", async () => {
    status = 400;
    const bad = await send(port, { headers, chunks: ["{not json"] });
    expect(bad.status).toBe(400);
    expect(bad.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(bad.body)).toMatchObject({ code: "BAD_EVENT" });
    status = 503;
    const full = await send(port, { headers, chunks: [view] });
    expect(full.status).toBe(503);
    expect(full.headers["retry-after"]).toBe("5");
    expect(JSON.parse(full.body)).toMatchObject({ code: "UNAVAILABLE" });
  });

  it("answers 500 and reports the error when the ingest throws, and tells clients to go while closing", async () => {
    status = "throw";
    const broken = await send(port, { headers, chunks: [view] });
    expect(broken.status).toBe(500);
    expect(JSON.parse(broken.body)).toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
    expect(failures).toEqual([expect.objectContaining({ message: "a bug" })]);

    status = 202;
    closing = true;
    const last = await send(port, { headers, chunks: [view] });
    expect(last.status).toBe(202);
    expect(last.headers.connection).toBe("close");
  });
});
