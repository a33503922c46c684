import { Channel } from "@honour/platform";
import "@honour/platform/graphql"; // registers the Channel enum
import { IsEnum, IsNotEmpty, IsOptional, IsString, MaxLength } from "class-validator";
import { Field, InputType } from "type-graphql";
import { REMOVAL_REQUEST_LIMITS } from "./removal-request.entity";
import type { RemovalRequest } from "./suppression.service";

@InputType({ description: "A request, by telephone, fax or letter, to be removed from a list." })
export class RemovalRequestInput implements RemovalRequest {
  @Field(() => Channel)
  @IsEnum(Channel)
  channel!: Channel;

  @Field(() => String, {
    description:
      "The number in international form (+44 20 7946 0000), the email address, or for MAIL the address on one " +
      "line ending with the postcode and country code (1 High Street, London, SW1A 1AA, GB).",
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(REMOVAL_REQUEST_LIMITS.value)
  value!: string;

  @Field(() => String, { nullable: true, description: "How the request came, e.g. letter of 3 March." })
  @IsOptional()
  @IsString()
  @MaxLength(REMOVAL_REQUEST_LIMITS.note)
  note?: string | null;
}
