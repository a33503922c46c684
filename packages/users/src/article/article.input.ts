import { IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from "class-validator";
import { Field, InputType } from "type-graphql";
import { ARTICLE_LIMITS } from "./article.entity";
import { SLUG_PATTERN, type ArticleChanges, type ArticleDraft } from "./article.service";

const SLUG_MESSAGE = "slug must be lower-case letters and digits joined by hyphens";

@InputType()
export class CreateArticleInput implements ArticleDraft {
  @Field(() => String, { description: "URL name: lower-case letters and digits joined by hyphens." })
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE })
  @MaxLength(ARTICLE_LIMITS.slug)
  slug!: string;

  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(ARTICLE_LIMITS.title)
  title!: string;

  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(ARTICLE_LIMITS.summary)
  summary!: string;

  @Field(() => String)
  @IsNotEmpty()
  @MaxLength(ARTICLE_LIMITS.bodyBytes)
  body!: string;

  @Field(() => Boolean, { defaultValue: false, description: "Body for signed-in users only." })
  @IsBoolean()
  premium!: boolean;
}

@InputType({ description: "Fields left out stay as they are." })
export class UpdateArticleInput implements ArticleChanges {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE })
  @MaxLength(ARTICLE_LIMITS.slug)
  slug?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxLength(ARTICLE_LIMITS.title)
  title?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsNotEmpty()
  @MaxLength(ARTICLE_LIMITS.summary)
  summary?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(ARTICLE_LIMITS.bodyBytes)
  body?: string | null;

  @Field(() => Boolean, { nullable: true })
  @IsOptional()
  @IsBoolean()
  premium?: boolean | null;
}
