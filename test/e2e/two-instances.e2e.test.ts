import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { assertOneSuppressionWon, assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** The races of the status and suppression suites, with the requests split across two app instances on one database. */
describe('two instances, one database', () => {
  let t: TestApp;
  let second: NestFastifyApplication;
  let instances: Server[];
  before(async () => {
    t = await startTestApp();
    second = await t.instance();
    instances = [t.http, second.getHttpServer()];
  });
  after(async () => {
    await second.close();
    await t.close();
  });

  const profile = async (mentorId: string) => {
    assert.equal(
      (
        await request(t.http)
          .put(`/api/v1/mentors/${mentorId}`)
          .send({ full_name: `Mentor ${mentorId}`, chapter_id: 'chpt_two' })
      ).status,
      201,
    );
  };
  /** Request i goes to instance i mod 2. */
  const split = <T>(count: number, send: (http: Server, i: number) => Promise<T>) =>
    Promise.all(Array.from({ length: count }, (_, i) => send(instances[i % 2], i)));

  it('twelve identical status POSTs give exactly one 201 and eleven 409s', async () => {
    await profile('mntr_two_same');
    const answers = await split(12, (http) =>
      request(http).post('/api/v1/mentor-statuses').send({ mentor_id: 'mntr_two_same', status: 'paused', reason: 'Race', changed_by: 'user_race' }),
    );
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [201, ...Array<number>(11).fill(409)]);
    for (const answer of answers.filter((answer) => answer.status === 409)) assertProblem(answer, 409);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM mentor_status_records WHERE mentor_id = 'mntr_two_same'`);
    assert.equal(rows[0].n, 1);
  });

  it('alternating status POSTs leave a strictly alternating, strictly increasing history', async () => {
    await profile('mntr_two_flip');
    const answers = await split(20, (http, i) =>
      request(http)
        .post('/api/v1/mentor-statuses')
        .send({ mentor_id: 'mntr_two_flip', status: i % 4 < 2 ? 'active' : 'paused', reason: 'Flip', changed_by: 'user_race' }),
    );
    for (const answer of answers) assert.ok(answer.status === 201 || answer.status === 409, `unexpected ${answer.status}`);
    const { rows: history } = await t.db.query(
      `SELECT status, changed_at FROM mentor_status_records WHERE mentor_id = 'mntr_two_flip' ORDER BY changed_at, id`,
    );
    assert.equal(history.length, answers.filter((answer) => answer.status === 201).length);
    for (let i = 1; i < history.length; i++) {
      assert.notEqual(history[i].status, history[i - 1].status);
      assert.ok(history[i].changed_at > history[i - 1].changed_at);
    }
  });

  it('twelve suppression POSTs for one mentor give exactly one 201 and eleven 409s naming the winner', async () => {
    await profile('mntr_two_supp');
    const answers = await split(12, (http, i) =>
      request(http)
        .post('/api/v1/mentor-suppressions')
        .send({ mentor_id: 'mntr_two_supp', coordinator_id: `coord_${i}`, reason: 'certification_expired' }),
    );
    const winner = assertOneSuppressionWon(answers);
    const { rows } = await t.db.query(`SELECT id, is_active FROM mentor_suppressions WHERE mentor_id = 'mntr_two_supp'`);
    assert.deepEqual(rows, [{ id: winner.body.suppression_id, is_active: true }]);
  });
});
