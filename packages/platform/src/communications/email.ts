/**
 * The form an email address is stored and compared in: Unicode NFC, trimmed, lower-case. Every
 * package that keys data by email (accounts, orders' contacts, the consent ledger and suppression
 * list, privacy's contact matching) compares addresses only in this form.
 */
export function normaliseEmail(email: string): string {
  return email.normalize("NFC").trim().toLowerCase();
}
