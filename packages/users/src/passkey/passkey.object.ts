import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType } from "type-graphql";

@ObjectType("Passkey", { simpleResolvers: true, description: "A passkey that signs your account in." })
export class PasskeyObject {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "The name you gave it." })
  name!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true, description: "When it last signed you in." })
  lastUsedAt!: Date | null;
}
