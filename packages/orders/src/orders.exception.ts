import { DomainException, ErrorCode, type FieldError } from "@honour/platform";
import type { OrderStatus } from "./order/order-state";

/**
 * The orders domain's own failure reasons, each mapped to one of platform's error codes. Missing
 * or hidden things, refusals and invalid fields use platform's `NotFoundException`,
 * `ForbiddenException`, `UnauthenticatedException` and `ValidationException` (`invalidInput`).
 */
export enum OrdersErrorCode {
  /** The card was refused; no order is left behind. */
  PAYMENT_DECLINED = "PAYMENT_DECLINED",
  /** Another product already has this SKU. */
  SKU_TAKEN = "SKU_TAKEN",
  /** The idempotency key was used before, by the same buyer, for a different order. */
  IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED",
  /** The order's status does not allow the move asked for (e.g. cancelling a fulfilled order). */
  INVALID_ORDER_TRANSITION = "INVALID_ORDER_TRANSITION",
  /** A partner API key past its `expiresAt` (the whole key was right): issue or rotate a new one. */
  API_KEY_EXPIRED = "API_KEY_EXPIRED",
}

const PLATFORM_CODES: Record<OrdersErrorCode, ErrorCode> = {
  [OrdersErrorCode.PAYMENT_DECLINED]: ErrorCode.PAYMENT_DECLINED,
  [OrdersErrorCode.SKU_TAKEN]: ErrorCode.CONFLICT,
  [OrdersErrorCode.IDEMPOTENCY_KEY_REUSED]: ErrorCode.CONFLICT,
  [OrdersErrorCode.INVALID_ORDER_TRANSITION]: ErrorCode.CONFLICT,
  [OrdersErrorCode.API_KEY_EXPIRED]: ErrorCode.UNAUTHENTICATED,
};

/** An expected failure of an orders rule; clients see `extensions.code` and `extensions.reason`. */
export class OrdersException extends DomainException {
  constructor(
    readonly reason: OrdersErrorCode,
    message: string,
    fields: FieldError[] = [],
    extra: Record<string, unknown> = {},
  ) {
    super(PLATFORM_CODES[reason], message, fields, { ...extra, reason });
  }
}

/**
 * The card was refused (by the provider, or as the test card that always declines). The message
 * says nothing about the card; no order is left behind.
 */
export class PaymentDeclinedException extends OrdersException {
  constructor() {
    super(OrdersErrorCode.PAYMENT_DECLINED, "The payment was declined. No order was placed.");
  }
}

/** Another product already has this SKU. */
export class SkuTakenException extends OrdersException {
  constructor(field = "input.sku") {
    super(OrdersErrorCode.SKU_TAKEN, "A product with this SKU already exists.", [
      { field, message: "is already in use" },
    ]);
  }
}

/** The idempotency key was used before for a different order. */
export class IdempotencyKeyReusedException extends OrdersException {
  constructor() {
    super(OrdersErrorCode.IDEMPOTENCY_KEY_REUSED, "This idempotency key was already used for a different order.", [
      { field: "input.idempotencyKey", message: "was used for a different order" },
    ]);
  }
}

/**
 * An order cannot move from its status to the one asked for (e.g. assigning a fulfilled order).
 * `extensions.status` is the order's status now.
 */
export class InvalidOrderTransitionException extends OrdersException {
  constructor(
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super(OrdersErrorCode.INVALID_ORDER_TRANSITION, `The order is ${from} and cannot become ${to}.`, [], {
      status: from,
    });
  }
}

/**
 * A partner API key that was right but has expired: `UNAUTHENTICATED` with reason
 * `API_KEY_EXPIRED` and `extensions.expiredAt`. Only a key whose whole secret matched gets it, so
 * a guessed prefix learns nothing.
 */
export class ApiKeyExpiredException extends OrdersException {
  constructor(expiredAt: Date) {
    super(OrdersErrorCode.API_KEY_EXPIRED, "The API key has expired: ask for a new one.", [], {
      expiredAt: expiredAt.toISOString(),
    });
  }
}
