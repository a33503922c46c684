import { IsEmail, IsNotEmpty, MaxLength } from "class-validator";
import { Field, InputType } from "type-graphql";
import { PARTNER_LIMITS } from "./partner.entity";
import type { PartnerDraft } from "./partner.service";

@InputType()
export class CreatePartnerInput implements PartnerDraft {
  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(PARTNER_LIMITS.name)
  name!: string;

  @Field(() => String)
  @IsEmail()
  @MaxLength(PARTNER_LIMITS.contactEmail)
  contactEmail!: string;
}
