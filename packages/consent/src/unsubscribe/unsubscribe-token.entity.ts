import type { Topic } from "@honour/platform";
import { UserEntity } from "@honour/users";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from "typeorm";

/**
 * The random half of an unsubscribe token, bound to one account and one topic. The token in a
 * message is `<id>.<HMAC(server secret, id, account, topic)>`: the table alone cannot make a
 * valid token, and a changed character in either half matches nothing.
 */
@Entity("consent_unsubscribe_token")
@Index("UQ_consent_unsubscribe_token_user_topic", ["userId", "topic"], { unique: true })
export class UnsubscribeTokenEntity {
  /** 16 random bytes, base64url. */
  @PrimaryColumn({ type: "char", length: 22 })
  id!: string;

  @Column({ type: "char", length: 36 })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: "CASCADE", nullable: false })
  @JoinColumn({ name: "userId", foreignKeyConstraintName: "FK_consent_unsubscribe_token_user" })
  user?: Relation<UserEntity>;

  @Column({ type: "varchar", length: 32 })
  topic!: Topic;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;
}
