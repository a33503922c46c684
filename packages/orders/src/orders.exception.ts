import { DomainException, ErrorCode } from "@honour/platform";

/**
 * The card was refused (by the provider, or as the test card that always declines). The message
 * says nothing about the card; no order is left behind.
 */
export class PaymentDeclinedException extends DomainException {
  constructor() {
    super(ErrorCode.PAYMENT_DECLINED, "The payment was declined. No order was placed.");
  }
}

/** Another product already has this SKU. */
export class SkuTakenException extends DomainException {
  constructor(field = "input.sku") {
    super(ErrorCode.CONFLICT, "A product with this SKU already exists.", [{ field, message: "is already in use" }]);
  }
}

/** The idempotency key was used before for a different order. */
export class IdempotencyKeyReusedException extends DomainException {
  constructor() {
    super(ErrorCode.CONFLICT, "This idempotency key was already used for a different order.", [
      { field: "input.idempotencyKey", message: "was used for a different order" },
    ]);
  }
}

/** True for a unique-key violation on MySQL/MariaDB or SQLite (a lost race for the same value). */
export function isDuplicateKeyError(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? "";
  return code === "ER_DUP_ENTRY" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
