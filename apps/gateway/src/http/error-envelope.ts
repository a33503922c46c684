import { isUtf8 } from "node:buffer";
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * Every answer of the gateway that is not GraphQL's own has this one JSON shape, the one the
 * page-view beacon and the data-export download already used: `{ "code": "…", "message": "…" }`.
 * Clients branch on `code`; `message` is for people and never repeats what was sent.
 */
export interface ErrorEnvelope {
  code: string;
  message: string;
}

/** The code an HTTP status stands for when nothing more precise is known. */
const STATUS_CODE_NAMES: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  406: "NOT_ACCEPTABLE",
  408: "REQUEST_TIMEOUT",
  409: "CONFLICT",
  410: "GONE",
  411: "LENGTH_REQUIRED",
  413: "PAYLOAD_TOO_LARGE",
  414: "URI_TOO_LONG",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
  431: "HEADERS_TOO_LARGE",
  503: "SERVICE_UNAVAILABLE",
};

/** What each of Fastify's own refusals means for a client, in our words. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: "PAYLOAD_TOO_LARGE", message: "The body is too large." },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: "This content type is not accepted here.",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: "BAD_REQUEST",
    message: "Content-Length does not match the body.",
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: "BAD_REQUEST", message: "The JSON body is empty." },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: "BAD_REQUEST", message: "The body is not valid JSON." },
  FST_ERR_BAD_URL: { status: 400, code: "BAD_REQUEST", message: "The address is not valid." },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: "BAD_REQUEST", message: "The request is not valid." },
};

/** A body that is not UTF-8 (JSON must be: RFC 8259 §8.1). */
export const INVALID_ENCODING = "INVALID_ENCODING";

/**
 * Past the body limit the rest of a body is read and thrown away up to this many bytes, so that
 * the client, still sending, reads the 413 instead of a connection reset; beyond it the connection
 * is cut.
 */
export const DISCARD_LIMIT = 16 * 1024 * 1024;

function envelope(code: string, message: string): ErrorEnvelope {
  return { code, message };
}

/** An error the gateway's own parsers raise, answered with its status and code. */
export class HttpRefusal extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Before a 413 goes out, the rest of the body is read and thrown away, up to
 * {@link DISCARD_LIMIT} bytes: a server that closes while the client is still sending makes the
 * client's TCP stack drop the answer for a reset. Resolves when the body has ended, the client
 * has gone, or the limit is passed (the connection is then closed after the answer anyway).
 */
function discardRestOfBody(request: FastifyRequest): Promise<void> {
  const raw = request.raw;
  if (raw.complete || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let discarded = 0;
    const finish = () => {
      raw.off("data", count);
      resolve();
    };
    const count = (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > DISCARD_LIMIT) finish();
    };
    raw.on("data", count);
    raw.once("end", finish);
    raw.once("close", finish);
    raw.resume();
  });
}

/**
 * Fastify's 404 and error handlers, and a JSON parser that refuses bodies that are not UTF-8
 * (instead of reading them as U+FFFD). Register before the routes.
 */
export function registerErrorEnvelope(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const charset = /;\s*charset="?([^";\s]+)/i.exec(request.headers["content-type"] ?? "")?.[1];
    if (charset && !/^utf-?8$/i.test(charset)) {
      done(new HttpRefusal(415, "UNSUPPORTED_MEDIA_TYPE", "JSON is accepted in UTF-8 only."), undefined);
      return;
    }
    if (!isUtf8(body as Buffer)) {
      done(new HttpRefusal(400, INVALID_ENCODING, "The body is not valid UTF-8."), undefined);
      return;
    }
    parseJson(request, (body as Buffer).toString("utf8"), done);
  });

  app.setNotFoundHandler((_request, reply) => {
    // The address is not repeated: some of ours carry tokens.
    void reply.code(404).send(envelope("NOT_FOUND", "There is nothing at this address."));
  });

  app.setErrorHandler(async (error: FastifyError | HttpRefusal, request: FastifyRequest, reply: FastifyReply) => {
    let status: number;
    let code: string;
    let message: string;
    const known =
      error instanceof HttpRefusal
        ? { status: error.statusCode, code: error.code, message: error.message }
        : FASTIFY_ERRORS[error.code ?? ""];
    if (known) {
      ({ status, code, message } = known);
    } else if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      code = STATUS_CODE_NAMES[status] ?? "BAD_REQUEST";
      message = STATUS_CODES[status] ?? "Bad request";
    } else {
      request.log.error({ err: error }, "unexpected error in an HTTP request");
      status = 500;
      code = "INTERNAL_SERVER_ERROR";
      message = "Internal server error";
    }
    if (status === 413) {
      // Not reused: past the limit, the rest of the body is never read.
      reply.header("connection", "close");
      await discardRestOfBody(request);
    }
    return reply.code(status).header("cache-control", "no-store").send(envelope(code, message));
  });
}

/**
 * Node's refusals before any request exists (headers or body too slow, headers too large, bytes
 * that are not HTTP), in the same envelope. The connection is closed after it.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  let status = 400;
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") status = 408;
  else if (error.code === "HPE_HEADER_OVERFLOW") status = 431;
  const body = JSON.stringify(
    envelope(
      STATUS_CODE_NAMES[status]!,
      status === 408
        ? "The request took too long to arrive."
        : status === 431
          ? "The headers are too large."
          : "This is not a valid HTTP request.",
    ),
  );
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** For other routes' own refusals: the envelope with this code and message. */
export function refusal(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).header("cache-control", "no-store").send(envelope(code, message));
}
