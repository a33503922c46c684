import { GraphQLDateTime } from "graphql-scalars";
import { ArgsType, Field, ID, ObjectType } from "type-graphql";

@ObjectType("ErasureNotice", {
  simpleResolvers: true,
  description:
    "The contacts of these orders, which you received or were assigned, were erased at their buyer's request: " +
    "erase your copies of their personal data.",
})
export class ErasureNoticeObject {
  @Field(() => ID)
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
    description: "Only notices erased after this time (exclusive): the last erasedAt you have seen.",
  })
  since?: Date | null;
}
