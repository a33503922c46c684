import { Entity, Index, JoinColumn, ManyToOne, type Relation } from "typeorm";
import { SingleUseLinkColumns } from "../single-use-link/single-use-link";
import { UserEntity } from "../user/user.entity";

/**
 * A password reset link mailed to an account: a single-use link; using it, a newer request and any
 * password change end it.
 */
@Entity("password_reset")
@Index("IDX_password_reset_user", ["userId", "endedAt"])
@Index("IDX_password_reset_created", ["createdAt"])
@Index("UQ_password_reset_token_hash", ["tokenHash"], { unique: true })
export class PasswordResetEntity extends SingleUseLinkColumns {
  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_password_reset_user" })
  user?: Relation<UserEntity>;
}
