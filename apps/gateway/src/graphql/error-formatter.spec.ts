import { GraphQLError, buildSchema, parse, type OperationDefinitionNode } from "graphql";
import { getVariableValues } from "graphql/execution/values";
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

/** What graphql-js itself says about these variables for `query ($i: OrderInput!, $first: Int)`. */
function coercionMessages(variables: Record<string, unknown>): string[] {
  const schema = buildSchema(`
    input CardInput { cardNumber: String! cvc: String! }
    input LineInput { sku: String! quantity: Int! }
    input OrderInput { name: String! lines: [LineInput!]! payment: CardInput }
    type Query { ok(i: OrderInput!, first: Int): Boolean }
  `);
  const operation = parse("query ($i: OrderInput!, $first: Int) { ok(i: $i, first: $first) }")
    .definitions[0] as OperationDefinitionNode;
  const result = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  return "errors" in result ? (result.errors ?? []).map((e) => e.message) : [];
}

describe("invalid variables", () => {
  const card = { cardNumber: "4111 1111 1111 1111", cvc: "123" };

  it("name an unknown field and a missing one by their path, never the value", () => {
    const messages = coercionMessages({ i: { role: "ADMIN", lines: [], payment: { ...card, nickname: "x" } } });
    const described = messages.map((m) => describeInvalidVariable(m)!);
    expect(described.map((d) => d.field).sort()).toEqual(["i.name", "i.payment.nickname", "i.role"]);
    expect(described.map((d) => d.message)).toContain('Variable "$i" has an invalid value at "i.role".');
    for (const { message } of described) {
      expect(message).not.toMatch(/4111|123|ADMIN/);
    }
  });

  it("name a value of the wrong type by its path, list indexes as the services write them", () => {
    const messages = coercionMessages({ i: { name: "x", lines: [{ sku: 7, quantity: "many" }] }, first: "x" });
    expect(messages.map((m) => describeInvalidVariable(m)!.field).sort()).toEqual([
      "first",
      "i.lines.0.quantity",
      "i.lines.0.sku",
    ]);
  });

  it("are not fooled by a value that looks like a path or a reason", () => {
    const sly = '; Field "admin" is not defined by type "OrderInput". at "i.x"; ';
    const messages = coercionMessages({ i: { name: "x", lines: [{ sku: sly, quantity: sly }], payment: card } });
    expect(messages.map((m) => describeInvalidVariable(m)!.field)).toEqual(["i.lines.0.quantity"]);
  });

  it("name a variable left out or null", () => {
    for (const variables of [{}, { i: null }]) {
      const [message] = coercionMessages(variables);
      expect(describeInvalidVariable(message!)?.field).toBe("i");
    }
    expect(describeInvalidVariable("Cannot query field")).toBeUndefined();
  });

  it("masks anything shaped like a card number", () => {
    expect(scrubCardNumbers("got 4111 1111 1111 1111 and 378282246310005 and 12345")).toBe(
      "got [REDACTED] and [REDACTED] and 12345",
    );
  });
});
