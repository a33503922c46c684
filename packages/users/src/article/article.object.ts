import { ConnectionType } from "@honour/platform/graphql";
import { Field, ID, ObjectType } from "type-graphql";

@ObjectType("Article", { simpleResolvers: true, description: "Site content; premium bodies are for signed-in users." })
export class ArticleObject {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  slug!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { description: "Shown to everyone, also for premium articles." })
  summary!: string;

  @Field(() => Boolean)
  premium!: boolean;

  @Field(() => Boolean, { description: "True when the body is withheld: a premium article and no signed-in viewer." })
  locked!: boolean;

  @Field(() => String, { nullable: true, description: "Null when locked." })
  body!: string | null;
}

export const ArticleConnection = ConnectionType("Article", ArticleObject);
