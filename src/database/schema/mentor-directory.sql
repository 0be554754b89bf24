-- The mentor directory: each mentor profile with its current status (mentor_current_statuses, kept
-- by schema/current-statuses.sql) and its active suppression. It exists so that no reader composes
-- the three tables itself: the chapter views and summary, the certification sweep and the
-- eligibility of change events (lock_mentor_histories and record_mentor_events) all read it.
--
-- This is where "eligible for assignment" is decided, and nowhere else: current status `active`
-- and no active suppression. A mentor without any live status record is not eligible.
--
-- What the database runs today. To change it, follow the rule in src/database/schema/schema-files.ts.
-- CREATE OR REPLACE VIEW can only add columns at the end: a migration (up or down) that takes a
-- column away, renames, retypes or moves one drops the view before it creates it again.

-- The current status is a LATERAL key lookup per mentor: as a plain join, the planner would rather
-- hash every mentor's status to answer one chapter. A mentor has at most one active suppression
-- (mentor_suppressions_one_active_idx), so that join never repeats a mentor.
CREATE OR REPLACE VIEW mentor_directory AS
SELECT m.mentor_id, m.full_name, m.chapter_id, m.certification_expires_at,
       current.record_id AS status_record_id, current.status, current.reason AS status_reason,
       current.changed_at AS status_changed_at, current.changed_by AS status_changed_by,
       suppression.id AS active_suppression_id, suppression.coordinator_id AS active_suppression_coordinator_id,
       suppression.reason AS active_suppression_reason,
       (coalesce(current.status = 'active', false) AND suppression.id IS NULL) AS is_eligible_for_assignment,
       current.reason_code AS status_reason_code, current.resume_at AS status_resume_at
FROM mentors m
LEFT JOIN LATERAL (
  SELECT cs.record_id, cs.status, cs.reason, cs.changed_at, cs.changed_by, cs.reason_code, cs.resume_at
  FROM mentor_current_statuses cs
  WHERE cs.mentor_id = m.mentor_id
  LIMIT 1
) current ON true
LEFT JOIN mentor_suppressions suppression ON suppression.mentor_id = m.mentor_id AND suppression.is_active;
