import { ValidationException, type FieldError } from "./domain.exception";

/**
 * Collects every invalid field of an input, so the caller can fix them all at once, then throws
 * one `BAD_USER_INPUT` ({@link ValidationException}) listing them in `fields`. Field paths name the
 * GraphQL argument (`input.email`, `input.lines.0.quantity`), as the gateway reports
 * class-validator's errors. Domains add their own rules as functions taking a `FieldChecks`, or as
 * methods of a small subclass; a subclass may also word the thrown exception (`exception`).
 */
export class FieldChecks {
  private readonly errors: FieldError[] = [];

  /** Records that `field` is invalid, and why. */
  fail(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  /** Has any field failed so far? */
  get failed(): boolean {
    return this.errors.length > 0;
  }

  /** Every problem so far, in the order found. */
  get all(): readonly FieldError[] {
    return this.errors;
  }

  /** Has `field` (or anything under it) failed already? */
  hasFailed(field: string): boolean {
    return this.errors.some((e) => e.field === field || e.field.startsWith(`${field}.`));
  }

  /** Throws the exception for every field that failed; does nothing when none did. */
  throwIfAny(): void {
    if (this.errors.length > 0) throw this.exception(this.errors);
  }

  /** What {@link throwIfAny} throws: `BAD_USER_INPUT` with platform's message and every field. */
  protected exception(errors: readonly FieldError[]): ValidationException {
    return new ValidationException([...errors]);
  }
}
