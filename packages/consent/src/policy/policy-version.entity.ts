import { Column, Entity, PrimaryColumn } from "typeorm";

/** Column lengths, shared by the entity, the service's checks and the GraphQL input. */
export const POLICY_LIMITS = Object.freeze({
  summaryOfChanges: 2000,
  /** The body is a MySQL `text` column: at most 65 535 bytes of UTF-8. */
  bodyBytes: 65_535,
});

/**
 * One published version of the privacy policy. Never changed once published: consent records
 * point at the version that was in force when they were given.
 */
@Entity("consent_policy_version")
export class PolicyVersionEntity {
  /** 1, 2, 3 … set by the server when publishing. */
  @PrimaryColumn({ type: "int" })
  version!: number;

  /** The policy's "last updated" date (`YYYY-MM-DD`, UTC), the day it was published. */
  @Column({ type: "date" })
  lastUpdated!: string;

  @Column({ type: "varchar", length: POLICY_LIMITS.summaryOfChanges })
  summaryOfChanges!: string;

  /** Markdown. */
  @Column({ type: "text" })
  body!: string;

  @Column({ type: "datetime", precision: 3 })
  publishedAt!: Date;
}
