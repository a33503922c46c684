import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../password/password.service";
import { IsBoolean, IsEmail, IsNotEmpty, IsOptional, IsString, IsUrl, Length, MaxLength } from "class-validator";
import { Field, InputType } from "type-graphql";
import { USER_LIMITS } from "./user.entity";
import type { PasswordChange, ProfileChanges } from "./user.service";

@InputType({ description: "Fields left out stay as they are; null clears an optional field." })
export class UpdateProfileInput implements ProfileChanges {
  @Field(() => String, { nullable: true, description: "Needs currentPassword." })
  @IsOptional()
  @IsEmail()
  @MaxLength(USER_LIMITS.email)
  email?: string | null;

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
