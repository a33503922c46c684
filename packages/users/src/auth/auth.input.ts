import { Channel, Topic, type CommunicationChoice } from "@honour/platform";
import "@honour/platform/graphql"; // registers the Topic and Channel enums
import {
  ArrayMaxSize,
  IsEmail,
  IsEnum,
  IsNotEmpty,
  IsOptional,
  IsUrl,
  Length,
  MaxLength,
  ValidateNested,
} from "class-validator";
import { Field, InputType } from "type-graphql";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../password/password.service";
import { USER_LIMITS } from "../user/user.entity";
import type { RegistrationDetails } from "../user/user.service";

@InputType({ description: "A box ticked on the registration form: one topic on one channel." })
export class CommunicationChoiceInput implements CommunicationChoice {
  @Field(() => Topic)
  @IsEnum(Topic)
  topic!: Topic;

  @Field(() => Channel)
  @IsEnum(Channel)
  channel!: Channel;
}

@InputType()
export class RegisterInput implements RegistrationDetails {
  @Field(() => String)
  @IsEmail()
  @MaxLength(USER_LIMITS.email)
  email!: string;

  @Field(() => String, { description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters.` })
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password!: string;

  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(USER_LIMITS.name)
  name!: string;

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

  @Field(() => String, { nullable: true, description: "How you heard of us; helps us serve you better." })
  @IsOptional()
  @MaxLength(USER_LIMITS.referralSource)
  referralSource?: string | null;

  @Field(() => [CommunicationChoiceInput], {
    nullable: true,
    description:
      "The communications the form offered and the person ticked, each pair once. Left out: the company's own " +
      "topics by email (the policy's soft opt-in), never partner offers.",
  })
  @IsOptional()
  @ArrayMaxSize(20)
  @ValidateNested()
  communications?: CommunicationChoiceInput[] | null;
}

@InputType()
export class LoginInput {
  @Field(() => String)
  @IsEmail()
  @MaxLength(USER_LIMITS.email)
  email!: string;

  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX_LENGTH)
  password!: string;
}
