import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/common/config/app-config.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { runMigrations } from '../src/database/migrate.js';

/** The shape of a generated dataset; every id in it can be computed from these numbers. */
export interface DatasetShape {
  mentors: number;
  chapters: number;
  records: number;
}

// Histories run from here, spread over three years, so every record lies in the past.
const HISTORY_START = '2022-01-01T00:00:00Z';
const HISTORY_SPAN_SECONDS = 3 * 365 * 24 * 3600;

export const mentorId = (index: number) => `mntr_${String(index).padStart(7, '0')}`;
export const chapterId = (index: number) => `chpt_${String(index).padStart(4, '0')}`;
/** `msr_` and 26 upper-case hex digits: unique, and inside the ULID alphabet the API checks. */
export const recordId = (index: number) => `msr_${index.toString(16).toUpperCase().padStart(26, '0')}`;
export const coordinatorId = (index: number) => `coord_${String(index).padStart(3, '0')}`;
export const COORDINATORS = 50;

/**
 * Mentors `i` with `i % 20` in {0, 3} have an active suppression, in {10, 13} a restored one:
 * a tenth each, half of them on mentors whose current status is active. Coordinator
 * `(i / 20) % 50` made them, so each coordinator has the same share.
 */
export const suppressedMentorIndexes = (shape: DatasetShape) =>
  Array.from({ length: shape.mentors }, (_, index) => index).filter((index) => [0, 3, 10, 13].includes(index % 20));

/** The change feed holds the events of the latest tenth of the records. */
export const feedEvents = (shape: DatasetShape) => Math.ceil(shape.records / 10);

/** Builds the schema with the app's migrations, then fills it with set-based SQL. Returns the seconds spent loading. */
export async function loadDataset(url: string, shape: DatasetShape): Promise<number> {
  const dataSource = new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: url, DB_POOL_SIZE: '2' })));
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }

  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET synchronous_commit = off; SET maintenance_work_mem = '256MB'`);
    const { mentors, chapters, records } = shape;
    const recordsPerMentor = Math.ceil(records / mentors);
    const stepSeconds = Math.floor(HISTORY_SPAN_SECONDS / recordsPerMentor);

    // Chapters are blocks of consecutive mentors, so each holds both parities (see the statuses below).
    await client.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id, created_at, updated_at)
       SELECT 'mntr_' || lpad(i::text, 7, '0'),
              (ARRAY['Sarah','Amara','James','Li','Fatima','Noah','Priya','Mateo','Yuki','Olu','Ines','Tomas','Zara','Kofi','Elena','Ravi'])[i % 16 + 1]
                || ' ' ||
              (ARRAY['Chen','Diallo','Okafor','Silva','Haddad','Novak','Kim','Rossi','Mensah','Patel','Garcia','Ivanova','Sato','Dubois','Nair','Berg','Costa'])[(i / 16) % 17 + 1],
              'chpt_' || lpad((i::bigint * $2 / $1)::text, 4, '0'),
              timestamptz '${HISTORY_START}', timestamptz '${HISTORY_START}'
       FROM generate_series(0, $1 - 1) AS i`,
      [mentors, chapters],
    );

    // Record n belongs to mentor n % mentors and is that mentor's (n / mentors)-th change. Statuses
    // alternate along each history, starting on a different foot for odd and even mentors.
    await client.query(
      `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by, created_at, updated_at)
       SELECT 'msr_' || upper(lpad(to_hex(n), 26, '0')),
              'mntr_' || lpad(i::text, 7, '0'),
              CASE WHEN paused THEN 'paused' ELSE 'active' END,
              CASE WHEN paused THEN (ARRAY['Personal leave','Certification expired','Parental leave','Sabbatical'])[n % 4 + 1]
                   WHEN n % 3 = 0 THEN 'Back from leave' END,
              at,
              CASE WHEN paused AND n % 4 = 1 THEN 'system_auto_pause' ELSE 'user_coord_' || lpad((i % 100)::text, 2, '0') END,
              at, at
       FROM generate_series(0::bigint, $1 - 1) AS n,
            LATERAL (SELECT n % $2 AS i, n / $2 AS k) position,
            LATERAL (SELECT (i + k) % 2 = 1 AS paused,
                            timestamptz '${HISTORY_START}' + make_interval(secs => k * $3 + i % 86400) AS at) fields`,
      [records, mentors, stepSeconds],
    );

    await client.query(
      `INSERT INTO mentor_suppressions (mentor_id, coordinator_id, reason, restore_reason, suppressed_at, restored_at, is_active, created_at, updated_at)
       SELECT 'mntr_' || lpad(i::text, 7, '0'),
              'coord_' || lpad(((i / 20) % ${COORDINATORS})::text, 3, '0'),
              CASE WHEN i % 3 = 0 THEN 'conduct_review' ELSE 'certification_expired' END,
              CASE WHEN restored THEN 'certification_renewed' END,
              at,
              CASE WHEN restored THEN at + interval '30 days' END,
              NOT restored,
              at, at
       FROM generate_series(0, $1 - 1) AS i,
            LATERAL (SELECT i % 20 >= 10 AS restored, timestamptz '2025-01-01T00:00:00Z' + make_interval(secs => i) AS at) fields
       WHERE i % 20 IN (0, 3, 10, 13)`,
      [mentors],
    );
    // The events of the latest records, as their POSTs would have written them.
    await client.query(
      `INSERT INTO event_outbox (id, type, subject, time, data)
       SELECT gen_random_uuid(), 'mentor.status.changed', r.mentor_id, r.changed_at,
              json_build_object(
                'mentor_status_id', r.id, 'mentor_id', r.mentor_id, 'status', r.status, 'reason', r.reason, 'changed_by', r.changed_by,
                'changed_at', to_char(r.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'created_at', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'previous_status', CASE WHEN r.status = 'paused' THEN 'active' ELSE 'paused' END)
       FROM mentor_status_records r WHERE r.id >= $1 ORDER BY r.id`,
      [recordId(records - feedEvents(shape))],
    );
    // A live table has been vacuumed and analysed by autovacuum long since; a fresh load has not.
    await client.query('VACUUM ANALYZE mentors, mentor_status_records, mentor_suppressions, event_outbox');
    await untilAllVisible(client);
  } finally {
    await client.end();
  }
  return (performance.now() - started) / 1000;
}

/**
 * VACUUM marks pages all-visible (which index-only scans, such as the per-mentor counts, rely on)
 * only if no other session might still need to see them as they were; on a shared server a
 * concurrent transaction elsewhere can prevent that. Vacuum again until it has worked.
 */
async function untilAllVisible(client: pg.Client): Promise<void> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const { rows } = await client.query<{ relname: string }>(
      `SELECT relname FROM pg_class
       WHERE relname IN ('mentors', 'mentor_status_records', 'mentor_suppressions', 'event_outbox') AND relallvisible < relpages * 0.99`,
    );
    if (rows.length === 0) return;
    await sleep(1000);
    await client.query(`VACUUM ${rows.map((row) => row.relname).join(', ')}`);
  }
  console.warn('the loaded tables are still not all-visible after 30 VACUUMs: index-only scans will read the heap');
}
