import { GraphQLDateTime } from "graphql-scalars";
import { IsDate, IsEnum, IsOptional, MaxLength } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import "./privacy-request.object"; // registers the enums before they are used here
import { PRIVACY_REQUEST_LIMITS, PrivacyRequestChannel, PrivacyRequestType } from "./privacy-request.entity";

@InputType({ description: "A request that reached staff by email, letter or telephone." })
export class RecordPrivacyRequestInput {
  @Field(() => PrivacyRequestType)
  @IsEnum(PrivacyRequestType)
  type!: PrivacyRequestType;

  @Field(() => PrivacyRequestChannel, { description: "EMAIL, LETTER or TELEPHONE (ONLINE is the person's own)." })
  @IsEnum(PrivacyRequestChannel)
  channel!: PrivacyRequestChannel;

  @Field(() => ID, { nullable: true, description: "The account it is about, when one was found." })
  @IsOptional()
  @MaxLength(36)
  subjectId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "How to reach the requester, as given; needed when no account is named. Erased with the account.",
  })
  @IsOptional()
  @MaxLength(PRIVACY_REQUEST_LIMITS.requesterContact)
  requesterContact?: string | null;

  @Field(() => GraphQLDateTime, {
    nullable: true,
    description: "When it reached us (default now); the month runs from here.",
  })
  @IsOptional()
  @IsDate()
  receivedAt?: Date | null;

  @Field(() => String, { nullable: true, description: "Staff notes. Erased with the account." })
  @IsOptional()
  @MaxLength(PRIVACY_REQUEST_LIMITS.notes)
  notes?: string | null;
}
