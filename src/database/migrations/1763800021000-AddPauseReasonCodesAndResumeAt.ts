import { MigrationInterface, QueryRunner } from 'typeorm';
import { applySchemaFile } from '../schema/schema-files.js';
import { MENTOR_DIRECTORY_AS_CREATED } from './1763800008000-CreateMentorDirectory.js';

/** The columns of a status record that mentor_current_statuses copied before this migration. */
const COPIED_BEFORE = ['status', 'reason', 'changed_at', 'changed_by'];

/** The trigger function of TrackCurrentStatuses, copying `columns`: what down() restores. */
function trackCurrent(columns: string[]): string {
  const list = columns.join(', ');
  const copyOnConflict = `ON CONFLICT (mentor_id) DO UPDATE SET record_id = EXCLUDED.record_id, ${columns.map((column) => `${column} = EXCLUDED.${column}`).join(', ')}`;
  const recompute = (affected: string) => `
      affected := ARRAY(${affected} ORDER BY 1);
      PERFORM 1 FROM mentor_current_statuses WHERE mentor_id = ANY(affected) ORDER BY mentor_id FOR UPDATE;
      DELETE FROM mentor_current_statuses current
      WHERE current.mentor_id = ANY(affected)
        AND NOT EXISTS (SELECT 1 FROM mentor_status_records r WHERE r.mentor_id = current.mentor_id AND r.deleted_at IS NULL);
      INSERT INTO mentor_current_statuses (mentor_id, record_id, ${list})
      SELECT latest.mentor_id, latest.id, ${columns.map((column) => `latest.${column}`).join(', ')}
      FROM unnest(affected) AS given(mentor_id)
      CROSS JOIN LATERAL (
        SELECT r.mentor_id, r.id, ${columns.map((column) => `r.${column}`).join(', ')} FROM mentor_status_records r
        WHERE r.mentor_id = given.mentor_id AND r.deleted_at IS NULL
        ORDER BY r.changed_at DESC, r.id DESC
        LIMIT 1
      ) latest
      ${copyOnConflict};`;
  return `
    CREATE OR REPLACE FUNCTION "mentor_status_records_track_current"() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      affected varchar[];
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO mentor_current_statuses (mentor_id, record_id, ${list})
        SELECT DISTINCT ON (mentor_id) mentor_id, id, ${list} FROM new_rows
        WHERE deleted_at IS NULL
        ORDER BY mentor_id, changed_at DESC, id DESC
        ${copyOnConflict}
        WHERE (mentor_current_statuses.changed_at, mentor_current_statuses.record_id) < (EXCLUDED.changed_at, EXCLUDED.record_id);
      ELSIF TG_OP = 'DELETE' THEN
        ${recompute('SELECT DISTINCT mentor_id FROM old_rows')}
      ELSIF TG_OP = 'UPDATE' THEN
        ${recompute('SELECT mentor_id FROM old_rows UNION SELECT mentor_id FROM new_rows')}
      ELSE
        DELETE FROM mentor_current_statuses;
      END IF;
      RETURN NULL;
    END $$`;
}

/**
 * Pauses get an optional registered `reason_code` and an optional `resume_at`, when the resume
 * sweep ends them. Both exist on pauses only. A foreign key holds the code to the registry's codes
 * that apply to pauses: PostgreSQL's foreign keys cannot name a constant, so each record carries
 * the constant `true` that (code, applies_to_pauses) must match. Changing a code in use so that it
 * no longer applies to pauses is refused by the same key.
 *
 * mentor_current_statuses copies both (schema/current-statuses.sql), so that the directory
 * (schema/mentor-directory.sql: chapter views, summary) shows them and the resume sweep finds the
 * pauses that are due by an index holding only current pauses with an end: a pause leaves it as
 * soon as it is no longer current.
 */
export class AddPauseReasonCodesAndResumeAt1763800021000 implements MigrationInterface {
  name = 'AddPauseReasonCodesAndResumeAt1763800021000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE "mentor_status_records"
        ADD COLUMN "reason_code" varchar(64),
        ADD COLUMN "reason_code_applies_to_pauses" boolean NOT NULL DEFAULT true,
        ADD COLUMN "resume_at" timestamptz,
        ADD CONSTRAINT "mentor_status_records_reason_code_applies_to_pauses_check" CHECK ("reason_code_applies_to_pauses"),
        ADD CONSTRAINT "mentor_status_records_paused_reason_code_check" CHECK ("status" = 'paused' OR "reason_code" IS NULL),
        ADD CONSTRAINT "mentor_status_records_paused_resume_at_check" CHECK ("status" = 'paused' OR "resume_at" IS NULL),
        ADD CONSTRAINT "mentor_status_records_reason_code_fkey" FOREIGN KEY ("reason_code", "reason_code_applies_to_pauses")
          REFERENCES "reason_codes" ("code", "applies_to_pauses")`);
    // The audit log's reason_code filter, in the list's order, as IndexEveryListFilter has it for the others.
    await queryRunner.query(
      `CREATE INDEX "mentor_status_records_reason_code_idx" ON "mentor_status_records" ("reason_code", "changed_at" DESC, "id" DESC)
       WHERE "deleted_at" IS NULL AND "reason_code" IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "mentor_current_statuses" ADD COLUMN "reason_code" varchar(64), ADD COLUMN "resume_at" timestamptz`);
    await queryRunner.query(
      `CREATE INDEX "mentor_current_statuses_resume_at_idx" ON "mentor_current_statuses" ("resume_at", "mentor_id") WHERE "resume_at" IS NOT NULL`,
    );
    await applySchemaFile(queryRunner, 'current-statuses', '4231f961183dd787');
    await applySchemaFile(queryRunner, 'mentor-directory', '5582a0c00216f042');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // CREATE OR REPLACE VIEW cannot take the two columns away again.
    await queryRunner.query(`DROP VIEW "mentor_directory"`);
    await queryRunner.query(MENTOR_DIRECTORY_AS_CREATED);
    await queryRunner.query(trackCurrent(COPIED_BEFORE));
    await queryRunner.query(`DROP INDEX "mentor_current_statuses_resume_at_idx"`);
    await queryRunner.query(`ALTER TABLE "mentor_current_statuses" DROP COLUMN "resume_at", DROP COLUMN "reason_code"`);
    await queryRunner.query(`DROP INDEX "mentor_status_records_reason_code_idx"`);
    await queryRunner.query(`
      ALTER TABLE "mentor_status_records"
        DROP CONSTRAINT "mentor_status_records_reason_code_fkey",
        DROP CONSTRAINT "mentor_status_records_paused_resume_at_check",
        DROP CONSTRAINT "mentor_status_records_paused_reason_code_check",
        DROP CONSTRAINT "mentor_status_records_reason_code_applies_to_pauses_check",
        DROP COLUMN "resume_at",
        DROP COLUMN "reason_code_applies_to_pauses",
        DROP COLUMN "reason_code"`);
  }
}
