import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import request from 'supertest';
import { TrackCurrentStatuses1763800006000 } from '../../src/database/migrations/1763800006000-TrackCurrentStatuses.js';
import { reapplyMigration } from '../support/reapply-migration.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { waitUntil } from '../support/poll.js';

const BASE = '/api/v1/mentor-statuses';
const MENTORS = Array.from({ length: 6 }, (_, index) => `mntr_current_${index}`);

/** Each mentor's latest live record, computed from the history itself. */
const TRUTH = `
  SELECT given.mentor_id, latest.id AS record_id, latest.status, latest.reason, latest.changed_at, latest.changed_by
  FROM (SELECT DISTINCT mentor_id FROM mentor_status_records) given
  CROSS JOIN LATERAL (
    SELECT r.id, r.status, r.reason, r.changed_at, r.changed_by FROM mentor_status_records r
    WHERE r.mentor_id = given.mentor_id AND r.deleted_at IS NULL
    ORDER BY r.changed_at DESC, r.id DESC LIMIT 1
  ) latest
  ORDER BY given.mentor_id`;

describe('mentor_current_statuses, the current record the triggers keep per mentor', () => {
  let t: TestApp;
  before(async () => {
    // No delivery worker: a test here reverts the migrations, webhook tables included, under the running app.
    t = await startTestApp({ WEBHOOK_WORKERS: '0' });
    for (const mentor of MENTORS) {
      await request(t.http)
        .put(`/api/v1/mentors/${mentor}`)
        .send({ full_name: `Current ${mentor}`, chapter_id: 'chpt_current' })
        .expect(201);
    }
  });
  after(() => t.close());

  const post = async (mentorId: string, status: 'active' | 'paused') => {
    const response = await request(t.http)
      .post(BASE)
      .send({ mentor_id: mentorId, status, changed_by: 'user_current', ...(status === 'paused' && { reason: 'Away' }) });
    return response.body as { mentor_status_id: string };
  };
  const assertMatchesHistory = async () => {
    const kept = await t.db.query('SELECT mentor_id, record_id, status, reason, changed_at, changed_by FROM mentor_current_statuses ORDER BY mentor_id');
    assert.deepEqual(kept.rows, (await t.db.query(TRUTH)).rows);
  };

  it('moves forward on POST, takes a corrected reason, and falls back when the current record is deleted', async () => {
    const first = await post(MENTORS[0], 'paused');
    await assertMatchesHistory();
    const second = await post(MENTORS[0], 'active');
    await assertMatchesHistory();
    await request(t.http).put(`${BASE}/${second.mentor_status_id}`).send({ reason: 'Back from leave' }).expect(200);
    await assertMatchesHistory();
    await request(t.http).delete(`${BASE}/${second.mentor_status_id}`).expect(200);
    await assertMatchesHistory();
    await request(t.http).delete(`${BASE}/${first.mentor_status_id}`).expect(200);
    await assertMatchesHistory();
    assert.equal((await t.db.query('SELECT 1 FROM mentor_current_statuses WHERE mentor_id = $1', [MENTORS[0]])).rowCount, 0);
  });

  it('stays right under concurrent POSTs, corrections and deletes of the same mentors', async () => {
    const written = [];
    for (const mentor of MENTORS.slice(1)) written.push(await post(mentor, 'active'), await post(mentor, 'paused'));
    await Promise.all([
      ...MENTORS.slice(1).map((mentor) => post(mentor, 'active')),
      ...written.map((record, index) =>
        index % 2 === 0
          ? request(t.http).delete(`${BASE}/${record.mentor_status_id}`)
          : request(t.http)
              .put(`${BASE}/${record.mentor_status_id}`)
              .send({ reason: `Corrected ${index}` }),
      ),
    ]);
    await assertMatchesHistory();
  });

  it('follows set-based SQL: older and deleted inserts, bulk soft delete and undelete, hard delete, truncate', async () => {
    await t.db.query(
      `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by)
       VALUES ('msr_00000000000000000000000001', $1, 'paused', 'Backfilled', '2020-01-01T00:00:00Z', 'backfill'),
              ('msr_00000000000000000000000002', $1, 'paused', 'Deleted', now() + interval '1 day', 'backfill')`,
      [MENTORS[1]],
    );
    await t.db.query(`UPDATE mentor_status_records SET deleted_at = now() WHERE id = 'msr_00000000000000000000000002'`);
    await assertMatchesHistory();
    await t.db.query(`UPDATE mentor_status_records SET deleted_at = now() WHERE status = 'active'`);
    await assertMatchesHistory();
    await t.db.query(`UPDATE mentor_status_records SET deleted_at = NULL`);
    await assertMatchesHistory();
    await t.db.query('DELETE FROM mentor_status_records WHERE mentor_id = $1', [MENTORS[2]]);
    await assertMatchesHistory();
    await t.db.query('TRUNCATE mentor_status_records');
    await assertMatchesHistory();
    await post(MENTORS[3], 'active');
    await assertMatchesHistory();
  });

  it('a writer outside the API waits for a concurrent one on the same mentor, then sees its record', async () => {
    const mentor = MENTORS[4];
    await post(mentor, 'paused');
    const latest = await post(mentor, 'active');
    const inserting = new pg.Client({ connectionString: t.database.url });
    await inserting.connect();
    try {
      await inserting.query('BEGIN');
      await inserting.query(
        `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by)
         VALUES ('msr_7ZZZZZZZZZZZZZZZZZZZZZZZZZ', $1, 'active', NULL, now() + interval '1 hour', 'other_writer')`,
        [mentor],
      );
      // Soft-deleting the record that was current recomputes the mentor's current record: it must
      // not settle on the record before it, which is all it could see before the insert commits.
      const deleting = t.db.query('UPDATE mentor_status_records SET deleted_at = now() WHERE id = $1', [latest.mentor_status_id]);
      await waitUntil(
        async () =>
          Number((await t.db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n) >=
          1,
        'the soft delete waits for the insert',
      );
      await inserting.query('COMMIT');
      await deleting;
    } finally {
      await inserting.end();
    }
    await assertMatchesHistory();
    const kept = await t.db.query('SELECT record_id FROM mentor_current_statuses WHERE mentor_id = $1', [mentor]);
    assert.equal(kept.rows[0].record_id, 'msr_7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
  });

  it('copies the current records already there when the migration is applied', async () => {
    await post(MENTORS[5], 'active');
    await post(MENTORS[5], 'paused');
    await reapplyMigration(t.database.url, new TrackCurrentStatuses1763800006000());
    await assertMatchesHistory();
  });
});
