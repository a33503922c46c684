import { GraphQLDateTime } from "graphql-scalars";
import { Field, ID, ObjectType } from "type-graphql";

@ObjectType("Session", {
  simpleResolvers: true,
  description: "A browser signed in to your account. Only the browser and OS families are kept, never the user agent.",
})
export class SessionObject {
  @Field(() => ID)
  id!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime, { description: "When the session was last used, to the minute." })
  lastSeenAt!: Date;

  @Field(() => String, { nullable: true, description: 'The browser family ("Firefox"); null when unknown.' })
  browser!: string | null;

  @Field(() => String, { nullable: true, description: 'The operating system family ("Windows"); null when unknown.' })
  os!: string | null;

  @Field(() => Boolean, { description: "True for the session of this request." })
  current!: boolean;
}
