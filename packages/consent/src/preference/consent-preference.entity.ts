import type { Channel, Topic } from "@honour/platform";
import { UserEntity } from "@honour/users";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import type { ConsentMethod } from "./consent-event.entity";

/**
 * The current state of one account's consent for one topic on one channel, derived from the
 * ledger in the same transaction as each entry. A missing row means never granted. Rows go with
 * the account; the ledger stays.
 */
@Entity("consent_preference")
@Index("IDX_consent_preference_list", ["topic", "channel", "granted"])
export class ConsentPreferenceEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  userId!: string;

  @PrimaryColumn({ type: "varchar", length: 32 })
  topic!: Topic;

  @PrimaryColumn({ type: "varchar", length: 16 })
  channel!: Channel;

  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_consent_preference_user" })
  user?: Relation<UserEntity>;

  @Column({ type: "boolean" })
  granted!: boolean;

  @Column({ type: "varchar", length: 32 })
  method!: ConsentMethod;

  @Column({ type: "int" })
  policyVersion!: number;

  /** The ledger entry this state comes from. */
  @Column({ type: "char", length: 36 })
  eventId!: string;

  @Column({ type: "datetime", precision: 3 })
  updatedAt!: Date;
}
