import { GraphQLDate } from "graphql-scalars";
import { Field, Int, ObjectType } from "type-graphql";

@ObjectType("PolicyVersion", { simpleResolvers: true, description: "One published version of the privacy policy." })
export class PolicyVersionObject {
  @Field(() => Int, { description: "1, 2, 3 …; set by the server." })
  version!: number;

  @Field(() => GraphQLDate, { description: 'The policy\'s "last updated" date.' })
  lastUpdated!: string;

  @Field(() => String)
  summaryOfChanges!: string;

  @Field(() => String, { description: "Markdown." })
  body!: string;
}
