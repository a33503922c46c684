import { hmac } from "@honour/platform";

/**
 * The keyed hash that ties an order outside its buyer's history (`keepOrderHistory` off) to that
 * buyer, for their data export and account closure only: HMAC(server secret, purpose, user id).
 * Without the secret it names nobody; it is never shown through the API.
 */
export function formerOwnerHash(secret: string, userId: string): string {
  return hmac(secret, "orders.formerOwner", userId);
}
