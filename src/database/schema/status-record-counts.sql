-- The number of live (not soft-deleted) status records per status, kept exact in
-- mentor_status_record_counts by statement triggers in the writing transaction, so that the
-- unfiltered audit log answers its `total` without counting a table that only grows.
--
-- Each connection adds to a slot of its own (backend pid modulo the 16 slots): concurrent writers
-- do not queue on one hot row, and a transaction only ever locks its own slot. Readers sum the slots.
--
-- What the database runs today. To change it, follow the rule in src/database/schema/schema-files.ts.

-- Adds a statement's change per status to the writer's slot; TRUNCATE empties the counts.
-- Transition tables exist only for the event that fired, hence one branch per event.
CREATE OR REPLACE FUNCTION mentor_status_records_count_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO mentor_status_record_counts (status, slot, live)
    SELECT status, pg_backend_pid() % 16, sum(change) FROM (SELECT status, 1 AS change FROM new_rows WHERE deleted_at IS NULL) changes
    GROUP BY status ORDER BY status
    ON CONFLICT (status, slot) DO UPDATE SET live = mentor_status_record_counts.live + EXCLUDED.live;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO mentor_status_record_counts (status, slot, live)
    SELECT status, pg_backend_pid() % 16, sum(change) FROM (SELECT status, -1 AS change FROM old_rows WHERE deleted_at IS NULL) changes
    GROUP BY status ORDER BY status
    ON CONFLICT (status, slot) DO UPDATE SET live = mentor_status_record_counts.live + EXCLUDED.live;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO mentor_status_record_counts (status, slot, live)
    SELECT status, pg_backend_pid() % 16, sum(change) FROM (SELECT status, 1 AS change FROM new_rows WHERE deleted_at IS NULL
                                                             UNION ALL SELECT status, -1 FROM old_rows WHERE deleted_at IS NULL) changes
    GROUP BY status HAVING sum(change) <> 0 ORDER BY status
    ON CONFLICT (status, slot) DO UPDATE SET live = mentor_status_record_counts.live + EXCLUDED.live;
  ELSE
    DELETE FROM mentor_status_record_counts;
  END IF;
  RETURN NULL;
END
$$;

-- One trigger per event, each with the transition tables its event has.
CREATE OR REPLACE TRIGGER mentor_status_records_count_inserts AFTER INSERT ON mentor_status_records
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mentor_status_records_count_changes();
CREATE OR REPLACE TRIGGER mentor_status_records_count_updates AFTER UPDATE ON mentor_status_records
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mentor_status_records_count_changes();
CREATE OR REPLACE TRIGGER mentor_status_records_count_deletes AFTER DELETE ON mentor_status_records
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION mentor_status_records_count_changes();
CREATE OR REPLACE TRIGGER mentor_status_records_count_truncates AFTER TRUNCATE ON mentor_status_records
  FOR EACH STATEMENT EXECUTE FUNCTION mentor_status_records_count_changes();
