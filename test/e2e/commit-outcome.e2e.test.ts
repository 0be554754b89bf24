import { createMentorStatusClient } from '@mentor-status/client';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { PgFaultProxy } from '../support/pg-fault-proxy.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const STATUSES = '/api/v1/mentor-statuses';

/**
 * A connection lost around a COMMIT, on a real PostgreSQL through a proxy that cuts it: the
 * answer stored with the write decides what a retry with the same Idempotency-Key gets.
 */
describe('a write whose connection breaks around its COMMIT', () => {
  let t: TestApp;
  let proxy: PgFaultProxy;
  let app: NestFastifyApplication;
  let mentor = 0;
  const newMentor = async () => {
    const mentorId = `mntr_commit_${++mentor}`;
    assert.equal(
      (
        await request(t.http)
          .put(`/api/v1/mentors/${mentorId}`)
          .send({ full_name: `Mentor ${mentorId}`, chapter_id: 'chpt_commit' })
      ).status,
      201,
    );
    return mentorId;
  };
  const post = (key: string, body: object) => request(app.getHttpServer()).post(STATUSES).set('Idempotency-Key', key).send(body);
  const records = async (mentorId: string) =>
    (await t.db.query('SELECT count(*)::int AS n FROM mentor_status_records WHERE mentor_id = $1', [mentorId])).rows[0].n as number;
  const keysInProgress = async () => (await t.db.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE state = 'in_progress'`)).rows[0].n as number;

  before(async () => {
    t = await startTestApp();
    proxy = await PgFaultProxy.start(t.database.url);
    app = await t.instance({ DATABASE_URL: proxy.url, DATABASE_DIRECT_URL: t.database.url });
  });
  after(async () => {
    await app?.close();
    await proxy?.stop();
    await t?.close();
  });

  it('committed, its answer lost: 503, and a retry with the key gets the original answer; one record', async () => {
    const mentorId = await newMentor();
    const body = { mentor_id: mentorId, status: 'active', changed_by: 'user_commit' };
    proxy.arm('answer-lost', mentorId);
    assertProblem(await post('key-answer-lost', body), 503);
    assert.equal(proxy.applied, 1);
    assert.equal(await records(mentorId), 1);
    assert.equal(await keysInProgress(), 0);

    const retry = await post('key-answer-lost', body);
    assert.equal(retry.status, 201);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    const [record] = (await t.db.query('SELECT id FROM mentor_status_records WHERE mentor_id = $1', [mentorId])).rows;
    assert.equal(retry.body.mentor_status_id, record.id);
    assert.equal(await records(mentorId), 1);
  });

  it('not committed, the COMMIT lost on its way: 503, and a retry with the key runs it once', async () => {
    const mentorId = await newMentor();
    const body = { mentor_id: mentorId, status: 'active', changed_by: 'user_commit' };
    proxy.arm('commit-lost', mentorId);
    const before = proxy.applied;
    assertProblem(await post('key-commit-lost', body), 503);
    assert.equal(proxy.applied, before + 1);
    assert.equal(await records(mentorId), 0);
    assert.equal(await keysInProgress(), 0);

    const retry = await post('key-commit-lost', body);
    assert.equal(retry.status, 201);
    assert.equal(retry.headers['idempotent-replayed'], undefined);
    assert.equal(await records(mentorId), 1);
  });

  it('lost before its COMMIT was sent: run again in a new transaction, and the caller sees only the 201', async () => {
    const mentorId = await newMentor();
    const before = proxy.applied;
    proxy.arm('before-commit', mentorId);
    const answer = await post('key-before-commit', { mentor_id: mentorId, status: 'active', changed_by: 'user_commit' });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(proxy.applied, before + 1);
    assert.equal(await records(mentorId), 1);
  });

  it("the client package's retries make a lost answer invisible: one 201, one record", async () => {
    await app.listen(0, '127.0.0.1');
    const client = createMentorStatusClient(await app.getUrl(), { retry: { baseDelayMs: 10 } });
    const mentorId = await newMentor();
    const before = proxy.applied;
    proxy.arm('answer-lost', mentorId);
    const { data, response } = await client.POST('/api/v1/mentor-statuses', { body: { mentor_id: mentorId, status: 'active', changed_by: 'user_commit' } });
    assert.equal(response.status, 201);
    assert.equal(proxy.applied, before + 1);
    assert.equal(await records(mentorId), 1);
    const [record] = (await t.db.query('SELECT id FROM mentor_status_records WHERE mentor_id = $1', [mentorId])).rows;
    assert.equal(data?.mentor_status_id, record.id);
  });
});
