import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Data only: orders erased before the erasure dropped the card brand lose it now, as later
 * erasures do (the policy keeps billing information to bill that purchase; an invoice needs no
 * card, a refund only the provider's charge id). Written by hand (no schema change to generate);
 * never edit after it lands. Down cannot bring the brands back and leaves the rows as they are.
 */
export class EraseCardBrand1796600000000 implements MigrationInterface {
  name = "EraseCardBrand1796600000000";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "UPDATE `customer_order` SET `cardBrand` = NULL WHERE `contactErasedAt` IS NOT NULL AND `cardBrand` IS NOT NULL",
    );
  }

  public async down(): Promise<void> {
    // Nothing to undo: erased data does not come back.
  }
}
