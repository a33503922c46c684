import { AuditAction } from "@honour/platform";
import { ConnectionType } from "@honour/platform/graphql";
import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";

registerEnumType(AuditAction, { name: "AuditAction", description: "What an audit entry records." });

@ObjectType("AuditEntry", { simpleResolvers: true, description: "Who did what to whose data, and when. Append-only." })
export class AuditEntryObject {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "A user id, a partner id, or system:<name> for the worker." })
  actorId!: string;

  @Field(() => String, { description: "user, partner, system or anonymous." })
  actorKind!: string;

  @Field(() => AuditAction)
  action!: AuditAction;

  @Field(() => String, { nullable: true, description: "The person (user id) or partner whose data was touched." })
  subjectId!: string | null;

  @Field(() => String, { nullable: true, description: "A short, non-personal note (an order number, a request id)." })
  detail!: string | null;

  @Field(() => GraphQLDateTime)
  at!: Date;
}

export const AuditEntryConnection = ConnectionType("AuditEntry", AuditEntryObject);
