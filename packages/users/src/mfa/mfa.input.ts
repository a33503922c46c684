import { Field, InputType } from "type-graphql";

@InputType({ description: "Turning two-factor off: the password and a current code." })
export class DisableTotpInput {
  @Field(() => String)
  currentPassword!: string;

  @Field(() => String, { description: "A 6-digit code of the authenticator app, or an unused recovery code." })
  code!: string;
}
