import { Column, Entity, Index, PrimaryColumn } from "typeorm";

export const ARTICLE_LIMITS = Object.freeze({
  slug: 100,
  title: 200,
  summary: 1000,
  /** MySQL's `text` holds 65,535 bytes; the service checks the UTF-8 size. */
  bodyBytes: 65_535,
});

/** A piece of site content. Premium bodies are for signed-in users only. */
@Entity("article")
export class ArticleEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** The URL name: lower-case letters, digits and single hyphens. */
  @Index("UQ_article_slug", { unique: true })
  @Column({ type: "varchar", length: ARTICLE_LIMITS.slug })
  slug!: string;

  @Column({ type: "varchar", length: ARTICLE_LIMITS.title })
  title!: string;

  /** Shown to everyone, also for premium articles (it is the teaser). */
  @Column({ type: "varchar", length: ARTICLE_LIMITS.summary })
  summary!: string;

  @Column({ type: "text" })
  body!: string;

  @Column({ type: "boolean" })
  premium!: boolean;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;
}
