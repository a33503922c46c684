import { Role, type Connection } from "@honour/platform";
import { ConnectionArgs, type GraphQLContext } from "@honour/platform/graphql";
import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { UsersServices } from "../users.module";
import { UpdateArticleArgs } from "./article.args";
import { CreateArticleInput } from "./article.input";
import { ArticleConnection, ArticleObject } from "./article.object";
import type { ArticleView } from "./article.service";

/** Site articles. Reads are public; the service withholds premium bodies from anonymous viewers. */
@Resolver(() => ArticleObject)
export class ArticleResolver {
  constructor(private readonly services: UsersServices) {}

  @Query(() => ArticleConnection, { description: "Articles, newest first. Public." })
  articles(
    @Args(() => ConnectionArgs) args: ConnectionArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<Connection<ArticleView>> {
    return this.services.articles.list(ctx, args);
  }

  @Query(() => ArticleObject, { nullable: true, description: "One article by its slug. Public." })
  article(@Arg("slug", () => String) slug: string, @Ctx() { ctx }: GraphQLContext): Promise<ArticleView | null> {
    return this.services.articles.findBySlug(ctx, slug);
  }

  @Authorized([Role.MARKETING, Role.ADMIN])
  @Mutation(() => ArticleObject, { description: "Marketing and admins." })
  createArticle(
    @Arg("input", () => CreateArticleInput) input: CreateArticleInput,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<ArticleView> {
    return this.services.articles.create(ctx, input);
  }

  @Authorized([Role.MARKETING, Role.ADMIN])
  @Mutation(() => ArticleObject, { description: "Marketing and admins." })
  updateArticle(
    @Args(() => UpdateArticleArgs) { id, input }: UpdateArticleArgs,
    @Ctx() { ctx }: GraphQLContext,
  ): Promise<ArticleView> {
    return this.services.articles.update(ctx, id, input);
  }
}
