import { Field, InputType } from "type-graphql";
import type { EmailChangeDetails } from "./email-change.service";

// No class-validator rules: the service checks every field after normalising the address, and
// answers one BAD_USER_INPUT listing every invalid one.

@InputType({ description: "A new email address for your account, confirmed through a link mailed to it." })
export class EmailChangeInput implements EmailChangeDetails {
  @Field(() => String, { description: "The new address; normalised (trimmed, lower-case)." })
  newEmail!: string;

  @Field(() => String, { description: "Your current password: whoever borrows a signed-in browser cannot change it." })
  currentPassword!: string;
}
