import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written after scripts/generate-migration.js's output for these entities; never edit after it
 * lands. Double opt-in: `pending_consent` (registration choices waiting for the address's
 * verification, cascading with the account) and `consent_proof` (append-only, like the ledger it
 * proves, so no foreign key to an account). Existing accounts have nothing pending.
 */
export class AddPendingConsent1796602388516 implements MigrationInterface {
  name = "AddPendingConsent1796602388516";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "CREATE TABLE `pending_consent` (`userId` char(36) NOT NULL, `topic` varchar(32) NOT NULL, `channel` varchar(16) NOT NULL, `ticked` tinyint NOT NULL, `policyVersion` int NOT NULL, `chosenAt` datetime(3) NOT NULL, PRIMARY KEY (`userId`, `topic`, `channel`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      "ALTER TABLE `pending_consent` ADD CONSTRAINT `FK_pending_consent_user` FOREIGN KEY (`userId`) REFERENCES `user`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION",
    );
    await queryRunner.query(
      "CREATE TABLE `consent_proof` (`eventId` char(36) NOT NULL, `proof` varchar(100) NOT NULL, `chosenAt` datetime(3) NOT NULL, PRIMARY KEY (`eventId`)) ENGINE=InnoDB",
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE `consent_proof`");
    await queryRunner.query("ALTER TABLE `pending_consent` DROP FOREIGN KEY `FK_pending_consent_user`");
    await queryRunner.query("DROP TABLE `pending_consent`");
  }
}
