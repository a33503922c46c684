import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * The random key of one day's visitor ids. Created at random (never derived from the date) and
 * deleted within 48 hours, after which nobody, us included, can link a day's visitor ids to an
 * address and browser, or to another day's.
 */
@Entity("stats_salt")
export class DailySaltEntity {
  /** The day in the site's time zone, `YYYY-MM-DD`. */
  @PrimaryColumn({ type: "varchar", length: 10 })
  day!: string;

  /** 32 random bytes, hex. */
  @Column({ type: "char", length: 64 })
  salt!: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;
}
