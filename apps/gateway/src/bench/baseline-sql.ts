import type { RowDataPacket } from "mysql2/promise";

/**
 * The two statements the gateway runs for `me` (SessionService.resolve, then UserService.current),
 * written by hand for the baseline server.
 */
export const SESSION_SQL =
  "SELECT s.id, s.expiresAt, u.id AS userId, u.role FROM `session` s INNER JOIN `user` u ON u.id = s.userId " +
  "WHERE s.tokenHash = ? AND s.expiresAt > ? AND u.closedAt IS NULL LIMIT 1";

export const USER_SQL =
  "SELECT id, email, name, organisation, organisationUrl, jobTitle, referralSource, role, createdAt, updatedAt, closedAt " +
  "FROM `user` WHERE id = ? LIMIT 1";

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
