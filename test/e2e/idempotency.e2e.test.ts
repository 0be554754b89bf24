import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DatabaseLock } from '../../src/database/database-lock.js';
import { IdempotencyService } from '../../src/idempotency/idempotency.service.js';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { waitUntil } from '../support/poll.js';

const STATUSES = '/api/v1/mentor-statuses';
const SUPPRESSIONS = '/api/v1/mentor-suppressions';

describe('Idempotency-Key on POST', () => {
  let t: TestApp;
  let mentor = 0;
  const newMentor = async () => {
    const mentorId = `mntr_idem_${++mentor}`;
    const response = await request(t.http)
      .put(`/api/v1/mentors/${mentorId}`)
      .send({ full_name: `Mentor ${mentorId}`, chapter_id: 'chpt_idem' });
    assert.equal(response.status, 201);
    return mentorId;
  };
  const postStatus = (http: TestApp['http'], key: string | undefined, body: object) => {
    const call = request(http).post(STATUSES);
    return (key === undefined ? call : call.set('Idempotency-Key', key)).send(body);
  };
  const statusRows = async (mentorId: string) =>
    (await t.db.query('SELECT count(*)::int AS n FROM mentor_status_records WHERE mentor_id = $1', [mentorId])).rows[0].n as number;
  const keyRow = async (key: string) =>
    (await t.db.query('SELECT scope, state, response_status FROM idempotency_keys WHERE key = $1', [key])).rows[0] as
      { scope: string; state: string; response_status: number | null } | undefined;

  const holdsKeyLock = async () =>
    (
      await t.db.query(
        `SELECT count(*)::int AS n FROM pg_locks
         WHERE locktype = 'advisory' AND classid = $1 AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [DatabaseLock.IdempotencyKey],
      )
    ).rows[0].n > 0;

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('a retry with the same key and body replays the first answer, with Idempotent-Replayed, and writes nothing', async () => {
    const mentorId = await newMentor();
    const body = { mentor_id: mentorId, status: 'paused', reason: 'Leave', changed_by: 'user_idem' };
    const first = await postStatus(t.http, 'key-replay-1', body);
    assert.equal(first.status, 201);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const retry = await postStatus(t.http, 'key-replay-1', body);
    assert.equal(retry.status, 201);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.match(String(retry.headers['content-type']), /^application\/json/);
    assert.deepEqual(retry.body, first.body);
    assert.equal(await statusRows(mentorId), 1);
  });

  it('the same body with its properties in another order is the same request', async () => {
    const mentorId = await newMentor();
    const first = await postStatus(t.http, 'key-order', { mentor_id: mentorId, status: 'active', changed_by: 'user_idem' });
    const reordered = await postStatus(t.http, 'key-order', { changed_by: 'user_idem', status: 'active', mentor_id: mentorId });
    assert.equal(reordered.status, 201);
    assert.equal(reordered.headers['idempotent-replayed'], 'true');
    assert.deepEqual(reordered.body, first.body);
  });

  it('the same key with a different body is 422 and writes nothing', async () => {
    const mentorId = await newMentor();
    assert.equal((await postStatus(t.http, 'key-mismatch', { mentor_id: mentorId, status: 'active', changed_by: 'user_idem' })).status, 201);
    const other = await postStatus(t.http, 'key-mismatch', { mentor_id: mentorId, status: 'paused', reason: 'Other', changed_by: 'user_idem' });
    assertProblem(other, 422);
    assert.equal(other.body.type, '/problems/idempotency-key-reused');
    assert.equal(await statusRows(mentorId), 1);
  });

  it('the same key on another route is a different request: 422', async () => {
    const mentorId = await newMentor();
    assert.equal(
      (
        await request(t.http)
          .post(SUPPRESSIONS)
          .set('Idempotency-Key', 'key-route')
          .send({ mentor_id: mentorId, coordinator_id: 'c', reason: 'conduct_review' })
      ).status,
      201,
    );
    assertProblem(await postStatus(t.http, 'key-route', { mentor_id: mentorId, coordinator_id: 'c', reason: 'conduct_review' }), 422);
  });

  it('covers every POST: a suppression retried is replayed, not a 409 for the second active one', async () => {
    const mentorId = await newMentor();
    const body = { mentor_id: mentorId, coordinator_id: 'coord_idem', reason: 'certification_expired' };
    const first = await request(t.http).post(SUPPRESSIONS).set('Idempotency-Key', 'key-suppression').send(body);
    const retry = await request(t.http).post(SUPPRESSIONS).set('Idempotency-Key', 'key-suppression').send(body);
    assert.equal(first.status, 201);
    assert.equal(retry.status, 201);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal(retry.body.suppression_id, first.body.suppression_id);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM mentor_suppressions WHERE mentor_id = $1', [mentorId]);
    assert.equal(rows[0].n, 1);
  });

  it('a 4xx answer is kept and replayed as it was, even once the cause is gone', async () => {
    const body = { mentor_id: 'mntr_idem_later', status: 'active', changed_by: 'user_idem' };
    const first = await postStatus(t.http, 'key-4xx', body);
    assertProblem(first, 422);
    await request(t.http).put('/api/v1/mentors/mntr_idem_later').send({ full_name: 'Later', chapter_id: 'chpt_idem' });
    const retry = await postStatus(t.http, 'key-4xx', body);
    assertProblem(retry, 422);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.deepEqual(retry.body, first.body);
    assert.equal(await statusRows('mntr_idem_later'), 0);
  });

  it('a retry while the first request still runs is 409; the first then completes and is replayed', async () => {
    const mentorId = await newMentor();
    const body = { mentor_id: mentorId, status: 'active', changed_by: 'user_idem' };
    const release = await holdMentorHistory(t.db, mentorId);
    let first: Promise<request.Response>;
    try {
      first = postStatus(t.http, 'key-running', body).then((response) => response);
      await waitUntil(async () => await holdsKeyLock(), "the first request's transaction holds its key");
      assert.equal(await keyRow('key-running'), undefined, 'nothing of the key is committed before its write');
      const retry = await postStatus(t.http, 'key-running', body);
      assertProblem(retry, 409);
      assert.equal(retry.body.type, '/problems/idempotency-key-in-progress');
    } finally {
      await release();
    }
    assert.equal((await first).status, 201);
    const later = await postStatus(t.http, 'key-running', body);
    assert.equal(later.status, 201);
    assert.equal(later.headers['idempotent-replayed'], 'true');
    assert.equal(await statusRows(mentorId), 1);
  });

  it('a reservation left by an earlier version whose request died is taken over by a retry of the same request once 60 s have passed', async () => {
    const mentorId = await newMentor();
    const body = { mentor_id: mentorId, status: 'active', changed_by: 'user_idem' };
    assert.equal((await postStatus(t.http, 'key-abandoned', body)).status, 201);
    const asIfItDied = `UPDATE idempotency_keys SET state = 'in_progress', response_status = NULL, response_content_type = NULL, response_body = NULL, reserved_at = now() - $2::interval WHERE key = $1`;

    await t.db.query(asIfItDied, ['key-abandoned', '30 seconds']);
    assertProblem(await postStatus(t.http, 'key-abandoned', body), 409);

    await t.db.query(asIfItDied, ['key-abandoned', '61 seconds']);
    const rerun = await postStatus(t.http, 'key-abandoned', body);
    // It runs again: the status rules, not the key, now keep the write from happening twice.
    assertProblem(rerun, 409);
    assert.equal(rerun.body.type, '/problems/no-op-transition');
    assert.equal(rerun.headers['idempotent-replayed'], undefined);
    assert.equal((await keyRow('key-abandoned'))?.response_status, 409);
  });

  it('an expired key is ignored and overwritten, whatever the body', async () => {
    const mentorId = await newMentor();
    assert.equal((await postStatus(t.http, 'key-expired', { mentor_id: mentorId, status: 'active', changed_by: 'user_idem' })).status, 201);
    await t.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`, ['key-expired']);
    const fresh = await postStatus(t.http, 'key-expired', { mentor_id: mentorId, status: 'paused', reason: 'New', changed_by: 'user_idem' });
    assert.equal(fresh.status, 201);
    assert.equal(fresh.headers['idempotent-replayed'], undefined);
    assert.equal(await statusRows(mentorId), 2);
  });

  it('answers are kept for 24 hours, and the cleanup deletes only expired keys', async () => {
    const mentorId = await newMentor();
    await postStatus(t.http, 'key-kept', { mentor_id: mentorId, status: 'active', changed_by: 'user_idem' });
    const { rows } = await t.db.query(`SELECT extract(epoch FROM expires_at - reserved_at)::int AS seconds FROM idempotency_keys WHERE key = 'key-kept'`);
    assert.equal(rows[0].seconds, 24 * 3600);
    await t.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'key-order'`);
    assert.equal(await t.app.get(IdempotencyService).deleteExpired(), 1);
    assert.equal(await keyRow('key-order'), undefined);
    assert.ok(await keyRow('key-kept'));
  });

  for (const [label, key] of [
    ['a space', 'has space'],
    ['256 characters', 'k'.repeat(256)],
    ['a non-ASCII character', 'clé'],
  ] as const) {
    it(`an Idempotency-Key with ${label} is 400 naming the header, and nothing is written`, async () => {
      const mentorId = await newMentor();
      const response = await request(t.http)
        .post(STATUSES)
        .set('Idempotency-Key', Buffer.from(key, 'utf8').toString('latin1'))
        .send({ mentor_id: mentorId, status: 'active', changed_by: 'user_idem' });
      assertProblem(response, 400, ['Idempotency-Key']);
      assert.equal(await statusRows(mentorId), 0);
    });
  }

  it('without a key, a POST runs every time', async () => {
    const mentorId = await newMentor();
    assert.equal((await postStatus(t.http, undefined, { mentor_id: mentorId, status: 'active', changed_by: 'user_idem' })).status, 201);
    assertProblem(await postStatus(t.http, undefined, { mentor_id: mentorId, status: 'active', changed_by: 'user_idem' }), 409);
  });

  describe('across two instances on one database', () => {
    let second: NestFastifyApplication;
    before(async () => {
      second = await t.instance();
    });
    after(() => second.close());

    it('a retry sent to the other instance replays the first answer', async () => {
      const mentorId = await newMentor();
      const body = { mentor_id: mentorId, status: 'paused', reason: 'Leave', changed_by: 'user_idem' };
      const first = await postStatus(t.http, 'key-two-instances', body);
      const retry = await postStatus(second.getHttpServer(), 'key-two-instances', body);
      assert.equal(retry.status, 201);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retry.body, first.body);
    });

    it('the same request sent to both at once runs once', async () => {
      const mentorId = await newMentor();
      const body = { mentor_id: mentorId, status: 'active', changed_by: 'user_idem' };
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => postStatus(i % 2 === 0 ? t.http : second.getHttpServer(), 'key-both', body)));
      for (const answer of answers) assert.ok(answer.status === 201 || answer.status === 409, `unexpected ${answer.status}`);
      const ran = answers.filter((answer) => answer.status === 201 && answer.headers['idempotent-replayed'] === undefined);
      assert.equal(ran.length, 1);
      for (const answer of answers.filter((answer) => answer.status === 409)) assert.equal(answer.body.type, '/problems/idempotency-key-in-progress');
      assert.equal(await statusRows(mentorId), 1);
    });
  });
});

describe('Idempotency-Key with failures and callers', () => {
  it('a request that fails with a 5xx keeps nothing of its key, so that a retry runs again', async () => {
    const t = await startTestApp({ DB_STATEMENT_TIMEOUT_MS: '300' });
    try {
      await request(t.http).put('/api/v1/mentors/mntr_5xx').send({ full_name: 'Five', chapter_id: 'chpt_idem' });
      const body = { mentor_id: 'mntr_5xx', status: 'active', changed_by: 'user_idem' };
      const release = await holdMentorHistory(t.db, 'mntr_5xx');
      try {
        const failed = await request(t.http).post(STATUSES).set('Idempotency-Key', 'key-5xx').send(body);
        assertProblem(failed, 503);
      } finally {
        await release();
      }
      assert.equal((await t.db.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'key-5xx'`)).rows[0].n, 0);
      const retry = await request(t.http).post(STATUSES).set('Idempotency-Key', 'key-5xx').send(body);
      assert.equal(retry.status, 201);
      assert.equal(retry.headers['idempotent-replayed'], undefined);
    } finally {
      await t.close();
    }
  });

  it("keys are scoped by the caller's API key: two callers may use the same key for different requests", async () => {
    const t = await startTestApp({ API_KEYS: 'frontend:frontend-key-0123456789,sweeper:sweeper-key-0123456789' });
    try {
      const put = (mentorId: string) =>
        request(t.http)
          .put(`/api/v1/mentors/${mentorId}`)
          .set('Authorization', 'Bearer frontend-key-0123456789')
          .send({ full_name: 'Scoped', chapter_id: 'chpt_idem' });
      await put('mntr_scope_a');
      await put('mntr_scope_b');
      const post = (key: string, mentorId: string) =>
        request(t.http)
          .post(STATUSES)
          .set('Authorization', `Bearer ${key}`)
          .set('Idempotency-Key', 'shared-key')
          .send({ mentor_id: mentorId, status: 'active', changed_by: 'user_idem' });
      assert.equal((await post('frontend-key-0123456789', 'mntr_scope_a')).status, 201);
      const other = await post('sweeper-key-0123456789', 'mntr_scope_b');
      assert.equal(other.status, 201);
      assert.equal(other.headers['idempotent-replayed'], undefined);
      const { rows } = await t.db.query(`SELECT scope FROM idempotency_keys WHERE key = 'shared-key' ORDER BY scope`);
      assert.deepEqual(
        rows.map((row) => row.scope),
        ['frontend', 'sweeper'],
      );
    } finally {
      await t.close();
    }
  });
});
