import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * A card token made in a buyer's browser that has been charged once, kept until the token expires
 * so that no gateway charges it again (the demo provider's single-use rule across gateways). Only
 * the token's SHA-256 is kept; the token itself holds no card number or CVC either.
 */
@Entity("used_card_token")
@Index("IDX_used_card_token_expires", ["expiresAt"])
export class UsedCardTokenEntity {
  /** Hex SHA-256 of the whole token. */
  @PrimaryColumn({ type: "char", length: 64 })
  tokenHash!: string;

  /** When the token expires anyway; the row may be deleted from then on. */
  @Column({ type: "datetime", precision: 3 })
  expiresAt!: Date;
}
