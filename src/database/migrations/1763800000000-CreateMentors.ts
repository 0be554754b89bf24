import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateMentors1763800000000 implements MigrationInterface {
  name = 'CreateMentors1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "mentors" (
        "mentor_id" varchar(64) NOT NULL,
        "full_name" varchar(200) NOT NULL,
        "chapter_id" varchar(64) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "mentors_pkey" PRIMARY KEY ("mentor_id")
      )`);
    await queryRunner.query(`CREATE INDEX "mentors_chapter_name_idx" ON "mentors" ("chapter_id", "full_name", "mentor_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mentors"`);
  }
}
