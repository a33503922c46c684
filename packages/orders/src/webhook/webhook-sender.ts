import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { BlockedDestinationError, guardedLookup, isPrivateAddress } from "./webhook-url";

/** What one attempt came to. */
export interface WebhookAttemptOutcome {
  ok: boolean;
  /** The answer's status, or null when none came (refused, timed out, unreachable). */
  httpStatus: number | null;
  latencyMs: number;
  /** Why it failed; null when it succeeded. */
  error: string | null;
}

export interface WebhookSendOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

/** The answer's body is read (and dropped) up to this much, then the connection is closed. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one signed webhook with Node's own `http`/`https`: a 2xx answer is a success, anything
 * else a failure. Redirects are never followed (a 3xx is a failure that names its status), so a
 * partner's server cannot send us on to an internal address; the host's addresses are checked at
 * connection time ({@link guardedLookup}), and an IP literal before it.
 */
export function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: WebhookSendOptions,
): Promise<WebhookAttemptOutcome> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<WebhookAttemptOutcome, "latencyMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, latencyMs: elapsed() });
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return finish({ ok: false, httpStatus: null, error: "the URL is not valid" });
    }
    const host = target.hostname.replace(/^\[|\]$/g, "");
    if (!options.allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) {
      return finish({ ok: false, httpStatus: null, error: `refused: ${host} is a private or local address` });
    }
    const send = target.protocol === "https:" ? httpsRequest : target.protocol === "http:" ? httpRequest : null;
    if (!send) return finish({ ok: false, httpStatus: null, error: "refused: not an http(s) URL" });

    const req = send(target, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
        "user-agent": "Honour-Webhooks/1",
      },
      lookup: guardedLookup(options.allowPrivate) as never,
      // A fresh connection per attempt: no pooled socket to a host whose address has changed.
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, httpStatus: null, error: `timed out after ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    req.on("error", (error: NodeJS.ErrnoException) => {
      const message =
        error instanceof BlockedDestinationError || (error as { code?: string }).code === "WEBHOOK_DESTINATION_BLOCKED"
          ? `refused: ${error.message}`
          : `${error.code ?? error.name}: ${error.message}`;
      finish({ ok: false, httpStatus: null, error: message.slice(0, 500) });
    });
    req.on("response", (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      // The status is the answer; the body is read briefly so the socket closes cleanly.
      let read = 0;
      res.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) res.destroy();
      });
      res.on("error", () => undefined);
      const done = () => {
        if (status >= 200 && status < 300) finish({ ok: true, httpStatus: status, error: null });
        else if (status >= 300 && status < 400) {
          finish({ ok: false, httpStatus: status, error: `HTTP ${status}: redirects are not followed` });
        } else finish({ ok: false, httpStatus: status, error: `HTTP ${status}` });
      };
      res.on("end", done);
      res.on("close", done);
    });
    req.end(body);
  });
}
