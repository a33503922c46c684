import { Field, InputType } from "type-graphql";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../password/password.service";
import type { AccountCorrections, PasswordChange, PostalAddressChange, ProfileChanges } from "./account-details";

// These inputs carry no class-validator rules: UserService checks every field (after trimming and
// normalising, as it stores them) and answers one BAD_USER_INPUT listing every invalid one, with
// `input.`-paths. Rules here as well would run first, in the resolver, and answer in stages.

@InputType({ description: "A postal address; line1, city, postcode and country are required." })
export class PostalAddressInput implements PostalAddressChange {
  @Field(() => String)
  line1!: string;

  @Field(() => String, { nullable: true })
  line2?: string | null;

  @Field(() => String)
  city!: string;

  @Field(() => String)
  postcode!: string;

  @Field(() => String, { description: "ISO 3166-1 alpha-2 country code, e.g. GB." })
  country!: string;
}

/** The details a person and staff on their behalf both correct; each input adds its own fields. */
@InputType()
abstract class AccountDetailsInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  organisation?: string | null;

  @Field(() => String, { nullable: true })
  organisationUrl?: string | null;

  @Field(() => String, { nullable: true })
  jobTitle?: string | null;

  @Field(() => String, { nullable: true })
  referralSource?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "International form (E.164), e.g. +44 20 7946 0000; spaces, dashes, dots and brackets are dropped.",
  })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: "International form (E.164), like phone." })
  fax?: string | null;

  @Field(() => PostalAddressInput, { nullable: true, description: "Replaces the whole address; null clears it." })
  address?: PostalAddressInput | null;
}

@InputType({ description: "Fields left out stay as they are; null clears an optional field." })
export class UpdateProfileInput extends AccountDetailsInput implements ProfileChanges {
  @Field(() => String, {
    nullable: true,
    description: "Only the address you have (in any case); another is refused (EMAIL_CHANGE_NEEDS_CONFIRMATION).",
    deprecationReason: "Use requestEmailChange: the new address is confirmed by a link mailed to it.",
  })
  email?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "false deletes saved payment methods at once and stops saving new ones.",
  })
  keepBillingDetails?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "false removes past orders from your history (kept for accounting) and stops adding new ones.",
  })
  keepOrderHistory?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: "Not needed: the email changes with requestEmailChange.",
    deprecationReason: "The email changes with requestEmailChange, which takes the current password.",
  })
  currentPassword?: string | null;
}

@InputType({
  description:
    "Staff corrections to someone's account at their request. Fields left out stay as they are; null clears an optional field.",
})
export class UpdateUserInput extends AccountDetailsInput implements AccountCorrections {
  @Field(() => String, { nullable: true, description: "Must not belong to another account." })
  email?: string | null;
}

@InputType({ description: "Every other session of the account ends." })
export class ChangePasswordInput implements PasswordChange {
  @Field(() => String)
  currentPassword!: string;

  @Field(() => String, { description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters.` })
  newPassword!: string;
}
