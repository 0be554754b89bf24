import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two functions that every write to a mentor calls, at its start and at its end, so that their
 * statements are planned once per database connection instead of once per write. (The app's other
 * statements are planned every time: named prepared statements do not survive PgBouncer's
 * transaction pooling, while a PL/pgSQL function's plans live in the backend that runs it.)
 *
 * - `lock_mentor_histories(ids)`: takes the per-mentor history locks, in the order given (sorted
 *   by the caller, so that two writers of overlapping sets cannot deadlock), then reads the
 *   mentors' eligibility from `mentor_directory`. A volatile function takes a new snapshot for
 *   each statement, so the read sees the write of a transaction the lock waited for.
 * - `record_mentor_events(…)`: inserts a write's events in the order given, then reads the
 *   mentors' eligibility again and inserts a `mentor.eligibility.changed` after them for each mentor
 *   whose eligibility flipped, or who moved chapter while eligible before or after, caused by the
 *   mentor's last event of the write. A mentor without a profile counts as not eligible; one who
 *   has none after the write gets no such event.
 */
export class MentorChangeFunctions1763800040000 implements MigrationInterface {
  name = 'MentorChangeFunctions1763800040000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "lock_mentor_histories"(mentor_ids varchar[])
      RETURNS TABLE (mentor_id varchar, chapter_id varchar, is_eligible_for_assignment boolean)
      LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended('mentor-status:' || given.id, 0))
        FROM unnest(mentor_ids) WITH ORDINALITY AS given(id, n) ORDER BY given.n;
        RETURN QUERY SELECT d.mentor_id, d.chapter_id, d.is_eligible_for_assignment FROM mentor_directory d WHERE d.mentor_id = ANY(mentor_ids);
      END $$`);
    await queryRunner.query(`
      CREATE FUNCTION "record_mentor_events"(
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
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION "record_mentor_events"(uuid[], varchar[], varchar[], json[], varchar, varchar[], varchar[], boolean[])`);
    await queryRunner.query(`DROP FUNCTION "lock_mentor_histories"(varchar[])`);
  }
}
