import { ErrorCode, ValidationException } from "./domain.exception";
import { FieldChecks } from "./field-checks";

function thrown(work: () => void): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("FieldChecks", () => {
  it("throws nothing when no field failed", () => {
    const checks = new FieldChecks();
    expect(checks.failed).toBe(false);
    expect(() => checks.throwIfAny()).not.toThrow();
  });

  it("throws one BAD_USER_INPUT listing every failed field in the order found", () => {
    const checks = new FieldChecks();
    checks.fail("input.email", "must be an email address");
    checks.fail("input.lines.0.quantity", "must be a whole number from 1 to 99");
    expect(checks.failed).toBe(true);
    const error = thrown(() => checks.throwIfAny());
    expect(error).toBeInstanceOf(ValidationException);
    expect(error).toMatchObject({
      code: ErrorCode.BAD_USER_INPUT,
      message: "The input is not valid.",
      fields: [
        { field: "input.email", message: "must be an email address" },
        { field: "input.lines.0.quantity", message: "must be a whole number from 1 to 99" },
      ],
    });
  });

  it("tells whether a field or anything under it failed", () => {
    const checks = new FieldChecks();
    checks.fail("input.lines.0.quantity", "is required");
    expect(checks.hasFailed("input.lines.0")).toBe(true);
    expect(checks.hasFailed("input.lines.0.quantity")).toBe(true);
    expect(checks.hasFailed("input.lines.1")).toBe(false);
    expect(checks.hasFailed("input.line")).toBe(false);
    expect(checks.all).toEqual([{ field: "input.lines.0.quantity", message: "is required" }]);
  });

  it("lets a subclass word the exception it throws", () => {
    class Summarised extends FieldChecks {
      protected override exception(errors: readonly { field: string; message: string }[]): ValidationException {
        return new ValidationException([...errors], `Invalid: ${errors.map((e) => e.field).join(", ")}.`);
      }
    }
    const checks = new Summarised();
    checks.fail("input.name", "must not be empty");
    expect(thrown(() => checks.throwIfAny())).toMatchObject({ message: "Invalid: input.name." });
  });
});
