import { GraphQLDateTime } from "graphql-scalars";
import { ArgsType, Field, ID, ObjectType } from "type-graphql";
import { ERASURE_NOTICE_POLL_OVERLAP_MINUTES } from "./erasure-notice.service";

@ObjectType("ErasureNotice", {
  simpleResolvers: true,
  description:
    "The contacts of these orders, which you received or were assigned, were erased at their buyer's request: " +
    "erase your copies of their personal data.",
})
export class ErasureNoticeObject {
  @Field(() => ID, {
    description: "The notice's own id, the same in every answer that holds it: de-duplicate by it.",
  })
  id!: string;

  @Field(() => [String], { description: "The affected orders' numbers (HON-000123), ascending." })
  orderNumbers!: string[];

  @Field(() => GraphQLDateTime)
  erasedAt!: Date;
}

@ArgsType()
export class ErasureNoticesArgs {
  @Field(() => GraphQLDateTime, {
    nullable: true,
    description:
      `Only notices erased after this time (exclusive). To poll: the newest erasedAt you have seen minus ` +
      `${ERASURE_NOTICE_POLL_OVERLAP_MINUTES} minutes (a notice can appear late; de-duplicate by id). ` +
      "To page: the last erasedAt of the previous answer.",
  })
  since?: Date | null;
}
