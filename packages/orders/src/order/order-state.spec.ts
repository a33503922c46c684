import { ErrorCode } from "@honour/platform";
import { InvalidOrderTransitionException, OrdersErrorCode } from "../orders.exception";
import { assertTransition, canTransition, isOpenForPartner, nextStatuses, OrderStatus } from "./order-state";

const { PLACED, PAID, ASSIGNED, FULFILLED, CANCELLED } = OrderStatus;

describe("the order state machine", () => {
  it("goes PLACED → PAID → ASSIGNED → FULFILLED", () => {
    expect(canTransition(PLACED, PAID)).toBe(true);
    expect(canTransition(PAID, ASSIGNED)).toBe(true);
    expect(canTransition(ASSIGNED, FULFILLED)).toBe(true);
  });

  it("lets an assigned order be reassigned", () => {
    expect(canTransition(ASSIGNED, ASSIGNED)).toBe(true);
  });

  it("cancels anything that is not fulfilled or cancelled already", () => {
    expect([PLACED, PAID, ASSIGNED].every((s) => canTransition(s, CANCELLED))).toBe(true);
    expect(canTransition(FULFILLED, CANCELLED)).toBe(false);
    expect(canTransition(CANCELLED, CANCELLED)).toBe(false);
  });

  it.each([
    [PLACED, ASSIGNED],
    [PLACED, FULFILLED],
    [PAID, FULFILLED],
    [PAID, PLACED],
    [FULFILLED, ASSIGNED],
    [CANCELLED, PAID],
  ])("refuses %s → %s with CONFLICT", (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to)).toThrow(InvalidOrderTransitionException);
    try {
      assertTransition(from, to);
    } catch (error) {
      expect((error as InvalidOrderTransitionException).code).toBe(ErrorCode.CONFLICT);
      expect((error as InvalidOrderTransitionException).reason).toBe(OrdersErrorCode.INVALID_ORDER_TRANSITION);
    }
  });

  it("ends with FULFILLED and CANCELLED", () => {
    expect(nextStatuses(FULFILLED)).toEqual([]);
    expect(nextStatuses(CANCELLED)).toEqual([]);
  });

  it("opens an order's contact to its partner only while it is ASSIGNED", () => {
    expect(Object.values(OrderStatus).filter(isOpenForPartner)).toEqual([ASSIGNED]);
  });
});
