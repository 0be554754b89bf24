import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { CountLiveStatusRecords1763800003000 } from '../../src/database/migrations/1763800003000-CountLiveStatusRecords.js';
import { reapplyMigration } from '../support/reapply-migration.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const BASE = '/api/v1/mentor-statuses';

describe('the maintained count behind the unfiltered audit log total', () => {
  let t: TestApp;
  before(async () => {
    // No delivery worker: a test here reverts the migrations, webhook tables included, under the running app.
    t = await startTestApp({ WEBHOOK_WORKERS: '0' });
    for (let index = 0; index < 12; index++) {
      await request(t.http)
        .put(`/api/v1/mentors/mntr_count_${index}`)
        .send({ full_name: `Count ${index}`, chapter_id: 'chpt_count' })
        .expect(201);
    }
  });
  after(() => t.close());

  const post = (mentorId: string, status: 'active' | 'paused') =>
    request(t.http)
      .post(BASE)
      .send({ mentor_id: mentorId, status, changed_by: 'user_count', ...(status === 'paused' && { reason: 'Counted' }) })
      .expect(201);

  /** The unfiltered and per-status totals the API answers, against counts of the live rows. */
  const assertTotalsExact = async () => {
    const { rows } = await t.db.query<{ status: string | null; live: number }>(
      `SELECT status, count(*)::int AS live FROM mentor_status_records WHERE deleted_at IS NULL GROUP BY ROLLUP (status)`,
    );
    const live = (status: string | null) => rows.find((row) => row.status === status)?.live ?? 0;
    const all = await request(t.http).get(BASE).expect(200);
    assert.equal(all.body.pagination.total, live(null));
    for (const status of ['active', 'paused']) {
      const only = await request(t.http).get(BASE).query({ status }).expect(200);
      assert.equal(only.body.pagination.total, live(status), status);
    }
  };

  it('follows POSTs, soft deletes and a page past the end', async () => {
    await assertTotalsExact();
    const first = await post('mntr_count_0', 'paused');
    await post('mntr_count_0', 'active');
    await post('mntr_count_1', 'active');
    await assertTotalsExact();
    await request(t.http).delete(`${BASE}/${first.body.mentor_status_id}`).expect(200);
    await assertTotalsExact();
    const past = await request(t.http).get(BASE).query({ page: 50 }).expect(200);
    assert.deepEqual(past.body.data, []);
    assert.equal(past.body.pagination.total, 2);
  });

  it('stays exact under concurrent writes from every pool connection', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, index) => post(`mntr_count_${index + 2}`, index % 2 === 0 ? 'active' : 'paused')));
    await Promise.all(Array.from({ length: 10 }, (_, index) => post(`mntr_count_${index + 2}`, index % 2 === 0 ? 'paused' : 'active')));
    await assertTotalsExact();
  });

  it('follows set-based SQL too: bulk soft delete and undelete, hard delete, truncate', async () => {
    await t.db.query(`UPDATE mentor_status_records SET deleted_at = now() WHERE status = 'paused'`);
    await assertTotalsExact();
    await t.db.query(`UPDATE mentor_status_records SET deleted_at = NULL, reason = reason`);
    await assertTotalsExact();
    await t.db.query(`DELETE FROM mentor_status_records WHERE mentor_id IN ('mntr_count_2', 'mntr_count_3')`);
    await assertTotalsExact();
    await t.db.query('TRUNCATE mentor_status_records');
    await assertTotalsExact();
    await post('mntr_count_4', 'active');
    await assertTotalsExact();
  });

  it('counts the rows already there when the migration is applied', async () => {
    await post('mntr_count_5', 'active');
    await post('mntr_count_5', 'paused');
    await reapplyMigration(t.database.url, new CountLiveStatusRecords1763800003000());
    await assertTotalsExact();
  });
});
