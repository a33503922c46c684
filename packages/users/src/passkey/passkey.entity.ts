import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { UserEntity } from "../user/user.entity";

/**
 * A passkey (WebAuthn credential) that signs its account in. Only public material is stored: the
 * credential's id and public key, its signature counter and transports, and the name its owner gave.
 */
@Entity("passkey")
@Index("IDX_passkey_user", ["userId"])
export class PasskeyEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  @Column({ type: "char", length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_passkey_user" })
  user?: Relation<UserEntity>;

  /** The credential id, base64url (what the browser names it by). */
  @Index("UQ_passkey_credential", { unique: true })
  @Column({ type: "varchar", length: 255 })
  credentialId!: string;

  /** The COSE public key, base64url. */
  @Column({ type: "text" })
  publicKey!: string;

  /** The authenticator's signature counter (0 for authenticators that keep none). */
  @Column({ type: "bigint", transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } })
  counter!: number;

  /** How the browser reaches the authenticator (`internal,hybrid`), as it said at registration. */
  @Column({ type: "varchar", length: 100, nullable: true })
  transports!: string | null;

  @Column({ type: "varchar", length: 100 })
  name!: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  @Column({ type: "datetime", precision: 3, nullable: true })
  lastUsedAt!: Date | null;
}
