import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from "typeorm";
import { SingleUseLinkColumns } from "../single-use-link/single-use-link";
import { USER_LIMITS, UserEntity } from "../user/user.entity";

/**
 * An email verification link mailed to an account (registration's welcome, or a resend): a
 * single-use link that works for the address it was mailed to; using it, a newer link and a
 * change of the address end it. `verifiedAt` says which link proved the address.
 */
@Entity("email_verification")
@Index("IDX_email_verification_user", ["userId", "endedAt"])
@Index("UQ_email_verification_token_hash", ["tokenHash"], { unique: true })
export class EmailVerificationEntity extends SingleUseLinkColumns {
  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_email_verification_user" })
  user?: Relation<UserEntity>;

  /** The address the link was mailed to: it verifies this address only. */
  @Column({ type: "varchar", length: USER_LIMITS.email })
  email!: string;

  /** When this link verified the address (it is ended then too). */
  @Column({ type: "datetime", precision: 3, nullable: true })
  verifiedAt!: Date | null;
}
