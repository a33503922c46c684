import { ValidationException, type FieldError } from "@honour/platform";

/**
 * Collects every invalid field of an input so the caller can fix them all at once. Field paths
 * name the GraphQL argument (`input.subject`, `input.3.topic`), as the gateway reports
 * class-validator's errors.
 */
export class FieldChecks {
  private readonly errors: FieldError[] = [];

  fail(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw new ValidationException(this.errors);
  }
}
