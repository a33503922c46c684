import type { Channel } from "@honour/platform";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";

export const REMOVAL_REQUEST_LIMITS = Object.freeze({ value: 500, note: 1000 });

/**
 * A request to be removed from a telephone, fax or mail list, as staff recorded it. It takes
 * effect through the suppression entry made in the same transaction; this row is the record of
 * who recorded what and when. Like the list, it holds a keyed hash, not the number or address.
 */
@Entity("consent_removal_request")
@Index("IDX_consent_removal_request_recorded", ["recordedAt"])
export class RemovalRequestEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "varchar", length: 16 })
  channel!: Channel;

  @Column({ type: "char", length: 64 })
  identifierHash!: string;

  /** Staff's note on how the request came (e.g. "letter of 3 March"). */
  @Column({ type: "varchar", length: REMOVAL_REQUEST_LIMITS.note, nullable: true })
  note!: string | null;

  /** The staff account that recorded it. */
  @Column({ type: "char", length: 36 })
  recordedBy!: string;

  @Column({ type: "datetime", precision: 3 })
  recordedAt!: Date;
}
