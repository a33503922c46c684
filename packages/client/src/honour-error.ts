/**
 * The `extensions.code` values the Honour gateway answers with. The first eight are the gateway's
 * own (its domain errors); the rest are raised by Apollo Server before a query runs, or by the
 * HTTP layer around it.
 */
export type HonourErrorCode =
  | "BAD_USER_INPUT"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "PAYMENT_DECLINED"
  | "SERVICE_UNAVAILABLE"
  | "GRAPHQL_VALIDATION_FAILED"
  | "GRAPHQL_PARSE_FAILED"
  | "BAD_REQUEST"
  | "PERSISTED_QUERY_NOT_FOUND"
  | "PERSISTED_QUERY_NOT_SUPPORTED"
  | "PERSISTED_QUERY_REQUIRED"
  | "OPERATION_RESOLUTION_FAILURE"
  | "INTERNAL_SERVER_ERROR";

/** Every {@link HonourErrorCode}, for code that needs the list at run time. */
export const HONOUR_ERROR_CODES: readonly HonourErrorCode[] = [
  "BAD_USER_INPUT",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "RATE_LIMITED",
  "PAYMENT_DECLINED",
  "SERVICE_UNAVAILABLE",
  "GRAPHQL_VALIDATION_FAILED",
  "GRAPHQL_PARSE_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "PERSISTED_QUERY_REQUIRED",
  "OPERATION_RESOLUTION_FAILURE",
  "INTERNAL_SERVER_ERROR",
];

/** One invalid input field of a `BAD_USER_INPUT` error: `input.email`, `input.lines.0.sku`. */
export interface FieldError {
  field: string;
  message: string;
}

/** A GraphQL error as the gateway sends it. */
export interface GraphQLErrorPayload {
  message: string;
  path?: readonly (string | number)[];
  locations?: readonly { line: number; column: number }[];
  extensions?: Record<string, unknown>;
}

export interface HonourErrorDetails {
  code: HonourErrorCode;
  message: string;
  /** The code as the server sent it, when it is not one of {@link HonourErrorCode}. */
  serverCode?: string;
  fields?: readonly FieldError[];
  retryAfterSeconds?: number;
  status?: number;
  errors?: readonly GraphQLErrorPayload[];
  data?: unknown;
}

/**
 * What the Honour client throws when the gateway refuses a request or answers with errors. Branch
 * on {@link HonourError.code}, never on the message.
 *
 * @example
 * try {
 *   await honour.request(RegisterDocument, { input });
 * } catch (error) {
 *   if (error instanceof HonourError && error.code === "BAD_USER_INPUT") showFieldErrors(error.fields);
 *   else throw error;
 * }
 */
export class HonourError extends Error {
  override readonly name = "HonourError";
  /** The first error's code. */
  readonly code: HonourErrorCode;
  /** The code as the server sent it when it is not a {@link HonourErrorCode} (then `code` is INTERNAL_SERVER_ERROR or BAD_REQUEST). */
  readonly serverCode?: string;
  /** For `BAD_USER_INPUT`: every invalid field with its message. Empty for other codes. */
  readonly fields: readonly FieldError[];
  /** For `RATE_LIMITED` and `SERVICE_UNAVAILABLE`: how long to wait before trying again. */
  readonly retryAfterSeconds?: number;
  /** The HTTP status of the answer (200 for most GraphQL errors). */
  readonly status?: number;
  /** Every GraphQL error of the answer; the first one gives `code` and `message`. */
  readonly errors: readonly GraphQLErrorPayload[];
  /** The partial data of an answer that had both data and errors. */
  readonly data?: unknown;

  constructor(details: HonourErrorDetails) {
    super(details.message);
    this.code = details.code;
    this.serverCode = details.serverCode;
    this.fields = details.fields ?? [];
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.status = details.status;
    this.errors = details.errors ?? [];
    this.data = details.data;
  }
}

/** True for a {@link HonourError}, optionally of one of these codes. */
export function isHonourError(error: unknown, ...codes: HonourErrorCode[]): error is HonourError {
  return error instanceof HonourError && (codes.length === 0 || codes.includes(error.code));
}

const KNOWN = new Set<string>(HONOUR_ERROR_CODES);

function isCode(value: unknown): value is HonourErrorCode {
  return typeof value === "string" && KNOWN.has(value);
}

function fieldsOf(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is FieldError =>
      typeof entry === "object" &&
      entry !== null &&
      typeof (entry as FieldError).field === "string" &&
      typeof (entry as FieldError).message === "string",
  );
}

function secondsOf(value: unknown): number | undefined {
  const seconds = typeof value === "string" ? Number(value) : value;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** The code a status stands for when the answer names none (a proxy's page, an empty body). */
export function codeOfStatus(status: number): HonourErrorCode {
  if (status === 429) return "RATE_LIMITED";
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "FORBIDDEN";
  if (status === 404) return "NOT_FOUND";
  if (status === 502 || status === 503 || status === 504) return "SERVICE_UNAVAILABLE";
  if (status >= 400 && status < 500) return "BAD_REQUEST";
  return "INTERNAL_SERVER_ERROR";
}

/** The error for an answer's GraphQL errors (the first one decides code and message). */
export function errorFromGraphQL(
  errors: readonly GraphQLErrorPayload[],
  answer: { status: number; retryAfter: string | null; data?: unknown },
): HonourError {
  const first = errors[0]!;
  const raw = first.extensions?.code;
  const code = isCode(raw)
    ? raw
    : answer.status >= 400 && answer.status < 500
      ? "BAD_REQUEST"
      : "INTERNAL_SERVER_ERROR";
  return new HonourError({
    code,
    serverCode: typeof raw === "string" && raw !== code ? raw : undefined,
    message: first.message,
    fields: fieldsOf(first.extensions?.fields),
    retryAfterSeconds: secondsOf(first.extensions?.retryAfterSeconds) ?? secondsOf(answer.retryAfter),
    status: answer.status,
    errors,
    data: answer.data ?? undefined,
  });
}

/** The error for an answer that is not GraphQL: the gateway's `{ code, message }` envelope, or anything else. */
export function errorFromHttp(status: number, body: unknown, retryAfter: string | null): HonourError {
  const envelope = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const raw = envelope.code;
  const code = isCode(raw) ? raw : codeOfStatus(status);
  return new HonourError({
    code,
    serverCode: typeof raw === "string" && raw !== code ? raw : undefined,
    message: typeof envelope.message === "string" ? envelope.message : `The gateway answered HTTP ${status}.`,
    retryAfterSeconds: secondsOf(retryAfter),
    status,
  });
}
