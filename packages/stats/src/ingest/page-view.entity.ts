import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { PAGE_VIEW_LIMITS } from "./page-view-reduction";

/**
 * One counted page view, as the ingest endpoint reduced it. Kept for a few days only (the
 * rollups keep the counts). Holds no IP address, no user agent and no exact time: the visitor id
 * is a keyed hash that changes every day, and the time is the hour.
 */
@Entity("stats_page_view")
@Index("IDX_stats_page_view_day", ["day"])
export class PageViewEntity {
  /**
   * Auto-increment, so a multi-row insert generates no id per row. Unsigned int: 4 billion rows
   * (a century at 100 000 views a day), and `integer` on SQLite, whose AUTOINCREMENT takes no other.
   */
  @PrimaryGeneratedColumn({ type: "int", unsigned: true })
  id!: number;

  /**
   * A random id (UUID) the view got when it was accepted. The insert skips a view already written,
   * so a batch whose commit reached the database but whose answer was lost (the connection cut)
   * is counted once when it is retried. Null for views written before it existed. Says nothing
   * about the visitor.
   */
  @Index("UQ_stats_page_view_event", { unique: true })
  @Column({ type: "char", length: 36, nullable: true })
  eventId!: string | null;

  /** The day in the site's time zone, `YYYY-MM-DD`. */
  @Column({ type: "varchar", length: 10 })
  day!: string;

  /** The start of the hour (site time zone) the view happened in, as a UTC instant. */
  @Column({ type: "datetime" })
  hour!: Date;

  /** 16 bytes of HMAC-SHA256(day's salt, site ‖ IP ‖ user agent), hex. */
  @Column({ type: "char", length: 32 })
  visitorId!: string;

  @Column({ type: "varchar", length: PAGE_VIEW_LIMITS.path })
  path!: string;

  /** The referring site's host without `www.`; null for direct visits and self-referrals. */
  @Column({ type: "varchar", length: PAGE_VIEW_LIMITS.host, nullable: true })
  referrerDomain!: string | null;

  /** The browser's family name (bowser), e.g. `Firefox`, or `Other`. */
  @Column({ type: "varchar", length: PAGE_VIEW_LIMITS.browser })
  browser!: string;

  @Column({ type: "varchar", length: PAGE_VIEW_LIMITS.utm, nullable: true })
  utmSource!: string | null;

  @Column({ type: "varchar", length: PAGE_VIEW_LIMITS.utm, nullable: true })
  utmMedium!: string | null;

  @Column({ type: "varchar", length: PAGE_VIEW_LIMITS.utm, nullable: true })
  utmCampaign!: string | null;
}
