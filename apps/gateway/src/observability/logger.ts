import pino, { type DestinationStream, type LoggerOptions } from "pino";

/**
 * Paths that may hold secrets or card data, censored wherever they appear in a log line.
 * Request bodies and GraphQL variables are never logged in the first place.
 */
export const REDACTED_PATHS = [
  "req.headers.cookie",
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  "*.password",
  "*.currentPassword",
  "*.newPassword",
  "*.token",
  "*.cardNumber",
  "*.cvc",
  "*.secret",
  "err.parameters",
  "err.driverError",
];

/**
 * Everything after these prefixes is a token or a signed link (unsubscribe links, downloads,
 * `/privacy/exports/:id/:sig`): mask it all, every segment.
 */
const TOKEN_ROUTES = /^((?:\/privacy)?\/(?:unsubscribe|download|exports?)\/)[^?#]+/;

/** The URL as logged: token segments masked and query values dropped. */
export function safeUrl(url: string): string {
  const [path = "", query] = url.split("?", 2);
  const masked = path.replace(TOKEN_ROUTES, "$1[REDACTED]");
  if (query === undefined) return masked;
  const keys = query
    .split("&")
    .map((pair) => pair.split("=", 1)[0])
    .filter(Boolean);
  return `${masked}?${keys.map((k) => `${k}=[REDACTED]`).join("&")}`;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
    serializers: {
      req: (req: { method?: string; url?: string; id?: string; ip?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url ? safeUrl(req.url) : undefined,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
}

export function createLogger(level: string, destination?: DestinationStream) {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
