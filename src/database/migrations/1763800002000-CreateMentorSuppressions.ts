import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateMentorSuppressions1763800002000 implements MigrationInterface {
  name = 'CreateMentorSuppressions1763800002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "mentor_suppressions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "mentor_id" varchar(64) NOT NULL,
        "coordinator_id" varchar(64) NOT NULL,
        "reason" varchar(64) NOT NULL,
        "restore_reason" varchar(64),
        "suppressed_at" timestamptz NOT NULL,
        "restored_at" timestamptz,
        "is_active" boolean NOT NULL DEFAULT true,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "mentor_suppressions_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "mentor_suppressions_mentor_id_fkey" FOREIGN KEY ("mentor_id") REFERENCES "mentors" ("mentor_id"),
        CONSTRAINT "mentor_suppressions_reason_check" CHECK ("reason" ~ '^[a-z][a-z0-9_]{0,63}$'),
        CONSTRAINT "mentor_suppressions_restore_reason_check" CHECK ("restore_reason" ~ '^[a-z][a-z0-9_]{0,63}$'),
        CONSTRAINT "mentor_suppressions_active_check" CHECK ("is_active" = ("restored_at" IS NULL)),
        CONSTRAINT "mentor_suppressions_restored_after_check" CHECK ("restored_at" IS NULL OR "restored_at" >= "suppressed_at")
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "mentor_suppressions_one_active_idx" ON "mentor_suppressions" ("mentor_id") WHERE "is_active"`);
    await queryRunner.query(`CREATE INDEX "mentor_suppressions_mentor_idx" ON "mentor_suppressions" ("mentor_id", "suppressed_at" DESC, "id" DESC)`);
    await queryRunner.query(`CREATE INDEX "mentor_suppressions_suppressed_at_idx" ON "mentor_suppressions" ("suppressed_at" DESC, "id" DESC)`);
    await queryRunner.query(`CREATE INDEX "mentor_suppressions_coordinator_idx" ON "mentor_suppressions" ("coordinator_id", "suppressed_at" DESC, "id" DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mentor_suppressions"`);
  }
}
