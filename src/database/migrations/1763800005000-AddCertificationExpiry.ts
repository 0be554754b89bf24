import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddCertificationExpiry1763800005000 implements MigrationInterface {
  name = 'AddCertificationExpiry1763800005000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Milliseconds, like every time the API accepts or answers: the sweep pages by this value,
    // and a JS Date carries it back exactly.
    await queryRunner.query(`ALTER TABLE "mentors" ADD "certification_expires_at" timestamptz(3)`);
    // The sweep walks expired and renewed mentors in (expiry, id) order; the chapter's expiring list reads a time range of one chapter.
    await queryRunner.query(
      `CREATE INDEX "mentors_certification_expiry_idx" ON "mentors" ("certification_expires_at", "mentor_id") WHERE "certification_expires_at" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "mentors_chapter_certification_expiry_idx" ON "mentors" ("chapter_id", "certification_expires_at") WHERE "certification_expires_at" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "mentors_chapter_certification_expiry_idx"`);
    await queryRunner.query(`DROP INDEX "mentors_certification_expiry_idx"`);
    await queryRunner.query(`ALTER TABLE "mentors" DROP COLUMN "certification_expires_at"`);
  }
}
