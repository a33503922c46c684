import { ConnectionArgs } from "@honour/platform/graphql";
import { IsOptional, MaxLength } from "class-validator";
import { ArgsType, Field } from "type-graphql";

/** `auditLog(subjectId, actorId, first, after)`. */
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
}
