import { Channel, FieldChecks as PlatformFieldChecks, Topic, type CommunicationChoice } from "@honour/platform";
import { isEmail, isISO31661Alpha2, isURL } from "class-validator";
import { PASSWORD_MAX_LENGTH, passwordRuleViolation } from "../password/password.service";
import type { AccountCorrections, PostalAddressChange } from "./account-details";
import { normaliseEmail, normalisePhoneNumber } from "./normalise";
import { USER_LIMITS, type UserEntity } from "./user.entity";

/** Most registration choices there can be: every topic on every channel. */
const MAX_COMMUNICATIONS = Object.keys(Topic).length * Object.keys(Channel).length;

export type OptionalField = "organisation" | "organisationUrl" | "jobTitle" | "referralSource";
type AddressColumn = "addressLine1" | "addressLine2" | "addressCity" | "addressPostcode" | "addressCountry";

/** What the profile may keep besides the account (the policy's "you may opt out at any time"). */
export const RETENTION_SWITCHES = ["keepBillingDetails", "keepOrderHistory"] as const;
export type RetentionSwitch = (typeof RETENTION_SWITCHES)[number];
export const OPTIONAL_FIELDS: readonly OptionalField[] = [
  "organisation",
  "organisationUrl",
  "jobTitle",
  "referralSource",
];

/**
 * Platform's {@link PlatformFieldChecks} with the accounts domain's rules. Fields are named by
 * their name in the input (`email`, `address.city`) and reported under the GraphQL argument
 * (`input.email`), as the gateway reports class-validator's errors.
 */
export class FieldChecks extends PlatformFieldChecks {
  override fail(name: string, message: string): void {
    super.fail(`input.${name}`, message);
  }

  email(value: string | null | undefined, field = "email"): string {
    const email = normaliseEmail(value ?? "");
    if (email.length > USER_LIMITS.email) this.fail(field, `must be at most ${USER_LIMITS.email} characters`);
    else if (!isEmail(email)) this.fail(field, "must be an email address");
    return email;
  }

  name(value: string | null | undefined): string {
    const name = (value ?? "").trim();
    if (name === "") this.fail("name", "must not be empty");
    else if (name.length > USER_LIMITS.name) this.fail("name", `must be at most ${USER_LIMITS.name} characters`);
    return name;
  }

  /** A telephone or fax number in E.164; an empty answer is stored as no answer. */
  phone(field: "phone" | "fax", value: string | null | undefined): string | null {
    const text = value?.trim() || null;
    if (text === null) return null;
    const e164 = normalisePhoneNumber(text);
    if (!e164) this.fail(field, "must be a telephone number in international form, like +44 20 7946 0000");
    return e164;
  }

  /** A whole postal address: line1, city, postcode and country are required; null clears it. */
  address(value: PostalAddressChange | null): Pick<UserEntity, AddressColumn> {
    if (value === null) {
      return { addressLine1: null, addressLine2: null, addressCity: null, addressPostcode: null, addressCountry: null };
    }
    const text = (name: string, raw: string | null | undefined, max: number, required: boolean) => {
      const trimmed = (raw ?? "").trim().replace(/\s+/g, " ");
      if (trimmed === "") {
        if (required) this.fail(`address.${name}`, "must not be empty");
        return null;
      }
      if (trimmed.length > max) this.fail(`address.${name}`, `must be at most ${max} characters`);
      return trimmed;
    };
    const country = (value.country ?? "").trim().toUpperCase();
    if (!isISO31661Alpha2(country)) this.fail("address.country", "must be an ISO 3166-1 alpha-2 country code");
    return {
      addressLine1: text("line1", value.line1, USER_LIMITS.addressLine1, true),
      addressLine2: text("line2", value.line2, USER_LIMITS.addressLine2, false),
      addressCity: text("city", value.city, USER_LIMITS.addressCity, true),
      addressPostcode: text("postcode", value.postcode, USER_LIMITS.addressPostcode, true)?.toUpperCase() ?? null,
      addressCountry: country,
    };
  }

  /** The registration form's ticked pairs: known topics and channels, each pair at most once. */
  communications(value: readonly CommunicationChoice[] | null | undefined): CommunicationChoice[] | null {
    if (value === null || value === undefined) return null;
    if (value.length > MAX_COMMUNICATIONS) {
      this.fail("communications", `must have at most ${MAX_COMMUNICATIONS} entries`);
      return null;
    }
    const seen = new Set<string>();
    const choices: CommunicationChoice[] = [];
    value.forEach(({ topic, channel }, index) => {
      if (!Object.values(Topic).includes(topic)) this.fail(`communications.${index}.topic`, "is not a topic");
      else if (!Object.values(Channel).includes(channel)) {
        this.fail(`communications.${index}.channel`, "is not a channel");
      } else if (seen.has(`${topic}:${channel}`)) this.fail(`communications.${index}`, "is listed twice");
      else {
        seen.add(`${topic}:${channel}`);
        choices.push({ topic, channel });
      }
    });
    return choices;
  }

  optional(field: OptionalField, value: string | null | undefined): string | null {
    const text = value?.trim() || null;
    if (text === null) return null;
    if (text.length > USER_LIMITS[field]) this.fail(field, `must be at most ${USER_LIMITS[field]} characters`);
    else if (field === "organisationUrl" && !isURL(text, { protocols: ["http", "https"], require_protocol: true })) {
      this.fail(field, "must be an http(s) address");
    }
    return text;
  }

  password(name: string, value: string): void {
    const violation = passwordRuleViolation(value);
    if (violation) this.fail(name, violation);
  }

  /** A password given to be checked against the stored one: present, and short enough to hash. */
  givenPassword(name: string, value: string | null | undefined, required: boolean): void {
    if (!value) {
      if (required) this.fail(name, "must not be empty");
    } else if ([...value].length > PASSWORD_MAX_LENGTH) {
      this.fail(name, `must be at most ${PASSWORD_MAX_LENGTH} characters`);
    }
  }
}

/** The profile's columns that the person's details fill, which they and staff may correct. */
export type CorrectableColumn = "email" | "name" | OptionalField | "phone" | "fax" | AddressColumn;

/**
 * Checks corrections to an account's details and returns the columns to set, in the form they are
 * stored (an email normalised, texts trimmed). Needs no account, so that every invalid field is
 * reported before anything is read. Invalid fields are collected in `checks`; the caller throws them.
 */
export function correctionsOf(
  checks: FieldChecks,
  changes: AccountCorrections,
): Partial<Pick<UserEntity, CorrectableColumn>> {
  const set: Partial<Pick<UserEntity, CorrectableColumn>> = {};
  if (changes.email !== undefined) set.email = checks.email(changes.email);
  if (changes.name !== undefined) set.name = checks.name(changes.name);
  for (const field of OPTIONAL_FIELDS) {
    if (changes[field] !== undefined) set[field] = checks.optional(field, changes[field]);
  }
  if (changes.phone !== undefined) set.phone = checks.phone("phone", changes.phone);
  if (changes.fax !== undefined) set.fax = checks.phone("fax", changes.fax);
  if (changes.address !== undefined) Object.assign(set, checks.address(changes.address));
  return set;
}

/** The names of the fields whose values `set` changes, as the person sees them (address once). */
export function changedFields(user: UserEntity, set: Partial<Pick<UserEntity, CorrectableColumn>>): string[] {
  const fields = new Set<string>();
  for (const [column, value] of Object.entries(set)) {
    if (user[column as CorrectableColumn] === value) continue;
    fields.add(column.startsWith("address") ? "address" : column);
  }
  return [...fields];
}
