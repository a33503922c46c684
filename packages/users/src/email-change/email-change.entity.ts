import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from "typeorm";
import { SingleUseLinkColumns } from "../single-use-link/single-use-link";
import { USER_LIMITS, UserEntity } from "../user/user.entity";

/**
 * An email change waiting for its confirmation: the single-use link mailed to `newEmail`.
 * Confirming, a newer request, and any other change of the address end it. The account keeps its
 * address until then.
 */
@Entity("email_change")
@Index("IDX_email_change_user", ["userId", "endedAt"])
@Index("UQ_email_change_token_hash", ["tokenHash"], { unique: true })
export class EmailChangeEntity extends SingleUseLinkColumns {
  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_email_change_user" })
  user?: Relation<UserEntity>;

  /** The address asked for, normalised. */
  @Column({ type: "varchar", length: USER_LIMITS.email })
  newEmail!: string;

  /** When the change took effect through this link. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  confirmedAt!: Date | null;
}
