import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { UserEntity } from "../user/user.entity";

/**
 * A password reset link mailed to an account. Only the HMAC (server secret) of the link's token is
 * stored, so a copy of the table opens no account. A link works once, until `expiresAt`, and only
 * while `endedAt` is null: using it, a newer request and any password change end it.
 */
@Entity("password_reset")
@Index("IDX_password_reset_user", ["userId", "endedAt"])
@Index("IDX_password_reset_created", ["createdAt"])
export class PasswordResetEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** Hex HMAC-SHA256 of the link's token. */
  @Index("UQ_password_reset_token_hash", { unique: true })
  @Column({ type: "char", length: 64 })
  tokenHash!: string;

  @Column({ type: "char", length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_password_reset_user" })
  user?: Relation<UserEntity>;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3 })
  expiresAt!: Date;

  /** When the link stopped working before it expired: used, superseded or the password changed. */
  @Column({ type: "datetime", precision: 3, nullable: true })
  endedAt!: Date | null;
}
