import type { IncomingMessage, ServerResponse } from "node:http";
import proxyAddr from "@fastify/proxy-addr";
import { SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS } from "@honour/platform";
import type { IngestRequest, IngestStatus } from "@honour/stats";

/** The page-view beacon's path. */
export const EVENT_PATH = "/api/event";

/** What each refusal says, for whoever reads it (browsers ignore a beacon's answer). */
const refusals = (maxBodyBytes: number): Record<number, string> => ({
  400: JSON.stringify({ code: "BAD_EVENT", message: "The body is not a page view: JSON { url, referrer } in UTF-8." }),
  413: JSON.stringify({ code: "PAYLOAD_TOO_LARGE", message: `A page view is at most ${maxBodyBytes} bytes.` }),
  500: JSON.stringify({ code: "INTERNAL_SERVER_ERROR", message: "The page view could not be taken." }),
  503: JSON.stringify({ code: "UNAVAILABLE", message: "Page views cannot be taken just now; try again later." }),
});

export interface EventEndpointOptions {
  /** The stats package's ingest: checks, reduces and buffers one page view, answering at once. */
  accept(request: IngestRequest): IngestStatus;
  /**
   * The largest body, in bytes: the stats package's `maxBodyBytes` (8 KiB unless configured), the
   * one limit of a beacon. Beyond it the body is not read at all.
   */
  maxBodyBytes: number;
  /**
   * Whose `X-Forwarded-For` to believe, as Fastify's `trustProxy` takes it (the `TRUST_PROXY`
   * setting): nobody, every hop, or the proxies at these addresses and CIDR ranges.
   */
  trustProxy: boolean | readonly string[];
  /** True while the gateway shuts down: answers tell keep-alive clients to go. */
  closing(): boolean;
  /** Called once per answered request (metrics, the request log). */
  answered(request: IncomingMessage, status: number, startedAt: number): void;
  /** Called when something that is not the client's fault went wrong. */
  failed(error: unknown): void;
}

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
const trustAll = () => true;

/**
 * `POST /api/event`, served straight from node:http ahead of Fastify's router: the busiest route
 * by far, and one that needs none of Fastify's machinery (no session, no cookies, no JSON reply).
 * Returns false for any other request, which Fastify then serves as usual.
 *
 * The body is read up to `maxBodyBytes` (413 beyond it, and the connection
 * closes rather than reading the rest); the stats package decides the rest (202, 400, 503).
 */
export function createEventEndpoint(
  options: EventEndpointOptions,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const trust =
    options.trustProxy === true
      ? trustAll
      : Array.isArray(options.trustProxy) && options.trustProxy.length > 0
        ? proxyAddr.compile([...options.trustProxy])
        : null;
  const limit = options.maxBodyBytes;
  const REFUSALS = refusals(limit);
  const clientIp = trust
    ? (request: IncomingMessage) => proxyAddr(request, trust)
    : (request: IncomingMessage) => request.socket.remoteAddress ?? "";

  const answer = (request: IncomingMessage, response: ServerResponse, status: number, startedAt: number) => {
    if (response.headersSent) return;
    const body = REFUSALS[status] ?? "";
    const headers: Record<string, string | number> = { "cache-control": "no-store", "content-length": body.length };
    if (body) headers["content-type"] = "application/json; charset=utf-8";
    // The buffer is full (the database away): say when to try again.
    if (status === 503) headers["retry-after"] = SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS;
    // Past the body limit the rest of the body is never read, so the connection cannot be reused.
    if (status === 413 || options.closing()) headers.connection = "close";
    response.writeHead(status, headers);
    response.end(body);
    options.answered(request, status, startedAt);
  };

  return (request, response) => {
    if (request.method !== "POST") return false;
    const url = request.url ?? "";
    if (url !== EVENT_PATH && !(url.startsWith(EVENT_PATH) && url[EVENT_PATH.length] === "?")) return false;

    const startedAt = performance.now();
    const declared = Number(request.headers["content-length"]);
    if (declared > limit) {
      answer(request, response, 413, startedAt);
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        answer(request, response, 413, startedAt);
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (done) return;
      done = true;
      let status: number;
      try {
        status = options.accept({
          body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
          contentType: request.headers["content-type"],
          headers: {
            userAgent: request.headers["user-agent"],
            dnt: first(request.headers.dnt),
            secGpc: first(request.headers["sec-gpc"]),
            referer: request.headers.referer,
          },
          ip: clientIp(request),
        });
      } catch (error) {
        options.failed(error);
        status = 500;
      }
      answer(request, response, status, startedAt);
    });
    // The client went away mid-body: nothing was accepted, and nobody is left to answer.
    request.on("error", () => {
      done = true;
    });
    return true;
  };
}
