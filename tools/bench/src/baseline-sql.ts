import type { RowDataPacket } from "mysql2/promise";

/**
 * The statement the gateway runs for `me` (SessionService.resolve reads the session and the
 * account in one join), written by hand for the baseline server.
 */
export const ME_SQL =
  "SELECT s.id AS sessionId, s.expiresAt, u.id, u.email, u.name, u.organisation, u.organisationUrl, u.jobTitle, " +
  "u.referralSource, u.role, u.createdAt, u.updatedAt, u.closedAt " +
  "FROM `session` s INNER JOIN `user` u ON u.id = s.userId " +
  "WHERE s.tokenHash = ? AND s.expiresAt > ? AND u.closedAt IS NULL";

/** The `me` object as the gateway's schema serialises it. */
export function meJson(row: RowDataPacket): Record<string, unknown> {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    organisation: row.organisation,
    organisationUrl: row.organisationUrl,
    jobTitle: row.jobTitle,
    referralSource: row.referralSource,
    role: row.role,
    createdAt: (row.createdAt as Date).toISOString(),
  };
}
