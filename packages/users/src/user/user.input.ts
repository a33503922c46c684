import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../password/password.service";
import {
  IsBoolean,
  IsEmail,
  IsISO31661Alpha2,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  MaxLength,
  ValidateNested,
} from "class-validator";
import { Field, InputType } from "type-graphql";
import { USER_LIMITS } from "./user.entity";
import type { AccountCorrections, PasswordChange, PostalAddressChange, ProfileChanges } from "./user.service";

@InputType({ description: "A postal address; line1, city, postcode and country are required." })
export class PostalAddressInput implements PostalAddressChange {
  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(USER_LIMITS.addressLine1)
  line1!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(USER_LIMITS.addressLine2)
  line2?: string | null;

  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(USER_LIMITS.addressCity)
  city!: string;

  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(USER_LIMITS.addressPostcode)
  postcode!: string;

  @Field(() => String, { description: "ISO 3166-1 alpha-2 country code, e.g. GB." })
  @IsISO31661Alpha2()
  country!: string;
}

/** The details a person and staff on their behalf both correct; each input adds its own fields. */
@InputType()
abstract class AccountDetailsInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxLength(USER_LIMITS.name)
  name?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(USER_LIMITS.organisation)
  organisation?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsUrl({ protocols: ["http", "https"], require_protocol: true })
  @MaxLength(USER_LIMITS.organisationUrl)
  organisationUrl?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(USER_LIMITS.jobTitle)
  jobTitle?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(USER_LIMITS.referralSource)
  referralSource?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "International form (E.164), e.g. +44 20 7946 0000; spaces, dashes, dots and brackets are dropped.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  phone?: string | null;

  @Field(() => String, { nullable: true, description: "International form (E.164), like phone." })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  fax?: string | null;

  @Field(() => PostalAddressInput, { nullable: true, description: "Replaces the whole address; null clears it." })
  @IsOptional()
  @ValidateNested()
  address?: PostalAddressInput | null;
}

@InputType({ description: "Fields left out stay as they are; null clears an optional field." })
export class UpdateProfileInput extends AccountDetailsInput implements ProfileChanges {
  @Field(() => String, { nullable: true, description: "Needs currentPassword." })
  @IsOptional()
  @IsEmail()
  @MaxLength(USER_LIMITS.email)
  email?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "false deletes saved payment methods at once and stops saving new ones.",
  })
  @IsOptional()
  @IsBoolean()
  keepBillingDetails?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "false removes past orders from your history (kept for accounting) and stops adding new ones.",
  })
  @IsOptional()
  @IsBoolean()
  keepOrderHistory?: boolean | null;

  @Field(() => String, { nullable: true, description: "Required when the email changes." })
  @IsOptional()
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH)
  currentPassword?: string | null;
}

@InputType({
  description:
    "Staff corrections to someone's account at their request. Fields left out stay as they are; null clears an optional field.",
})
export class UpdateUserInput extends AccountDetailsInput implements AccountCorrections {
  @Field(() => String, { nullable: true, description: "Must not belong to another account." })
  @IsOptional()
  @IsEmail()
  @MaxLength(USER_LIMITS.email)
  email?: string | null;
}

@InputType({ description: "Every other session of the account ends." })
export class ChangePasswordInput implements PasswordChange {
  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX_LENGTH)
  currentPassword!: string;

  @Field(() => String, { description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters.` })
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  newPassword!: string;
}
