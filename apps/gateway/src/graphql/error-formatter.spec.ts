import { GraphQLError } from "graphql";
import { createErrorFormatter, describeInvalidVariable, publicCode, scrubCardNumbers } from "./error-formatter";
import { DomainException, ErrorCode, ValidationException } from "@honour/platform";

/** A domain exception subclass, as a domain package declares one. */
class ConflictFixture extends DomainException {
  constructor() {
    super(ErrorCode.CONFLICT, "Already exists.");
  }
}

function recordingLogger() {
  const errors: unknown[] = [];
  const noop = () => undefined;
  return { errors, logger: { info: noop, warn: noop, debug: noop, error: (obj: unknown) => void errors.push(obj) } };
}

describe("error formatter", () => {
  it("maps every domain error code to a public code", () => {
    for (const code of Object.values(ErrorCode)) expect(publicCode(code)).toBe(code);
  });

  it("keeps a domain error's message, code and fields", () => {
    const { logger, errors } = recordingLogger();
    const format = createErrorFormatter(logger);
    const exception = new ValidationException([{ field: "input.email", message: "must be an email" }]);
    const wrapped = new GraphQLError(exception.message, { originalError: exception, path: ["register"] });
    const formatted = format({ message: wrapped.message, path: ["register"] }, wrapped);
    expect(formatted.extensions).toEqual({
      code: "BAD_USER_INPUT",
      fields: [{ field: "input.email", message: "must be an email" }],
    });
    expect(errors).toHaveLength(0);
    expect(
      format({ message: "x" }, new GraphQLError("x", { originalError: new ConflictFixture(), path: ["x"] })).extensions
        ?.code,
    ).toBe("CONFLICT");
  });

  it("masks and logs an unexpected error, keeping SQL and values out of the response", () => {
    const { logger, errors } = recordingLogger();
    const format = createErrorFormatter(logger);
    const internal = new Error("ER_DUP_ENTRY: Duplicate entry 'secret@example.test' for key 'email' in SELECT …");
    const wrapped = new GraphQLError(internal.message, { originalError: internal, path: ["me"] });
    const formatted = format(
      { message: internal.message, path: ["me"], extensions: { code: "INTERNAL_SERVER_ERROR" } },
      wrapped,
    );
    expect(formatted).toEqual({
      message: "Internal server error",
      path: ["me"],
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
    expect(errors).toHaveLength(1);
  });
});

describe("invalid variables", () => {
  it("name the variable and the bad field, never the value", () => {
    const message =
      'Variable "$input" got invalid value { cardNumber: "4111 1111 1111 1111", cvc: "123", note: "a; at \\"input.x\\"; b" } at "input.payment.nickname"; Field "nickname" is not defined by type "PaymentInput".';
    expect(describeInvalidVariable(message)).toEqual({
      message: 'Variable "$input" has an invalid value at "input.payment.nickname".',
      field: "input.payment.nickname",
    });
    expect(
      describeInvalidVariable('Variable "$first" got invalid value "x"; Int cannot represent non-integer value: "x"'),
    ).toEqual({
      message: 'Variable "$first" has an invalid value at "first".',
      field: "first",
    });
    expect(describeInvalidVariable("Cannot query field")).toBeUndefined();
  });

  it("masks anything shaped like a card number", () => {
    expect(scrubCardNumbers("got 4111 1111 1111 1111 and 378282246310005 and 12345")).toBe(
      "got [REDACTED] and [REDACTED] and 12345",
    );
  });
});
