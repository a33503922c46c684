import type { MigrationInterface, QueryRunner } from "typeorm";

/** Checked with scripts/generate-migration.js (no schema changes left); never edit after it lands. */
export class PartnerApiKeyExpiry1796800000000 implements MigrationInterface {
  name = "PartnerApiKeyExpiry1796800000000";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `partner_api_key` ADD `expiresAt` datetime(3) NULL");
    await queryRunner.query("ALTER TABLE `partner_api_key` ADD `expiryNoticeAt` datetime(3) NULL");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `partner_api_key` DROP COLUMN `expiryNoticeAt`");
    await queryRunner.query("ALTER TABLE `partner_api_key` DROP COLUMN `expiresAt`");
  }
}
