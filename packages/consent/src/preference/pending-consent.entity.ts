import type { Channel, Topic } from "@honour/platform";
import type { ConsentMethod } from "./consent-event.entity";
import { UserEntity } from "@honour/users";
import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";

/**
 * A communication chosen at registration, or granted by email in the preference centre, that waits
 * for the account's address to be verified (double opt-in): nothing is granted, and no suppression
 * lifted, on an address nobody proved is the account holder's. On verification it becomes a ledger grant whose proof names the verification
 * ({@link ConsentProofEntity}) and the row goes; closure deletes what still waits.
 */
@Entity("pending_consent")
export class PendingConsentEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  userId!: string;

  @PrimaryColumn({ type: "varchar", length: 32 })
  topic!: Topic;

  @PrimaryColumn({ type: "varchar", length: 16 })
  channel!: Channel;

  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_pending_consent_user" })
  user?: Relation<UserEntity>;

  /**
   * Where it was chosen: null for the registration form, PREFERENCE_CENTRE for a grant made there
   * (setPreferences or the preference page) before the address was verified.
   */
  @Column({ type: "varchar", length: 32, nullable: true })
  method!: ConsentMethod.PREFERENCE_CENTRE | null;

  /** True when the person ticked it; false for the policy's soft opt-in (a form without a choice). */
  @Column({ type: "boolean" })
  ticked!: boolean;

  /** The privacy policy version the form was shown under. */
  @Column({ type: "int" })
  policyVersion!: number;

  @Column({ type: "datetime", precision: 3 })
  chosenAt!: Date;
}
