import { Role, type Actor } from "@honour/platform";
import { ArticleEntity } from "./article.entity";
import { SLUG_PATTERN, viewArticle } from "./article.service";

const article = (premium: boolean): ArticleEntity =>
  Object.assign(new ArticleEntity(), {
    id: "0190a000-0000-7000-8000-000000000000",
    slug: "a",
    title: "A",
    summary: "Teaser",
    body: "Body",
    premium,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  });

describe("viewArticle", () => {
  const user: Actor = { kind: "user", userId: "u", role: Role.CUSTOMER, sessionId: "s" };

  it.each<[string, Actor]>([
    ["anonymous", { kind: "anonymous" }],
    ["a partner", { kind: "partner", partnerId: "p", apiKeyId: "k" }],
    ["the system", { kind: "system", name: "job" }],
  ])("locks a premium article for %s", (_who, actor) => {
    expect(viewArticle(article(true), actor)).toMatchObject({ locked: true, body: null, summary: "Teaser" });
  });

  it("opens a premium article for a signed-in user", () => {
    expect(viewArticle(article(true), user)).toMatchObject({ locked: false, body: "Body" });
  });

  it("never locks a public article", () => {
    expect(viewArticle(article(false), { kind: "anonymous" })).toMatchObject({ locked: false, body: "Body" });
  });
});

describe("SLUG_PATTERN", () => {
  it.each(["a", "privacy-in-practice", "2026-review"])("accepts %s", (slug) => {
    expect(SLUG_PATTERN.test(slug)).toBe(true);
  });

  it.each(["", "A", "with space", "double--hyphen", "-leading", "trailing-", "ümlaut"])("refuses %j", (slug) => {
    expect(SLUG_PATTERN.test(slug)).toBe(false);
  });
});
