import {
  isDuplicateKeyError,
  newId,
  paginate,
  ValidationException,
  type Actor,
  type Connection,
  type FieldError,
  type PageArgs,
  type RequestContext,
} from "@honour/platform";
import { SlugTakenException, UsersErrorCode, UsersException } from "../users.exception";
import { ARTICLE_LIMITS, ArticleEntity } from "./article.entity";

/** Lower-case letters and digits in words joined by single hyphens: `privacy-in-practice`. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A new article. */
export interface ArticleDraft {
  slug: string;
  title: string;
  summary: string;
  body: string;
  /** Default false. */
  premium?: boolean | null;
}

/** Changes to an article; a field left out (or null) stays as it is. */
export interface ArticleChanges {
  slug?: string | null;
  title?: string | null;
  summary?: string | null;
  body?: string | null;
  premium?: boolean | null;
}

/**
 * An article as one viewer may see it: for a premium article and a viewer who is not signed in,
 * `locked` is true and `body` is null.
 */
export interface ArticleView {
  id: string;
  slug: string;
  title: string;
  summary: string;
  premium: boolean;
  locked: boolean;
  body: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Premium content is for signed-in users (the policy's "premium content areas"). */
export function canReadPremium(actor: Actor): boolean {
  return actor.kind === "user";
}

/** The article as `actor` may see it. */
export function viewArticle(article: ArticleEntity, actor: Actor): ArticleView {
  const locked = article.premium && !canReadPremium(actor);
  return {
    id: article.id,
    slug: article.slug,
    title: article.title,
    summary: article.summary,
    premium: article.premium,
    locked,
    body: locked ? null : article.body,
    createdAt: article.createdAt,
    updatedAt: article.updatedAt,
  };
}

type TextField = "slug" | "title" | "summary" | "body";

/**
 * Checks the text fields present in `input` (all of them when `required`); returns them trimmed,
 * the body as written.
 */
function checkFields(
  input: Partial<Record<TextField, string | null>>,
  required: boolean,
): Partial<Record<TextField, string>> {
  const errors: FieldError[] = [];
  const fail = (field: TextField, message: string) => errors.push({ field: `input.${field}`, message });
  const out: Partial<Record<TextField, string>> = {};
  if (required) {
    for (const field of ["slug", "title", "summary", "body"] as const) {
      if (input[field] == null) fail(field, "is required");
    }
  }
  if (input.slug != null) {
    out.slug = input.slug.trim();
    if (out.slug.length > ARTICLE_LIMITS.slug) fail("slug", `must be at most ${ARTICLE_LIMITS.slug} characters`);
    else if (!SLUG_PATTERN.test(out.slug)) fail("slug", "must be lower-case letters and digits joined by hyphens");
  }
  for (const field of ["title", "summary"] as const) {
    if (input[field] == null) continue;
    out[field] = input[field].trim();
    if (out[field] === "") fail(field, "must not be empty");
    else if (out[field].length > ARTICLE_LIMITS[field]) {
      fail(field, `must be at most ${ARTICLE_LIMITS[field]} characters`);
    }
  }
  if (input.body != null) {
    out.body = input.body;
    if (out.body.trim() === "") fail("body", "must not be empty");
    else if (Buffer.byteLength(out.body, "utf8") > ARTICLE_LIMITS.bodyBytes) {
      fail("body", `must be at most ${ARTICLE_LIMITS.bodyBytes} bytes of UTF-8`);
    }
  }
  if (errors.length > 0) throw new ValidationException(errors);
  return out;
}

/** Site articles, public and premium. Every read returns the article as the caller may see it. */
export class ArticleService {
  /** A page of articles, newest first. */
  async list(ctx: RequestContext, args: PageArgs): Promise<Connection<ArticleView>> {
    const page = await paginate(ctx.manager.createQueryBuilder(ArticleEntity, "a"), args);
    const views = page.nodes.map((article) => viewArticle(article, ctx.actor));
    return {
      edges: page.edges.map((edge, i) => ({ cursor: edge.cursor, node: views[i]! })),
      nodes: views,
      pageInfo: page.pageInfo,
    };
  }

  async findBySlug(ctx: RequestContext, slug: string): Promise<ArticleView | null> {
    const article = await ctx.manager.findOneBy(ArticleEntity, { slug });
    return article ? viewArticle(article, ctx.actor) : null;
  }

  /**
   * Publishes an article, in one transaction. Throws `BAD_USER_INPUT` for invalid fields,
   * `CONFLICT` for a used slug.
   */
  async create(ctx: RequestContext, draft: ArticleDraft): Promise<ArticleView> {
    const fields = checkFields(draft, true) as Record<TextField, string>;
    return ctx.transaction(async (tx) => {
      if (await tx.manager.existsBy(ArticleEntity, { slug: fields.slug })) throw new SlugTakenException();
      const now = tx.clock.now();
      const article: ArticleEntity = Object.assign(new ArticleEntity(), {
        id: newId(now.getTime()),
        ...fields,
        premium: draft.premium ?? false,
        createdAt: now,
        updatedAt: now,
      });
      await this.write(() => tx.manager.insert(ArticleEntity, article));
      return viewArticle(article, tx.actor);
    });
  }

  /**
   * Changes an article, in one transaction. Throws `NOT_FOUND` for an unknown id, `CONFLICT` for
   * a used slug.
   */
  async update(ctx: RequestContext, id: string, changes: ArticleChanges): Promise<ArticleView> {
    const fields = checkFields(changes, false);
    return ctx.transaction(async (tx) => {
      const article = await tx.manager.findOneBy(ArticleEntity, { id });
      if (!article) throw new UsersException(UsersErrorCode.ARTICLE_NOT_FOUND, "Article was not found.");
      if (
        fields.slug !== undefined &&
        fields.slug !== article.slug &&
        (await tx.manager.existsBy(ArticleEntity, { slug: fields.slug }))
      ) {
        throw new SlugTakenException();
      }
      const set = {
        ...fields,
        ...(changes.premium != null ? { premium: changes.premium } : {}),
        updatedAt: tx.clock.now(),
      };
      await this.write(() => tx.manager.update(ArticleEntity, { id }, set));
      return viewArticle(Object.assign(article, set), tx.actor);
    });
  }

  private async write(statement: () => Promise<unknown>): Promise<void> {
    try {
      await statement();
    } catch (error) {
      // Another article took the slug between the check and the write.
      if (isDuplicateKeyError(error)) throw new SlugTakenException();
      throw error;
    }
  }
}
