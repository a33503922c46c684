import {
  FieldChecks as PlatformFieldChecks,
  normaliseEmail,
  ValidationException,
  type FieldError,
} from "@honour/platform";
import { isEmail } from "class-validator";

/**
 * Platform's {@link PlatformFieldChecks} with the orders domain's rules for texts, emails and
 * numbers, throwing {@link invalidInput}. Paths name the GraphQL argument (`input.lines.0.quantity`).
 * Messages say what is wrong, never what was sent: some inputs carry card data.
 */
export class FieldChecks extends PlatformFieldChecks {
  /** A required text: trimmed, not empty, at most `max` characters. */
  required(field: string, value: string | null | undefined, max: number): string {
    if (value === null || value === undefined) {
      this.fail(field, "is required");
      return "";
    }
    if (typeof value !== "string") {
      this.fail(field, "must be text");
      return "";
    }
    const text = value.trim();
    if (text === "") this.fail(field, "must not be empty");
    else if (text.length > max) this.fail(field, `must be at most ${max} characters`);
    return text;
  }

  /** An optional text: trimmed; empty means none. */
  optional(field: string, value: string | null | undefined, max: number): string | null {
    if (value === null || value === undefined) return null;
    if (typeof value !== "string") {
      this.fail(field, "must be text");
      return null;
    }
    const text = value.trim();
    if (text === "") return null;
    if (text.length > max) this.fail(field, `must be at most ${max} characters`);
    return text;
  }

  /** An email address, stored in platform's `normaliseEmail` form (NFC, trimmed, lower-case). */
  email(field: string, value: string | null | undefined, max: number): string {
    // The form accounts store addresses in, so an order's contact can be compared with an
    // account's email as it is.
    const text = normaliseEmail(this.required(field, value, max));
    if (text !== "" && !this.hasFailed(field) && !isEmail(text)) this.fail(field, "must be an email address");
    return text;
  }

  /** A whole number within [min, max]. */
  integer(field: string, value: number | null | undefined, min: number, max: number): number {
    if (value === null || value === undefined) {
      this.fail(field, "is required");
      return min;
    }
    if (!Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `must be a whole number from ${min} to ${max}`);
    }
    return value;
  }

  protected override exception(errors: readonly FieldError[]): ValidationException {
    return invalidInput(errors);
  }
}

/**
 * `BAD_USER_INPUT` for these fields. The message names each field and what is wrong with it (the
 * same as `extensions.fields`), so a client that only shows messages still shows the field.
 */
export function invalidInput(errors: readonly FieldError[]): ValidationException {
  const summary = errors.map((e) => `${e.field} ${e.message}`).join("; ");
  return new ValidationException([...errors], `The input is not valid: ${summary}.`);
}
