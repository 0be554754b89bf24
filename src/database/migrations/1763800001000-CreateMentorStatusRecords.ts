import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateMentorStatusRecords1763800001000 implements MigrationInterface {
  name = 'CreateMentorStatusRecords1763800001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "mentor_status_records" (
        "id" varchar(30) NOT NULL,
        "mentor_id" varchar(64) NOT NULL,
        "status" varchar(16) NOT NULL,
        "reason" varchar(500),
        "changed_at" timestamptz NOT NULL,
        "changed_by" varchar(64) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "deleted_at" timestamptz,
        CONSTRAINT "mentor_status_records_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "mentor_status_records_mentor_id_fkey" FOREIGN KEY ("mentor_id") REFERENCES "mentors" ("mentor_id"),
        CONSTRAINT "mentor_status_records_status_check" CHECK ("status" IN ('active', 'paused')),
        CONSTRAINT "mentor_status_records_paused_reason_check" CHECK ("status" <> 'paused' OR "reason" IS NOT NULL)
      )`);
    // Two live records of one mentor never share an instant, so "latest" is always one record.
    await queryRunner.query(
      `CREATE UNIQUE INDEX "mentor_status_records_mentor_instant_key" ON "mentor_status_records" ("mentor_id", "changed_at") WHERE "deleted_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "mentor_status_records_mentor_history_idx" ON "mentor_status_records" ("mentor_id", "changed_at" DESC, "id" DESC) WHERE "deleted_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "mentor_status_records_changed_idx" ON "mentor_status_records" ("changed_at" DESC, "id" DESC) WHERE "deleted_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "mentor_status_records_changed_by_idx" ON "mentor_status_records" ("changed_by", "changed_at" DESC, "id" DESC) WHERE "deleted_at" IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mentor_status_records"`);
  }
}
