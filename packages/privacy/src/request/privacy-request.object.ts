import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import {
  PrivacyRequestChannel,
  PrivacyRequestOrder,
  PrivacyRequestStatus,
  PrivacyRequestType,
} from "./privacy-request.entity";

registerEnumType(PrivacyRequestType, {
  name: "PrivacyRequestType",
  description:
    "ACCESS (a copy of one's data), RECTIFICATION, ERASURE (closing the account) or OBJECTION (to marketing).",
});
registerEnumType(PrivacyRequestStatus, {
  name: "PrivacyRequestStatus",
  description: "RECEIVED, IN_PROGRESS, then COMPLETED or REJECTED.",
});
registerEnumType(PrivacyRequestChannel, {
  name: "PrivacyRequestChannel",
  description: "How the request reached us: ONLINE (the person, signed in), EMAIL, LETTER or TELEPHONE.",
});
registerEnumType(PrivacyRequestOrder, {
  name: "PrivacyRequestOrder",
  description: "NEWEST_FIRST (by receipt, the default) or DUE_FIRST (soonest due first, so overdue requests lead).",
  valuesConfig: {
    NEWEST_FIRST: { description: "Newest received first." },
    DUE_FIRST: { description: "Soonest due date first: overdue requests lead the queue." },
  },
});

@ObjectType("PrivacyRequest", {
  simpleResolvers: true,
  description: "A request about a person's data, due one calendar month after receipt (up to three when extended).",
})
export class PrivacyRequestObject {
  @Field(() => ID)
  id!: string;

  @Field(() => PrivacyRequestType)
  type!: PrivacyRequestType;

  @Field(() => PrivacyRequestStatus)
  status!: PrivacyRequestStatus;

  @Field(() => PrivacyRequestChannel)
  channel!: PrivacyRequestChannel;

  @Field(() => ID, { nullable: true, description: "The account the request is about; null when it names none." })
  subjectId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "How to reach the requester, as given. SUPPORT and ADMIN only; null for others.",
  })
  requesterContact!: string | null;

  @Field(() => String, { nullable: true, description: "Staff notes. SUPPORT and ADMIN only; null for others." })
  notes!: string | null;

  @Field(() => GraphQLDateTime)
  receivedAt!: Date;

  @Field(() => GraphQLDateTime, {
    description:
      "One calendar month after receipt on the site's calendar (31 January -> 28/29 February), plus extensions.",
  })
  dueAt!: Date;

  @Field(() => Int, {
    nullable: true,
    description:
      "Calendar days until dueAt on the site's calendar: 0 on the day, negative when overdue, null once answered.",
  })
  daysLeft!: number | null;

  @Field(() => Int, { description: "Months added to the first month (at most 2)." })
  extendedByMonths!: number;

  @Field(() => String, { nullable: true, description: "Why it was extended, one line per extension." })
  extensionReason!: string | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: "When it was completed or rejected." })
  completedAt!: Date | null;

  @Field(() => String, { nullable: true })
  rejectionReason!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The download link of a completed data export until it expires; only for the person it is about, who must be signed in to use it.",
  })
  downloadUrl!: string | null;
}

export const PrivacyRequestConnection = ConnectionType("PrivacyRequest", PrivacyRequestObject);
