import type { RequestContext } from "@honour/platform";
import { OrderNumberEntity } from "./order-number.entity";

export const ORDER_NUMBER_PREFIX = "HON-";
const ORDER_NUMBER_PATTERN = /^HON-(\d{6,})$/;

/** `123` → `HON-000123`: at least six digits, more once the numbers need them. */
export function formatOrderNumber(number: number): string {
  if (!Number.isSafeInteger(number) || number < 1) throw new RangeError("order numbers are positive integers");
  return `${ORDER_NUMBER_PREFIX}${String(number).padStart(6, "0")}`;
}

/** `HON-000123` → `123`; null for anything that is not an order number. */
export function parseOrderNumber(text: string): number | null {
  const match = ORDER_NUMBER_PATTERN.exec(text.trim().toUpperCase());
  if (!match) return null;
  const number = Number(match[1]);
  return Number.isSafeInteger(number) && number >= 1 && formatOrderNumber(number) === match[0] ? number : null;
}

/** Hands out order numbers: increasing, unique, and safe for concurrent orders. */
export class OrderNumberService {
  /** The next number, in `ctx`'s transaction. */
  async next(ctx: RequestContext): Promise<number> {
    const result = await ctx.manager
      .createQueryBuilder()
      .insert()
      .into(OrderNumberEntity)
      .values({ createdAt: ctx.clock.now() })
      .execute();
    const number = Number(result.identifiers[0]?.number ?? result.raw?.insertId);
    if (!Number.isSafeInteger(number) || number < 1) throw new Error("the order number sequence returned no number");
    return number;
  }
}
