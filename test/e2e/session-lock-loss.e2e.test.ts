import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { DatabaseLock } from '../../src/database/database-lock.js';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { waitUntil } from '../support/poll.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const MENTORS = ['mntr_lockloss_a', 'mntr_lockloss_b', 'mntr_lockloss_c'];

/**
 * A sweep's session lock lives on a server session of its own; when that session ends (terminated,
 * a failover), PostgreSQL releases the lock and another sweep may take it at once. The sweep that
 * lost it must not go on beside the new one: its statements fail from then on, the one it was
 * waiting on included, and nothing of its open transaction commits.
 */
describe('a sweep whose session lock is lost', () => {
  let t: TestApp;
  before(async () => {
    // No statement timeout comes to end the first sweep's wait for it.
    t = await startTestApp({ DB_STATEMENT_TIMEOUT_MS: '60000' });
    for (const mentorId of MENTORS) {
      await request(t.http)
        .put(`/api/v1/mentors/${mentorId}`)
        .send({ full_name: mentorId, chapter_id: 'chpt_lockloss', certification_expires_at: '2020-01-01T00:00:00.000Z' })
        .expect(201);
      await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: mentorId, status: 'active', changed_by: 'user_lockloss' }).expect(201);
    }
  });
  after(() => t.close());

  const lockHolder = async () =>
    (
      await t.db.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [DatabaseLock.CertificationSweep],
      )
    ).rows.map((row) => row.pid);
  const waitingOnMentors = async () =>
    (
      await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'mentor-status-service'`,
      )
    ).rows[0].n;

  it('stops at once, commits nothing more, and the next sweep does the work alone', async () => {
    const release = await holdMentorHistory(t.db, MENTORS);
    let first: request.Response | undefined;
    try {
      const sweeping = request(t.http)
        .post('/api/v1/certification-sweeps')
        .then((response) => (first = response));
      await waitUntil(async () => (await waitingOnMentors()) === 1, "the first sweep's batch waits on the mentors' locks");
      const [holder] = await lockHolder();
      assert.ok(holder, 'the first sweep holds its lock');
      await t.db.query('SELECT pg_terminate_backend($1)', [holder]);

      // The lost lock is the end of the first sweep, while its batch still waited: it is not left working beside the next one.
      await waitUntil(() => first !== undefined, 'the first sweep ends', 5_000);
      await sweeping;
      assertProblem(first!, 503);
      assert.deepEqual(await lockHolder(), []);
    } finally {
      await release();
    }

    // The next sweep takes the lock and finds every mentor still to pause: the first one's batch never committed.
    const second = await request(t.http).post('/api/v1/certification-sweeps');
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(second.body.paused.mentor_ids, MENTORS);
    for (const mentorId of MENTORS) {
      const history = await request(t.http).get(`/api/v1/mentor-statuses?mentor_id=${mentorId}`);
      assert.deepEqual(
        history.body.data.map((record: { status: string }) => record.status),
        ['paused', 'active'],
        `${mentorId} was paused once`,
      );
    }
  });
});
