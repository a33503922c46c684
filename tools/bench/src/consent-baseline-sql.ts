import { createHmac } from "node:crypto";
import type { RowDataPacket } from "mysql2/promise";

/**
 * The statements the gateway runs for `myPreferences` and `setPreferences` on MariaDB (read off
 * TypeORM's query log of the built gateway), written by hand for the consent baseline server.
 */

/** SessionService.resolve: the session and the whole account in one join. */
export const SESSION_SQL =
  "SELECT s.id AS sessionId, s.expiresAt, u.id, u.email, u.name, u.organisation, u.organisationUrl, u.jobTitle, " +
  "u.referralSource, u.phone, u.fax, u.addressLine1, u.addressLine2, u.addressCity, u.addressPostcode, " +
  "u.addressCountry, u.role, u.keepBillingDetails, u.keepOrderHistory, u.createdAt, u.updatedAt, u.closedAt " +
  "FROM `session` s INNER JOIN `user` u ON u.id = s.userId " +
  "WHERE s.tokenHash = ? AND s.expiresAt > ? AND u.closedAt IS NULL";

/** ConsentService.preferences: every state row of one account. */
export const PREFERENCES_SQL =
  "SELECT userId, topic, channel, granted, method, policyVersion, eventId, updatedAt " +
  "FROM `consent_preference` WHERE userId = ?";

/**
 * ConsentService.lockedAccount: the account (setPreferences reads it for its identifiers) under its
 * row lock, one writer per account, with the privacy policy version in force.
 */
export const ACCOUNT_SQL =
  "SELECT id, email, name, organisation, organisationUrl, jobTitle, referralSource, phone, fax, addressLine1, " +
  "addressLine2, addressCity, addressPostcode, addressCountry, role, keepBillingDetails, keepOrderHistory, " +
  "createdAt, updatedAt, closedAt, (SELECT MAX(version) FROM `consent_policy_version`) AS currentPolicyVersion " +
  "FROM `user` WHERE id = ? FOR UPDATE";

/** ConsentLedger.append (one row per change). */
export const LEDGER_INSERT_SQL =
  "INSERT INTO `consent_event`(id, subjectHash, topic, channel, action, method, actorKind, actorRef, " +
  "policyVersion, occurredAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

export const PREFERENCE_INSERT_SQL =
  "INSERT INTO `consent_preference`(userId, topic, channel, granted, method, policyVersion, eventId, updatedAt) " +
  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

export const PREFERENCE_UPDATE_SQL =
  "UPDATE `consent_preference` SET granted = ?, method = ?, policyVersion = ?, eventId = ?, updatedAt = ? " +
  "WHERE (userId = ? AND topic = ? AND channel = ?)";

/** SuppressionService.lift: granting on a channel lifts the person's own opt-out of it. */
export const SUPPRESSION_LIFT_SQL =
  "UPDATE `consent_suppression` SET liftedAt = ? WHERE channel = ? AND identifierHash = ? AND liftedAt IS NULL";

export const TOPICS = ["COMPANY_INFO", "PRODUCT_UPDATES", "SPECIAL_OFFERS", "NEWSLETTER", "PARTNER_OFFERS"];
export const CHANNELS = ["EMAIL", "TELEPHONE", "FAX", "MAIL"];

/** Every topic on every channel, in the gateway's order, as `Preference` objects. */
export function preferencesJson(rows: RowDataPacket[]): Record<string, unknown>[] {
  const byKey = new Map(rows.map((row) => [`${row.topic}:${row.channel}`, row]));
  return TOPICS.flatMap((topic) =>
    CHANNELS.map((channel) => {
      const row = byKey.get(`${topic}:${channel}`);
      return {
        topic,
        channel,
        granted: row ? Boolean(row.granted) : false,
        updatedAt: row ? (row.updatedAt as Date).toISOString() : null,
      };
    }),
  );
}

/** @honour/platform's hmac: each part length-prefixed. */
export function hmac(key: string, ...parts: string[]): string {
  const mac = createHmac("sha256", key);
  for (const part of parts) {
    const bytes = Buffer.from(part, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    mac.update(len).update(bytes);
  }
  return mac.digest("hex");
}

/** The same ids as the gateway's ledger entries, made the same way. */
export { newId } from "@honour/platform";

/** identifierOf for the channels the benchmark toggles (a postal key is not needed there). */
export function identifierOf(channel: string, user: RowDataPacket): string | null {
  switch (channel) {
    case "EMAIL":
      return String(user.email).normalize("NFC").trim().toLowerCase();
    case "TELEPHONE":
      return (user.phone as string | null) ?? null;
    case "FAX":
      return (user.fax as string | null) ?? null;
    default:
      if (user.addressLine1) throw new Error(`the baseline has no postal key for ${channel}`);
      return null;
  }
}
