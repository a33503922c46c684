import { hmac } from "@honour/platform";

/**
 * The keyed hash that ties an order outside its buyer's history (`keepOrderHistory` off) to that
 * buyer, for their data export and account closure only: HMAC(server secret, purpose, user id).
 * Without the secret it names nobody; it is never shown through the API.
 */
export function formerOwnerHash(secret: string, userId: string): string {
  return hmac(secret, "orders.formerOwner", userId);
}

/**
 * How the audit log names the former owner of orders outside their history, when a staff member
 * reads them: a keyed hash of {@link formerOwnerHash} (so the audit log never shows that hash),
 * cut to fit the log's subject column. The orders module registers it as an alias of the user id,
 * so `auditLog(subjectId: <their user id>)` finds these entries too.
 */
export function formerOwnerAuditSubject(secret: string, ownerHash: string): string {
  return `former-owner:${hmac(secret, "orders.formerOwnerAudit", ownerHash).slice(0, 48)}`;
}
