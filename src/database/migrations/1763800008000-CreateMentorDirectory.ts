import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The mentor directory: each mentor profile with its current status (kept per mentor by the
 * TrackCurrentStatuses triggers) and its active suppression, and the one definition of "eligible for
 * assignment": current status `active` and no active suppression. The chapter views, the
 * certification sweep and the eligibility of change events all read it, so none of them composes
 * the three tables itself.
 *
 * The current status is a LATERAL key lookup per mentor: as a plain join, the planner would rather
 * hash every mentor's status to answer one chapter. A mentor has at most one active suppression
 * (mentor_suppressions_one_active_idx), so that join never repeats a mentor.
 */
export class CreateMentorDirectory1763800008000 implements MigrationInterface {
  name = 'CreateMentorDirectory1763800008000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE VIEW "mentor_directory" AS
      SELECT m.mentor_id, m.full_name, m.chapter_id, m.certification_expires_at,
             current.record_id AS status_record_id, current.status, current.reason AS status_reason,
             current.changed_at AS status_changed_at, current.changed_by AS status_changed_by,
             suppression.id AS active_suppression_id, suppression.coordinator_id AS active_suppression_coordinator_id,
             suppression.reason AS active_suppression_reason,
             (coalesce(current.status = 'active', false) AND suppression.id IS NULL) AS is_eligible_for_assignment
      FROM mentors m
      LEFT JOIN LATERAL (
        SELECT cs.record_id, cs.status, cs.reason, cs.changed_at, cs.changed_by FROM mentor_current_statuses cs
        WHERE cs.mentor_id = m.mentor_id
        LIMIT 1
      ) current ON true
      LEFT JOIN mentor_suppressions suppression ON suppression.mentor_id = m.mentor_id AND suppression.is_active`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW "mentor_directory"`);
  }
}
