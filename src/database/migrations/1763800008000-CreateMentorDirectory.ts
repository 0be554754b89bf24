import { MigrationInterface, QueryRunner } from 'typeorm';

/** The view as this migration made it, which AddPauseReasonCodesAndResumeAt's down() restores. */
export const MENTOR_DIRECTORY_AS_CREATED = `
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
  LEFT JOIN mentor_suppressions suppression ON suppression.mentor_id = m.mentor_id AND suppression.is_active`;

/**
 * The mentor directory: each mentor profile with its current status (mentor_current_statuses) and
 * its active suppression, and the one definition of "eligible for assignment": current status
 * `active` and no active suppression. The chapter views, the certification sweep and the
 * eligibility of change events all read it, so none of them composes the three tables itself.
 * Its definition today: schema/mentor-directory.sql.
 */
export class CreateMentorDirectory1763800008000 implements MigrationInterface {
  name = 'CreateMentorDirectory1763800008000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(MENTOR_DIRECTORY_AS_CREATED);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW "mentor_directory"`);
  }
}
