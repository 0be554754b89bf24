import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each mentor's current status record (the latest live one by `changed_at`, then id) in a table
 * of its own, one row per mentor, kept exact by statement triggers in the writing transaction:
 * the chapter views then look a mentor's status up by key, however long the history is.
 *
 * An insert can only move a mentor's current record forward, so it is upserted from the inserted
 * rows with no further read. An update or delete may move it back: the affected mentors' rows are
 * locked first, which queues the trigger behind any concurrent writer of the same mentors (whose
 * commits the next statement then sees), and recomputed from the history index.
 */
export class TrackCurrentStatuses1763800006000 implements MigrationInterface {
  name = 'TrackCurrentStatuses1763800006000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "mentor_current_statuses" (
        "mentor_id" varchar(64) NOT NULL,
        "record_id" varchar(30) NOT NULL,
        "status" varchar(16) NOT NULL,
        "reason" varchar(500),
        "changed_at" timestamptz NOT NULL,
        "changed_by" varchar(64) NOT NULL,
        CONSTRAINT "mentor_current_statuses_pkey" PRIMARY KEY ("mentor_id")
      )`);
    const copyOnConflict = `ON CONFLICT (mentor_id) DO UPDATE SET record_id = EXCLUDED.record_id, status = EXCLUDED.status,
      reason = EXCLUDED.reason, changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by`;
    // Transition tables exist only for the event that fired, hence one branch per event.
    const recompute = (affected: string) => `
      affected := ARRAY(${affected} ORDER BY 1);
      PERFORM 1 FROM mentor_current_statuses WHERE mentor_id = ANY(affected) ORDER BY mentor_id FOR UPDATE;
      DELETE FROM mentor_current_statuses current
      WHERE current.mentor_id = ANY(affected)
        AND NOT EXISTS (SELECT 1 FROM mentor_status_records r WHERE r.mentor_id = current.mentor_id AND r.deleted_at IS NULL);
      INSERT INTO mentor_current_statuses (mentor_id, record_id, status, reason, changed_at, changed_by)
      SELECT latest.mentor_id, latest.id, latest.status, latest.reason, latest.changed_at, latest.changed_by
      FROM unnest(affected) AS given(mentor_id)
      CROSS JOIN LATERAL (
        SELECT r.mentor_id, r.id, r.status, r.reason, r.changed_at, r.changed_by FROM mentor_status_records r
        WHERE r.mentor_id = given.mentor_id AND r.deleted_at IS NULL
        ORDER BY r.changed_at DESC, r.id DESC
        LIMIT 1
      ) latest
      ${copyOnConflict};`;
    await queryRunner.query(`
      CREATE FUNCTION "mentor_status_records_track_current"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        affected varchar[];
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO mentor_current_statuses (mentor_id, record_id, status, reason, changed_at, changed_by)
          SELECT DISTINCT ON (mentor_id) mentor_id, id, status, reason, changed_at, changed_by FROM new_rows
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
      END $$`);
    // No write may slip in between copying the current records already there and the triggers taking over.
    await queryRunner.query(`LOCK TABLE "mentor_status_records" IN SHARE ROW EXCLUSIVE MODE`);
    await queryRunner.query(`
      INSERT INTO "mentor_current_statuses" ("mentor_id", "record_id", "status", "reason", "changed_at", "changed_by")
      SELECT DISTINCT ON ("mentor_id") "mentor_id", "id", "status", "reason", "changed_at", "changed_by" FROM "mentor_status_records"
      WHERE "deleted_at" IS NULL
      ORDER BY "mentor_id", "changed_at" DESC, "id" DESC`);
    await queryRunner.query(`
      CREATE TRIGGER "mentor_status_records_current_inserts" AFTER INSERT ON "mentor_status_records"
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "mentor_status_records_track_current"()`);
    await queryRunner.query(`
      CREATE TRIGGER "mentor_status_records_current_updates" AFTER UPDATE ON "mentor_status_records"
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "mentor_status_records_track_current"()`);
    await queryRunner.query(`
      CREATE TRIGGER "mentor_status_records_current_deletes" AFTER DELETE ON "mentor_status_records"
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "mentor_status_records_track_current"()`);
    await queryRunner.query(`
      CREATE TRIGGER "mentor_status_records_current_truncates" AFTER TRUNCATE ON "mentor_status_records"
      FOR EACH STATEMENT EXECUTE FUNCTION "mentor_status_records_track_current"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const event of ['inserts', 'updates', 'deletes', 'truncates']) {
      await queryRunner.query(`DROP TRIGGER "mentor_status_records_current_${event}" ON "mentor_status_records"`);
    }
    await queryRunner.query(`DROP FUNCTION "mentor_status_records_track_current"()`);
    await queryRunner.query(`DROP TABLE "mentor_current_statuses"`);
  }
}
