import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written after scripts/generate-migration.js's output for these entities; never edit after it
 * lands. `session.secondFactor`: the session was started with a second factor (a TOTP or recovery
 * code, or a passkey with user verification), which satisfies `STAFF_MFA=required`. Sessions
 * already there started without one as far as anyone can tell (0).
 */
export class AddSessionSecondFactor1796614729744 implements MigrationInterface {
  name = "AddSessionSecondFactor1796614729744";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `session` ADD `secondFactor` tinyint NOT NULL DEFAULT 0");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `session` DROP COLUMN `secondFactor`");
  }
}
