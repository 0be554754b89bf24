-- Each mentor's current status record (the latest live one by changed_at, then id) in
-- mentor_current_statuses, one row per mentor, kept exact by statement triggers in the writing
-- transaction: the chapter views and the mentor directory then look a mentor's status up by key,
-- however long the history is.
--
-- What the database runs today. To change it, follow the rule in src/database/schema/schema-files.ts.

-- An insert can only move a mentor's current record forward, so it is upserted from the inserted
-- rows with no further read. An update or delete may move it back: the affected mentors' rows are
-- locked first, which queues the trigger behind any concurrent writer of the same mentors (whose
-- commit the next statement then sees), and recomputed from the history index. Transition tables
-- exist only for the event that fired, hence one branch per event; TRUNCATE empties the table.
CREATE OR REPLACE FUNCTION mentor_status_records_track_current() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  affected varchar[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO mentor_current_statuses (mentor_id, record_id, status, reason, changed_at, changed_by, reason_code, resume_at)
    SELECT DISTINCT ON (mentor_id) mentor_id, id, status, reason, changed_at, changed_by, reason_code, resume_at FROM new_rows
    WHERE deleted_at IS NULL
    ORDER BY mentor_id, changed_at DESC, id DESC
    ON CONFLICT (mentor_id) DO UPDATE SET record_id = EXCLUDED.record_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
      changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by, reason_code = EXCLUDED.reason_code, resume_at = EXCLUDED.resume_at
    WHERE (mentor_current_statuses.changed_at, mentor_current_statuses.record_id) < (EXCLUDED.changed_at, EXCLUDED.record_id);
  ELSIF TG_OP = 'DELETE' THEN
    affected := ARRAY(SELECT DISTINCT mentor_id FROM old_rows ORDER BY 1);
    PERFORM 1 FROM mentor_current_statuses WHERE mentor_id = ANY(affected) ORDER BY mentor_id FOR UPDATE;
    DELETE FROM mentor_current_statuses current
    WHERE current.mentor_id = ANY(affected)
      AND NOT EXISTS (SELECT 1 FROM mentor_status_records r WHERE r.mentor_id = current.mentor_id AND r.deleted_at IS NULL);
    INSERT INTO mentor_current_statuses (mentor_id, record_id, status, reason, changed_at, changed_by, reason_code, resume_at)
    SELECT latest.mentor_id, latest.id, latest.status, latest.reason, latest.changed_at, latest.changed_by, latest.reason_code, latest.resume_at
    FROM unnest(affected) AS given(mentor_id)
    CROSS JOIN LATERAL (
      SELECT r.mentor_id, r.id, r.status, r.reason, r.changed_at, r.changed_by, r.reason_code, r.resume_at FROM mentor_status_records r
      WHERE r.mentor_id = given.mentor_id AND r.deleted_at IS NULL
      ORDER BY r.changed_at DESC, r.id DESC
      LIMIT 1
    ) latest
    ON CONFLICT (mentor_id) DO UPDATE SET record_id = EXCLUDED.record_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
      changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by, reason_code = EXCLUDED.reason_code, resume_at = EXCLUDED.resume_at;
  ELSIF TG_OP = 'UPDATE' THEN
    affected := ARRAY(SELECT mentor_id FROM old_rows UNION SELECT mentor_id FROM new_rows ORDER BY 1);
    PERFORM 1 FROM mentor_current_statuses WHERE mentor_id = ANY(affected) ORDER BY mentor_id FOR UPDATE;
    DELETE FROM mentor_current_statuses current
    WHERE current.mentor_id = ANY(affected)
      AND NOT EXISTS (SELECT 1 FROM mentor_status_records r WHERE r.mentor_id = current.mentor_id AND r.deleted_at IS NULL);
    INSERT INTO mentor_current_statuses (mentor_id, record_id, status, reason, changed_at, changed_by, reason_code, resume_at)
    SELECT latest.mentor_id, latest.id, latest.status, latest.reason, latest.changed_at, latest.changed_by, latest.reason_code, latest.resume_at
    FROM unnest(affected) AS given(mentor_id)
    CROSS JOIN LATERAL (
      SELECT r.mentor_id, r.id, r.status, r.reason, r.changed_at, r.changed_by, r.reason_code, r.resume_at FROM mentor_status_records r
      WHERE r.mentor_id = given.mentor_id AND r.deleted_at IS NULL
      ORDER BY r.changed_at DESC, r.id DESC
      LIMIT 1
    ) latest
    ON CONFLICT (mentor_id) DO UPDATE SET record_id = EXCLUDED.record_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
      changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by, reason_code = EXCLUDED.reason_code, resume_at = EXCLUDED.resume_at;
  ELSE
    DELETE FROM mentor_current_statuses;
  END IF;
  RETURN NULL;
END
$$;

-- One trigger per event, each with the transition tables its event has.
CREATE OR REPLACE TRIGGER mentor_status_records_current_inserts AFTER INSERT ON mentor_status_records
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mentor_status_records_track_current();
CREATE OR REPLACE TRIGGER mentor_status_records_current_updates AFTER UPDATE ON mentor_status_records
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mentor_status_records_track_current();
CREATE OR REPLACE TRIGGER mentor_status_records_current_deletes AFTER DELETE ON mentor_status_records
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mentor_status_records_track_current();
CREATE OR REPLACE TRIGGER mentor_status_records_current_truncates AFTER TRUNCATE ON mentor_status_records
  FOR EACH STATEMENT EXECUTE FUNCTION mentor_status_records_track_current();
