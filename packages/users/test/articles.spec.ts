import { ErrorCode, Role } from "@honour/platform";
import { testDatabaseKinds } from "@honour/testing";
import type { ArticleDraft } from "../src/article/article.service";
import { failure, openUsersTestBed, type UsersTestBed } from "./users-test-bed";

const publicArticle: ArticleDraft = {
  slug: "welcome",
  title: "Welcome",
  summary: "Who we are.",
  body: "The public body.",
  premium: false,
};
const premiumArticle: ArticleDraft = {
  slug: "deep-dive",
  title: "A deep dive",
  summary: "For members.",
  body: "The premium body.",
  premium: true,
};

describe.each(testDatabaseKinds())("articles on %s", (kind) => {
  let bed: UsersTestBed;
  beforeAll(async () => {
    bed = await openUsersTestBed(kind);
  });
  afterAll(() => bed?.close());
  beforeEach(async () => {
    await bed.reset();
    await bed.services.articles.create(bed.ctx(), publicArticle);
    bed.clock.advance(1000);
    await bed.services.articles.create(bed.ctx(), premiumArticle);
  });

  it("withholds a premium body from an anonymous reader and marks the article locked", async () => {
    const premium = await bed.services.articles.findBySlug(bed.ctx(), "deep-dive");
    const open = await bed.services.articles.findBySlug(bed.ctx(), "welcome");

    expect(premium).toMatchObject({ premium: true, locked: true, body: null, summary: "For members." });
    expect(open).toMatchObject({ premium: false, locked: false, body: "The public body." });
  });

  it("shows a premium body to a signed-in customer", async () => {
    const { ctx } = await bed.signUp();

    expect(await bed.services.articles.findBySlug(ctx, "deep-dive")).toMatchObject({
      locked: false,
      body: "The premium body.",
    });
  });

  it("applies the same rule to the list, newest first", async () => {
    const { ctx } = await bed.signUp();

    const anonymous = await bed.services.articles.list(bed.ctx(), {});
    const signedIn = await bed.services.articles.list(ctx, {});

    expect(anonymous.nodes.map((a) => [a.slug, a.locked, a.body])).toEqual([
      ["deep-dive", true, null],
      ["welcome", false, "The public body."],
    ]);
    expect(anonymous.edges.map((e) => e.node)).toEqual(anonymous.nodes);
    expect(signedIn.nodes.map((a) => a.body)).toEqual(["The premium body.", "The public body."]);
  });

  it("pages through articles", async () => {
    const first = await bed.services.articles.list(bed.ctx(), { first: 1 });
    const second = await bed.services.articles.list(bed.ctx(), { first: 1, after: first.pageInfo.endCursor });

    expect(first.nodes.map((a) => a.slug)).toEqual(["deep-dive"]);
    expect(second.nodes.map((a) => a.slug)).toEqual(["welcome"]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it("returns null for an unknown slug", async () => {
    expect(await bed.services.articles.findBySlug(bed.ctx(), "nothing-here")).toBeNull();
  });

  it("refuses a slug in use with CONFLICT", async () => {
    const error = await failure(bed.services.articles.create(bed.ctx(), { ...publicArticle, title: "Another" }));

    expect(error.code).toBe(ErrorCode.CONFLICT);
  });

  it("refuses an invalid slug and missing fields with BAD_USER_INPUT", async () => {
    const error = await failure(
      bed.services.articles.create(bed.ctx(), { slug: "Not A Slug", title: " ", summary: "s", body: "" }),
    );

    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields?.map((f) => f.field).sort()).toEqual(["input.body", "input.slug", "input.title"]);
  });

  it("refuses a body larger than the column holds", async () => {
    const error = await failure(
      bed.services.articles.create(bed.ctx(), { ...publicArticle, slug: "big", body: "€".repeat(30_000) }),
    );

    expect(error.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(error.fields?.map((f) => f.field)).toEqual(["input.body"]);
  });

  it("updates the given fields and leaves the rest", async () => {
    const marketing = await bed.signUp();
    await bed.services.users.setRole(bed.ctx(), marketing.user.id, Role.MARKETING);
    const article = (await bed.services.articles.findBySlug(bed.ctx(), "welcome"))!;

    const updated = await bed.services.articles.update(marketing.ctx, article.id, { title: "Hello", premium: true });

    expect(updated).toMatchObject({ slug: "welcome", title: "Hello", premium: true, body: "The public body." });
    expect(await bed.services.articles.findBySlug(bed.ctx(), "welcome")).toMatchObject({
      title: "Hello",
      locked: true,
      body: null,
    });
  });

  it("refuses to move an article to a slug in use, and an unknown id with NOT_FOUND", async () => {
    const article = (await bed.services.articles.findBySlug(bed.ctx(), "welcome"))!;

    const taken = await failure(bed.services.articles.update(bed.ctx(), article.id, { slug: "deep-dive" }));
    const missing = await failure(
      bed.services.articles.update(bed.ctx(), "00000000-0000-7000-8000-000000000000", { title: "x" }),
    );

    expect(taken.code).toBe(ErrorCode.CONFLICT);
    expect(missing.code).toBe(ErrorCode.NOT_FOUND);
  });
});
