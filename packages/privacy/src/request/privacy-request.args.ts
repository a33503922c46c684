import { ConnectionArgs } from "@honour/platform/graphql";
import { IsEnum, IsInt, IsNotEmpty, IsOptional, Max, MaxLength, Min } from "class-validator";
import { ArgsType, Field, ID, Int } from "type-graphql";
import "./privacy-request.object"; // registers the enums before they are used here
import {
  MAX_EXTENSION_MONTHS,
  PRIVACY_REQUEST_LIMITS,
  PrivacyRequestOrder,
  PrivacyRequestStatus,
} from "./privacy-request.entity";

/** `privacyRequests(status, orderBy, first, after)`. */
@ArgsType()
export class PrivacyRequestsArgs extends ConnectionArgs {
  @Field(() => PrivacyRequestStatus, { nullable: true, description: "Only requests with this status." })
  @IsOptional()
  @IsEnum(PrivacyRequestStatus)
  status?: PrivacyRequestStatus | null;

  @Field(() => PrivacyRequestOrder, {
    nullable: true,
    description: "The order of the list: NEWEST_FIRST (default) or DUE_FIRST, the queue with overdue requests first.",
  })
  @IsOptional()
  @IsEnum(PrivacyRequestOrder)
  orderBy?: PrivacyRequestOrder | null;
}

/** `completePrivacyRequest(id)`. */
@ArgsType()
export class PrivacyRequestIdArgs {
  @Field(() => ID)
  @IsNotEmpty()
  @MaxLength(36)
  id!: string;
}

/** `extendPrivacyRequest(id, reason, months)`. */
@ArgsType()
export class ExtendPrivacyRequestArgs {
  @Field(() => ID)
  @IsNotEmpty()
  @MaxLength(36)
  id!: string;

  @Field(() => String, {
    description: "Why more time is needed; told to the requester. No personal data beyond what is needed.",
  })
  @MaxLength(PRIVACY_REQUEST_LIMITS.reason)
  reason!: string;

  @Field(() => Int, {
    defaultValue: 1,
    description: `Months to add (1 or 2); at most ${MAX_EXTENSION_MONTHS} in all, three months after receipt.`,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_EXTENSION_MONTHS)
  months!: number;
}

/** `rejectPrivacyRequest(id, reason)`. */
@ArgsType()
export class RejectPrivacyRequestArgs {
  @Field(() => ID)
  @IsNotEmpty()
  @MaxLength(36)
  id!: string;

  @Field(() => String, { description: "Why it is refused; told to the requester." })
  @MaxLength(PRIVACY_REQUEST_LIMITS.reason)
  reason!: string;
}
