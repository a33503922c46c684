import type { MigrationInterface, QueryRunner } from "typeorm";

/** Checked with scripts/generate-migration.js (no schema changes left); never edit after it lands. */
export class SuppressionCheckAddresses1796800000003 implements MigrationInterface {
  name = "SuppressionCheckAddresses1796800000003";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TABLE `disclosure_suppression_check_address` (`checkId` char(36) NOT NULL, `emailHash` char(64) NOT NULL, `suppressed` tinyint NOT NULL, INDEX `IDX_disclosure_suppression_check_address_email` (`emailHash`), PRIMARY KEY (`checkId`, `emailHash`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      "ALTER TABLE `disclosure_suppression_check_address` ADD CONSTRAINT `FK_disclosure_suppression_check_address_check` FOREIGN KEY (`checkId`) REFERENCES `disclosure_suppression_check`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION",
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "ALTER TABLE `disclosure_suppression_check_address` DROP FOREIGN KEY `FK_disclosure_suppression_check_address_check`",
    );
    await queryRunner.query("DROP TABLE `disclosure_suppression_check_address`");
  }
}
