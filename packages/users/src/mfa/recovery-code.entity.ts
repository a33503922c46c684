import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { UserEntity } from "../user/user.entity";

/**
 * A single-use recovery code, for signing in when the authenticator is lost. Shown once, when
 * two-factor is turned on; only its keyed hash is stored.
 */
@Entity("user_recovery_code")
@Index("IDX_user_recovery_code_user", ["userId"])
export class RecoveryCodeEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_user_recovery_code_user" })
  user?: Relation<UserEntity>;

  /** Hex HMAC-SHA256 (server secret) of the account id and the code. */
  @Index("UQ_user_recovery_code_hash", { unique: true })
  @Column({ type: "char", length: 64 })
  codeHash!: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  /** When it was used; a used code never works again. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  usedAt!: Date | null;
}
