-- The two functions every write to a mentor calls, at its start and at its end. As functions,
-- their statements are planned once per database connection instead of once per write: named
-- prepared statements do not survive a transaction pooler (PgBouncer), while a PL/pgSQL function's
-- plans live in the backend that runs it.
--
-- What the database runs today. To change it, follow the rule in src/database/schema/schema-files.ts.

-- Takes the per-mentor history locks in the order given (the caller sorts the ids, so that two
-- writers of overlapping sets cannot deadlock), then reads the mentors' eligibility from
-- mentor_directory: one row per mentor with a profile. VOLATILE, so that the read takes a snapshot
-- of its own after the locks are held and sees the write of a transaction the lock waited for.
CREATE OR REPLACE FUNCTION lock_mentor_histories(mentor_ids varchar[])
RETURNS TABLE (mentor_id varchar, chapter_id varchar, is_eligible_for_assignment boolean)
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('mentor-status:' || given.id, 0))
  FROM unnest(mentor_ids) WITH ORDINALITY AS given(id, n) ORDER BY given.n;
  RETURN QUERY SELECT d.mentor_id, d.chapter_id, d.is_eligible_for_assignment FROM mentor_directory d WHERE d.mentor_id = ANY(mentor_ids);
END
$$;

-- Inserts a write's events into the outbox in the order given, then reads the mentors' eligibility
-- again and, after them, inserts a mentor.eligibility.changed for each mentor whose eligibility
-- flipped, or who moved chapter while eligible before or after; it is caused by the mentor's last
-- event of the write. `before_*` is what lock_mentor_histories read at the write's start. A mentor
-- without a profile counts as not eligible; one who has none after the write gets no such event.
-- The event's data is typed for the API by MentorEligibilityChangedDataDto (a test holds the two together).
CREATE OR REPLACE FUNCTION record_mentor_events(
  event_ids uuid[], event_types varchar[], event_subjects varchar[], event_data json[], writer_traceparent varchar,
  before_mentor_ids varchar[], before_chapter_ids varchar[], before_eligible boolean[]
) RETURNS void
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  INSERT INTO event_outbox (id, type, subject, time, data, traceparent)
  SELECT event.id, event.type, event.subject, date_trunc('milliseconds', clock_timestamp()), event.data, writer_traceparent
  FROM (
    SELECT given.id, given.type, given.subject, given.data, false AS flip, given.n
    FROM unnest(event_ids, event_types, event_subjects, event_data) WITH ORDINALITY AS given(id, type, subject, data, n)
    UNION ALL
    SELECT gen_random_uuid(), 'mentor.eligibility.changed', changed.mentor_id,
           json_build_object(
             'mentor_id', changed.mentor_id,
             'chapter_id', current.chapter_id,
             'is_eligible_for_assignment', current.is_eligible_for_assignment,
             'previous_chapter_id', CASE WHEN was.chapter_id <> current.chapter_id THEN was.chapter_id END,
             'caused_by', changed.cause),
           true, changed.first
    FROM (
      SELECT given.subject AS mentor_id, min(given.n) AS first, (array_agg(given.id ORDER BY given.n DESC))[1] AS cause
      FROM unnest(event_ids, event_subjects) WITH ORDINALITY AS given(id, subject, n)
      GROUP BY given.subject
    ) changed
    JOIN mentor_directory current ON current.mentor_id = changed.mentor_id
    LEFT JOIN unnest(before_mentor_ids, before_chapter_ids, before_eligible) AS was(mentor_id, chapter_id, eligible)
      ON was.mentor_id = changed.mentor_id
    WHERE coalesce(was.eligible, false) <> current.is_eligible_for_assignment
       OR (was.chapter_id <> current.chapter_id AND (was.eligible OR current.is_eligible_for_assignment))
  ) event
  ORDER BY event.flip, event.n;
END
$$;
