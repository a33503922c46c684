import type { CommunicationChoice, PageArgs } from "@honour/platform";

// What callers hand the accounts services: plain data, checked by the services (see field-checks.ts).

/** What a person gives when registering. The last four are optional. */
export interface RegistrationDetails {
  email: string;
  password: string;
  name: string;
  organisation?: string | null;
  organisationUrl?: string | null;
  jobTitle?: string | null;
  referralSource?: string | null;
  /**
   * The topic/channel pairs the registration form had ticked; null or left out when the form
   * offered no choice (consent then applies the policy's soft opt-in). At most one of each pair.
   */
  communications?: readonly CommunicationChoice[] | null;
}

/** A postal address as given in a profile change; `line2` may be left out. */
export interface PostalAddressChange {
  line1: string;
  line2?: string | null;
  city: string;
  postcode: string;
  country: string;
}

/**
 * Corrections to one's own profile. A field left out (undefined) stays as it is; `null` clears
 * an optional field. Changing the email needs `currentPassword`.
 */
export interface ProfileChanges {
  email?: string | null;
  name?: string | null;
  organisation?: string | null;
  organisationUrl?: string | null;
  jobTitle?: string | null;
  referralSource?: string | null;
  /** E.164, or written with spaces, dashes, dots or brackets that are dropped (`+44 20 7946 0000`). */
  phone?: string | null;
  fax?: string | null;
  /** The whole address at once; null clears it. */
  address?: PostalAddressChange | null;
  currentPassword?: string | null;
  /** Keep saved payment methods on the profile; off deletes them at once. */
  keepBillingDetails?: boolean | null;
  /** Keep past orders in the account's history; off detaches them (they stay for accounting). */
  keepOrderHistory?: boolean | null;
}

/**
 * What staff may correct on someone's account at their request (rectification): the details the
 * person gave, not their choices (the retention switches) and not their password.
 */
export type AccountCorrections = Omit<ProfileChanges, "currentPassword" | "keepBillingDetails" | "keepOrderHistory">;

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

/** Staff search over accounts: a page, optionally filtered by part of the email or name. */
export interface UserSearchArgs extends PageArgs {
  search?: string | null;
}
