import pg from 'pg';
import type { DatasetShape } from './dataset.js';

/**
 * Row-level versions of the two statement-level triggers on mentor_status_records (defined in
 * src/database/schema/status-record-counts.sql and current-statuses.sql), as a distributed engine
 * without transition tables would need them (Citus allows only row-level triggers on distributed
 * tables). For the benchmark only (`--triggers`), never a migration: applied to a scratch copy of
 * the dataset, whose derived tables are already exact, so only the way they are kept changes.
 * TRUNCATE keeps its statement-level triggers, which use no transition table.
 */
const ROW_LEVEL_TRIGGERS = `
DROP TRIGGER mentor_status_records_count_inserts ON mentor_status_records;
DROP TRIGGER mentor_status_records_count_updates ON mentor_status_records;
DROP TRIGGER mentor_status_records_count_deletes ON mentor_status_records;
DROP TRIGGER mentor_status_records_current_inserts ON mentor_status_records;
DROP TRIGGER mentor_status_records_current_updates ON mentor_status_records;
DROP TRIGGER mentor_status_records_current_deletes ON mentor_status_records;

CREATE FUNCTION mentor_status_records_count_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND (OLD.deleted_at IS NULL) = (NEW.deleted_at IS NULL) THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL THEN
    INSERT INTO mentor_status_record_counts (status, slot, live) VALUES (NEW.status, pg_backend_pid() % 16, 1)
    ON CONFLICT (status, slot) DO UPDATE SET live = mentor_status_record_counts.live + 1;
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL THEN
    INSERT INTO mentor_status_record_counts (status, slot, live) VALUES (OLD.status, pg_backend_pid() % 16, -1)
    ON CONFLICT (status, slot) DO UPDATE SET live = mentor_status_record_counts.live - 1;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION mentor_status_records_track_current_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  mentor varchar;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.deleted_at IS NULL THEN
      INSERT INTO mentor_current_statuses AS current (mentor_id, record_id, status, reason, changed_at, changed_by)
      VALUES (NEW.mentor_id, NEW.id, NEW.status, NEW.reason, NEW.changed_at, NEW.changed_by)
      ON CONFLICT (mentor_id) DO UPDATE SET record_id = EXCLUDED.record_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
        changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by
      WHERE (current.changed_at, current.record_id) < (EXCLUDED.changed_at, EXCLUDED.record_id);
    END IF;
    RETURN NULL;
  END IF;
  FOR mentor IN SELECT DISTINCT affected FROM unnest(ARRAY[OLD.mentor_id, CASE WHEN TG_OP = 'UPDATE' THEN NEW.mentor_id END]) AS affected
                WHERE affected IS NOT NULL ORDER BY 1 LOOP
    PERFORM 1 FROM mentor_current_statuses WHERE mentor_id = mentor FOR UPDATE;
    DELETE FROM mentor_current_statuses current
    WHERE current.mentor_id = mentor
      AND NOT EXISTS (SELECT 1 FROM mentor_status_records r WHERE r.mentor_id = mentor AND r.deleted_at IS NULL);
    INSERT INTO mentor_current_statuses (mentor_id, record_id, status, reason, changed_at, changed_by)
    SELECT r.mentor_id, r.id, r.status, r.reason, r.changed_at, r.changed_by FROM mentor_status_records r
    WHERE r.mentor_id = mentor AND r.deleted_at IS NULL
    ORDER BY r.changed_at DESC, r.id DESC
    LIMIT 1
    ON CONFLICT (mentor_id) DO UPDATE SET record_id = EXCLUDED.record_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
      changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by;
  END LOOP;
  RETURN NULL;
END $$;

CREATE TRIGGER mentor_status_records_count_rows AFTER INSERT OR UPDATE OR DELETE ON mentor_status_records
  FOR EACH ROW EXECUTE FUNCTION mentor_status_records_count_row();
CREATE TRIGGER mentor_status_records_current_rows AFTER INSERT OR UPDATE OR DELETE ON mentor_status_records
  FOR EACH ROW EXECUTE FUNCTION mentor_status_records_track_current_row();
`;

/** Swaps the statement-level triggers of the database at `url` for their row-level versions. */
export async function useRowLevelTriggers(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`BEGIN; ${ROW_LEVEL_TRIGGERS} COMMIT;`);
  } finally {
    await client.end();
  }
}

/**
 * Whether the derived tables agree with the records: every mentor's current status is its latest
 * live record, and the per-status counts add up to the live records. Returns what disagrees.
 */
export async function derivedTablesDisagreements(url: string): Promise<{ currentStatuses: number; counts: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const [{ n: currentStatuses }] = (
      await client.query<{ n: number }>(
        `SELECT count(*)::int AS n
         FROM (SELECT DISTINCT ON (mentor_id) mentor_id, id FROM mentor_status_records WHERE deleted_at IS NULL ORDER BY mentor_id, changed_at DESC, id DESC) latest
         FULL JOIN mentor_current_statuses current USING (mentor_id)
         WHERE latest.id IS DISTINCT FROM current.record_id`,
      )
    ).rows;
    const [{ n: counts }] = (
      await client.query<{ n: number }>(
        `SELECT count(*)::int AS n
         FROM (SELECT status, count(*) AS live FROM mentor_status_records WHERE deleted_at IS NULL GROUP BY status) actual
         FULL JOIN (SELECT status, sum(live) AS live FROM mentor_status_record_counts GROUP BY status) kept USING (status)
         WHERE actual.live IS DISTINCT FROM kept.live`,
      )
    ).rows;
    return { currentStatuses, counts };
  } finally {
    await client.end();
  }
}

export interface StatementCost {
  /** Median execution time of the statement, triggers included, in ms. */
  executionMs: number;
  /** Median time spent in its triggers, in ms. */
  triggerMs: number;
}

/**
 * What the database spends on one status write and on its triggers, from EXPLAIN ANALYZE, which
 * times each trigger separately: `rows` records inserted (a POST is 1, a sweep batch 500) or
 * soft-deleted, for distinct mentors, in a transaction that is rolled back, `repeats` times.
 * Free of the HTTP and scheduling noise of a load run.
 */
export async function statementCosts(
  url: string,
  shape: DatasetShape,
  rows: number,
  repeats: number,
): Promise<{ insert: StatementCost; softDelete: StatementCost }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  // Distinct mentors: 7919 is prime, so i * 7919 mod mentors repeats only after `mentors` steps.
  const { mentors } = shape;
  const mentorOf = (round: number) => `(((i * 7919) + ${round * 131}) % ${mentors})`;
  // A change from the middle of each chosen mentor's history (record n belongs to mentor n mod mentors).
  const change = Math.floor(shape.records / mentors / 2);
  const statements = {
    insert: (round: number) =>
      `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by, created_at, updated_at)
       SELECT 'msr_Z' || lpad(i::text, 25, '0'), 'mntr_' || lpad(${mentorOf(round)}::text, 7, '0'), 'paused', 'Trigger cost',
              now() + interval '1 hour', 'bench_triggers', now(), now()
       FROM generate_series(0, ${rows - 1}) AS i`,
    softDelete: (round: number) =>
      `UPDATE mentor_status_records SET deleted_at = now(), updated_at = now()
       WHERE id IN (SELECT 'msr_' || upper(lpad(to_hex(${mentorOf(round)} + ${change} * ${mentors}), 26, '0')) FROM generate_series(0, ${rows - 1}) AS i)`,
  };
  type Plan = [{ 'Execution Time': number; Triggers?: { Time: number }[] }];
  try {
    const costs: Record<string, StatementCost> = {};
    for (const [name, statement] of Object.entries(statements)) {
      const execution: number[] = [];
      const triggers: number[] = [];
      for (let round = 0; round < repeats; round++) {
        await client.query('BEGIN');
        try {
          const { rows: plan } = await client.query<{ 'QUERY PLAN': Plan }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement(round)}`);
          const [measured] = plan[0]['QUERY PLAN'];
          execution.push(measured['Execution Time']);
          triggers.push((measured.Triggers ?? []).reduce((sum, trigger) => sum + trigger.Time, 0));
        } finally {
          await client.query('ROLLBACK');
        }
      }
      costs[name] = { executionMs: median(execution), triggerMs: median(triggers) };
    }
    return costs as { insert: StatementCost; softDelete: StatementCost };
  } finally {
    await client.end();
  }
}
