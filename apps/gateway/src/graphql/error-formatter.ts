import { unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { ValidationError } from "class-validator";
import { ArgumentValidationError } from "type-graphql";
import {
  DomainException,
  ErrorCode,
  ServiceUnavailableException,
  isDatabaseUnavailable,
  type FieldError,
  type Logger,
} from "@honour/platform";

/** The `extensions.code` a client sees for each domain error code. */
export function publicCode(code: ErrorCode): string {
  switch (code) {
    case ErrorCode.BAD_USER_INPUT:
      return "BAD_USER_INPUT";
    case ErrorCode.UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case ErrorCode.FORBIDDEN:
      return "FORBIDDEN";
    case ErrorCode.NOT_FOUND:
      return "NOT_FOUND";
    case ErrorCode.CONFLICT:
      return "CONFLICT";
    case ErrorCode.RATE_LIMITED:
      return "RATE_LIMITED";
    case ErrorCode.PAYMENT_DECLINED:
      return "PAYMENT_DECLINED";
    case ErrorCode.SERVICE_UNAVAILABLE:
      return "SERVICE_UNAVAILABLE";
    case ErrorCode.MFA_REQUIRED:
      return "MFA_REQUIRED";
    case ErrorCode.MFA_ENROLMENT_REQUIRED:
      return "MFA_ENROLMENT_REQUIRED";
    default: {
      const unreachable: never = code;
      throw new Error(`unmapped error code ${String(unreachable)}`);
    }
  }
}

/** Flattens class-validator's nested errors into `input.address.city`-style field paths. */
export function validationFields(errors: ValidationError[], prefix = ""): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...validationFields(error.children ?? [], field)];
  });
}

/** A GraphQL name: what an input field can be called (a key that is not one is never repeated). */
const NAME = "[_A-Za-z][_0-9A-Za-z]*";
/** The reasons graphql-js gives that name a field below the path: an unknown one, a missing one. */
const FIELD_REASONS = [
  new RegExp(`; Field "(${NAME})" is not defined by type "${NAME}"\\.(?: Did you mean [^;]*\\?)?$`),
  new RegExp(`; Field "(${NAME})" of required type "[^";]+" was not provided\\.$`),
];

/**
 * graphql-js repeats a rejected variable's value in its message ("Variable "$input" got invalid
 * value { cardNumber: … }"), and the value may be card data. Clients get the variable and the
 * path of the bad field, never the value: `i.role` for an unknown field `role`, `i.name` for a
 * missing `name`, `i.lines.0.sku` for a value of the wrong type (list indexes as in the services'
 * field paths).
 */
export function describeInvalidVariable(message: string): { message: string; field: string } | undefined {
  // A variable left out or null: the message holds no value, and the field is the variable.
  const absent =
    /^Variable "\$(\w+)" of (?:required|non-null) type "[^"]+" (?:was not provided|must not be null)\.$/.exec(message);
  if (absent) return { message, field: absent[1]! };
  const head = /^Variable "\$(\w+)" got invalid value /.exec(message);
  if (!head) return undefined;
  const name = head[1]!;
  // The value comes first and may contain anything; the path is the last ` at "<name>…"; `, and
  // the reason (which graphql-js writes itself) ends the message.
  const paths = [...message.matchAll(new RegExp(` at "(${name}(?:\\.\\w+|\\[\\d+\\])*)"; `, "g"))];
  let field = (paths.at(-1)?.[1] ?? name).replace(/\[(\d+)\]/g, ".$1");
  for (const reason of FIELD_REASONS) {
    const below = reason.exec(message)?.[1];
    if (below) {
      field = `${field}.${below}`;
      break;
    }
  }
  return { message: `Variable "$${name}" has an invalid value at "${field}".`, field };
}

/** Anything shaped like a card number (13–19 digits, spaces or dashes between) is masked. */
export function scrubCardNumbers(text: string): string {
  return text.replace(/\d(?:[ -]?\d){12,18}/g, "[REDACTED]");
}

/** Codes Apollo itself assigns to requests it rejects before execution; safe to show. */
const APOLLO_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  // The gateway's own refusal of an ad-hoc document where only trusted documents are accepted.
  "PERSISTED_QUERY_REQUIRED",
]);

/**
 * Refusals Apollo raises without a code (so they would pass for internal errors): a persisted
 * query of a version it does not know, or whose hash is not the query's.
 */
const APOLLO_UNCODED_REFUSALS = new Set(["Unsupported persisted query version", "provided sha does not match query"]);

/**
 * The one place that turns errors into what clients see. Domain exceptions keep their message and
 * code; validation errors list their fields; anything unexpected is logged and masked, so no
 * internals (SQL, stack traces, values) ever reach a response.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    let original = unwrapResolverError(error);
    // Errors from outside resolvers (the context function: a revoked API key) arrive wrapped.
    if (original instanceof GraphQLError && original.originalError instanceof DomainException) {
      original = original.originalError;
    }
    if (original instanceof DomainException) {
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: {
          code: publicCode(original.code),
          ...(original.fields.length > 0 ? { fields: original.fields } : {}),
          ...original.extra,
        },
      };
    }
    if (original instanceof ArgumentValidationError) {
      return {
        message: "The input is not valid.",
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: "BAD_USER_INPUT", fields: validationFields(original.extensions.validationErrors) },
      };
    }
    if (original instanceof GraphQLError && !original.originalError && APOLLO_UNCODED_REFUSALS.has(original.message)) {
      return { message: original.message, extensions: { code: "BAD_REQUEST" } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === "string" && APOLLO_CODES.has(code)) {
      // eslint-disable-next-line @typescript-eslint/no-unused-vars
      const { stacktrace, http, ...extensions } = formatted.extensions ?? {};
      const variable = describeInvalidVariable(formatted.message);
      if (variable) {
        return {
          message: variable.message,
          locations: formatted.locations,
          extensions: {
            ...extensions,
            code: "BAD_USER_INPUT",
            fields: [{ field: variable.field, message: "has an invalid value" }],
          },
        };
      }
      return {
        message: scrubCardNumbers(formatted.message),
        locations: formatted.locations,
        path: formatted.path,
        extensions,
      };
    }
    if (isDatabaseUnavailable(original)) {
      // The database is away: not a bug, and the same request works once it is back.
      logger.warn({ err: original, path: formatted.path }, "database unavailable in a GraphQL request");
      const unavailable = new ServiceUnavailableException();
      return {
        message: unavailable.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: publicCode(unavailable.code), ...unavailable.extra },
      };
    }
    logger.error({ err: original, path: formatted.path }, "unexpected error in a GraphQL request");
    return { message: "Internal server error", path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
