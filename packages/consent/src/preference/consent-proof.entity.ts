import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * What proves a ledger entry beyond the person's action, e.g. the email verification that confirmed
 * the topics chosen at registration (double opt-in). Appended with the entry and, like the ledger,
 * never updated or deleted; it names no person (the verification's id, not the address).
 */
@Entity("consent_proof")
export class ConsentProofEntity {
  /** The ledger entry (`consent_event.id`) it proves. */
  @PrimaryColumn({ type: "char", length: 36 })
  eventId!: string;

  /** `email-verification:<id>` or `email-change:<id>`: the link that proved the address. */
  @Column({ type: "varchar", length: 100 })
  proof!: string;

  /** When the pending choice was made (the ledger entry's own time is when it was granted). */
  @Column({ type: "datetime", precision: 3 })
  chosenAt!: Date;
}
