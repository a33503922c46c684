import type { MigrationInterface, QueryRunner } from "typeorm";

/** Checked with scripts/generate-migration.js (no schema changes left); never edit after it lands. */
export class WebhookSecretOverlap1796800000001 implements MigrationInterface {
  name = "WebhookSecretOverlap1796800000001";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `webhook_endpoint` ADD `previousSecretSealed` varchar(255) NULL");
    await queryRunner.query("ALTER TABLE `webhook_endpoint` ADD `previousSecretUntil` datetime(3) NULL");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `webhook_endpoint` DROP COLUMN `previousSecretUntil`");
    await queryRunner.query("ALTER TABLE `webhook_endpoint` DROP COLUMN `previousSecretSealed`");
  }
}
