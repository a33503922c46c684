import { Channel, Topic, type CommunicationChoice } from "@honour/platform";
import "@honour/platform/graphql"; // registers the Topic and Channel enums
import { Field, InputType } from "type-graphql";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../password/password.service";
import type { RegistrationDetails } from "../user/account-details";

/** For native apps and server-side rendering, which keep no cookie jar (issue 16). */
const BEARER_TOKEN_DESCRIPTION =
  "True: answer the session's token in AuthPayload.token instead of setting the cookie, for a native app or " +
  "server-side rendering to send as `Authorization: Bearer <token>`. The same session as a cookie's: stored " +
  "hashed, listed in mySessions, ended by logout or revokeSession.";

// These inputs carry no class-validator rules: UserService checks every field (after trimming and
// normalising, as it stores them) and answers one BAD_USER_INPUT listing every invalid one. Rules
// here as well would run first, in the resolver, refuse an email with spaces around it (which the
// service trims) and answer in stages.

@InputType({ description: "A box ticked on the registration form: one topic on one channel." })
export class CommunicationChoiceInput implements CommunicationChoice {
  @Field(() => Topic)
  topic!: Topic;

  @Field(() => Channel)
  channel!: Channel;
}

@InputType()
export class RegisterInput implements RegistrationDetails {
  @Field(() => String)
  email!: string;

  @Field(() => String, { description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters.` })
  password!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  organisation?: string | null;

  @Field(() => String, { nullable: true })
  organisationUrl?: string | null;

  @Field(() => String, { nullable: true })
  jobTitle?: string | null;

  @Field(() => String, { nullable: true, description: "How you heard of us; helps us serve you better." })
  referralSource?: string | null;

  @Field(() => [CommunicationChoiceInput], {
    nullable: true,
    description:
      "The communications the form offered and the person ticked, each pair once. Left out: the company's own " +
      "topics by email (the policy's soft opt-in), never partner offers.",
  })
  communications?: CommunicationChoiceInput[] | null;
}

@InputType()
export class LoginInput {
  @Field(() => String)
  email!: string;

  @Field(() => String)
  password!: string;

  @Field(() => Boolean, { nullable: true, description: BEARER_TOKEN_DESCRIPTION })
  bearerToken?: boolean | null;
}

@InputType({ description: "A new password chosen through a reset link." })
export class ResetPasswordInput {
  @Field(() => String, { description: "The token of the link (`token` in its query)." })
  token!: string;

  @Field(() => String, { description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters.` })
  newPassword!: string;
}

@InputType({ description: "The second step of signing in with two-factor on." })
export class CompleteLoginInput {
  @Field(() => String, { description: "`extensions.challenge` of login's MFA_REQUIRED error (valid 5 minutes, once)." })
  challenge!: string;

  @Field(() => String, { description: "A 6-digit code of the authenticator app, or an unused recovery code." })
  code!: string;

  @Field(() => Boolean, { nullable: true, description: BEARER_TOKEN_DESCRIPTION })
  bearerToken?: boolean | null;
}
