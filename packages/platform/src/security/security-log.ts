import type { RequestContext } from "../context/request-context";

/**
 * What the security log records. The privacy policy allows host names and IP addresses to be
 * logged "for systems administration and security purposes"; these are those purposes.
 */
export enum SecurityEventKind {
  LOGIN_SUCCEEDED = "LOGIN_SUCCEEDED",
  LOGIN_FAILED = "LOGIN_FAILED",
  RATE_LIMITED = "RATE_LIMITED",
  PARTNER_KEY_USED = "PARTNER_KEY_USED",
  /** A partner API key was refused (malformed, unknown, revoked, or its partner inactive), with the IP. */
  PARTNER_KEY_REJECTED = "PARTNER_KEY_REJECTED",
  STAFF_ACTION = "STAFF_ACTION",
  /** Someone signed out one or more of their own sessions from another (not sign-out itself). */
  SESSION_REVOKED = "SESSION_REVOKED",
  /** A password reset link was mailed to an account (unknown addresses are not recorded). */
  PASSWORD_RESET_REQUESTED = "PASSWORD_RESET_REQUESTED",
  /** An account's password was changed, by its holder or through a reset link. */
  PASSWORD_CHANGED = "PASSWORD_CHANGED",
  /** An account's email address was switched to a new one, confirmed through a link mailed to it. */
  EMAIL_CHANGED = "EMAIL_CHANGED",
  /** An account's email address was proved to be its holder's (a verification or change link used). */
  EMAIL_VERIFIED = "EMAIL_VERIFIED",
  /** Two-factor (TOTP) was turned on for an account. */
  MFA_ENABLED = "MFA_ENABLED",
  /** Two-factor was turned off for an account. */
  MFA_DISABLED = "MFA_DISABLED",
  /** A wrong two-factor code (TOTP or recovery code) was given. */
  MFA_FAILED = "MFA_FAILED",
  /** A passkey was registered for an account. */
  PASSKEY_ADDED = "PASSKEY_ADDED",
}

/** One security event as a domain reports it. */
export interface SecurityEventRecord {
  kind: SecurityEventKind;
  /** The client's address; defaults to the request context's `ip`. */
  ip?: string | null;
  userId?: string | null;
  partnerId?: string | null;
  /** A short description (what was attempted or done); never a password, token or card data. */
  detail?: string | null;
}

/**
 * The security log, declared here so that users and orders can write to it without depending on
 * the stats package, which implements it. `record` writes with `ctx.manager`: inside a
 * transaction the entry commits or rolls back with it, so record failures (a wrong password)
 * outside any transaction that is about to roll back.
 */
export interface SecurityLog {
  record(ctx: RequestContext, event: SecurityEventRecord): Promise<void>;
}

/** Records nothing; the platform's default until an implementation is given to `createPlatform`. */
export const noopSecurityLog: SecurityLog = Object.freeze({ record: async () => undefined });
