import { ConnectionArgs } from "@honour/platform/graphql";
import { IsOptional, MaxLength } from "class-validator";
import { GraphQLDateTime } from "graphql-scalars";
import { ArgsType, Field } from "type-graphql";

/** `auditLog(subjectId, actorId, from, to, first, after)`. */
@ArgsType()
export class AuditLogArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: "Only entries about this person (user id) or partner." })
  @IsOptional()
  @MaxLength(64)
  subjectId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Only entries by this actor (user id, partner id or system:<name>).",
  })
  @IsOptional()
  @MaxLength(64)
  actorId?: string | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: "Entries at or after this instant." })
  @IsOptional()
  from?: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: "Entries before this instant." })
  @IsOptional()
  to?: Date | null;
}
