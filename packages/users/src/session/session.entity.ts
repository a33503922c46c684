import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";
import { UserEntity } from "../user/user.entity";
import { CLIENT_FAMILY_LENGTH } from "./client-families";

/**
 * A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a copy of
 * the table (a backup, a replica, a leak) does not let anyone act as the user.
 */
@Entity("session")
@Index("IDX_session_expires_at", ["expiresAt"])
@Index("IDX_session_user", ["userId"])
export class SessionEntity {
  @PrimaryColumn({ type: "char", length: 36 })
  id!: string;

  /** Hex SHA-256 of the cookie's token. */
  @Index("UQ_session_token_hash", { unique: true })
  @Column({ type: "char", length: 64 })
  tokenHash!: string;

  @Column({ type: "char", length: 36 })
  userId!: string;

  /** Joined explicitly where needed (never eager): `resolveActor` reads the role through it. */
  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_session_user" })
  user?: Relation<UserEntity>;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  /**
   * When the session was last used, to the minute: written with the sliding expiry, at most once a
   * minute (see `SessionService.resolve`).
   */
  @Column({ type: "datetime", precision: 3 })
  lastSeenAt!: Date;

  /**
   * The browser and OS families of the user agent that started the session (see
   * `clientFamilies`), so that its owner can tell their sessions apart. Never the user agent.
   */
  @Column({ type: "varchar", length: CLIENT_FAMILY_LENGTH, nullable: true })
  browser!: string | null;

  @Column({ type: "varchar", length: CLIENT_FAMILY_LENGTH, nullable: true })
  os!: string | null;

  /**
   * Started with a second factor: a TOTP or recovery code after the password, or a passkey with
   * user verification. Under `STAFF_MFA=required` such a session may do staff work although the
   * account has no TOTP (a passkey is its second factor).
   */
  @Column({ type: "boolean", default: false })
  secondFactor!: boolean;

  /** Slides forward with use (see `SessionService.resolveActor`); the session is dead after it. */
  @Column({ type: "datetime", precision: 3 })
  expiresAt!: Date;
}
