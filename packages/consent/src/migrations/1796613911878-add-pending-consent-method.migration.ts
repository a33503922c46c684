import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written after scripts/generate-migration.js's output for these entities; never edit after it
 * lands. `pending_consent.method`: double opt-in also holds the email grants an unverified account
 * makes in the preference centre (PREFERENCE_CENTRE); the rows already there came from the
 * registration form (NULL).
 */
export class AddPendingConsentMethod1796613911878 implements MigrationInterface {
  name = "AddPendingConsentMethod1796613911878";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `pending_consent` ADD `method` varchar(32) NULL");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `pending_consent` DROP COLUMN `method`");
  }
}
