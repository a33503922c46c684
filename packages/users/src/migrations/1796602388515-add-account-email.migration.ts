import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written after scripts/generate-migration.js's output for these entities; never edit after it
 * lands. Email verification (`user.emailVerifiedAt`, `email_verification`) and email changes
 * waiting for their confirmation (`email_change`); both tables cascade with the account.
 *
 * Existing accounts stay unverified (`emailVerifiedAt` NULL): nobody proved their address, and
 * the column says that proof was given. Nothing else waits on it for them: their consent was
 * recorded before double opt-in existed and stays as it is (withdrawing it would change what
 * people chose), so being unverified only means `emailVerified: false` until they use the link
 * of `resendEmailVerification` or confirm an email change.
 */
export class AddAccountEmail1796602388515 implements MigrationInterface {
  name = "AddAccountEmail1796602388515";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `user` ADD `emailVerifiedAt` datetime(3) NULL");
    await queryRunner.query(
      "CREATE TABLE `email_verification` (`id` char(36) NOT NULL, `tokenHash` char(64) NOT NULL, `userId` char(36) NOT NULL, `email` varchar(254) NOT NULL, `createdAt` datetime(3) NOT NULL, `expiresAt` datetime(3) NOT NULL, `endedAt` datetime(3) NULL, `verifiedAt` datetime(3) NULL, UNIQUE INDEX `UQ_email_verification_token_hash` (`tokenHash`), INDEX `IDX_email_verification_user` (`userId`, `endedAt`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      "ALTER TABLE `email_verification` ADD CONSTRAINT `FK_email_verification_user` FOREIGN KEY (`userId`) REFERENCES `user`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION",
    );
    await queryRunner.query(
      "CREATE TABLE `email_change` (`id` char(36) NOT NULL, `tokenHash` char(64) NOT NULL, `userId` char(36) NOT NULL, `newEmail` varchar(254) NOT NULL, `createdAt` datetime(3) NOT NULL, `expiresAt` datetime(3) NOT NULL, `endedAt` datetime(3) NULL, `confirmedAt` datetime(3) NULL, UNIQUE INDEX `UQ_email_change_token_hash` (`tokenHash`), INDEX `IDX_email_change_user` (`userId`, `endedAt`), PRIMARY KEY (`id`)) ENGINE=InnoDB",
    );
    await queryRunner.query(
      "ALTER TABLE `email_change` ADD CONSTRAINT `FK_email_change_user` FOREIGN KEY (`userId`) REFERENCES `user`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION",
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE `email_change` DROP FOREIGN KEY `FK_email_change_user`");
    await queryRunner.query("DROP TABLE `email_change`");
    await queryRunner.query("ALTER TABLE `email_verification` DROP FOREIGN KEY `FK_email_verification_user`");
    await queryRunner.query("DROP TABLE `email_verification`");
    await queryRunner.query("ALTER TABLE `user` DROP COLUMN `emailVerifiedAt`");
  }
}
