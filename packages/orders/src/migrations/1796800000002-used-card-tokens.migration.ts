import type { MigrationInterface, QueryRunner } from "typeorm";

/** Checked with scripts/generate-migration.js (no schema changes left); never edit after it lands. */
export class UsedCardTokens1796800000002 implements MigrationInterface {
  name = "UsedCardTokens1796800000002";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TABLE `used_card_token` (`tokenHash` char(64) NOT NULL, `expiresAt` datetime(3) NOT NULL, INDEX `IDX_used_card_token_expires` (`expiresAt`), PRIMARY KEY (`tokenHash`)) ENGINE=InnoDB",
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE `used_card_token`");
  }
}
