import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

const NOW = '2030-09-01T10:00:00.000Z';
const DAY = 24 * 60 * 60 * 1000;
const CHAPTER = 'chpt_summary';

describe('GET /api/v1/chapters/:chapter_id/summary', () => {
  const clock = new TestClock(NOW);
  const at = (offset: number) => new Date(Date.parse(NOW) + offset).toISOString();
  let t: TestApp;
  const summary = async (chapterId = CHAPTER) => {
    const response = await request(t.http).get(`/api/v1/chapters/${chapterId}/summary`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };
  const mentor = async (mentorId: string, certificationExpiresAt: string | null = null, chapterId = CHAPTER) =>
    assert.equal(
      (
        await request(t.http)
          .put(`/api/v1/mentors/${mentorId}`)
          .send({ full_name: mentorId, chapter_id: chapterId, certification_expires_at: certificationExpiresAt })
      ).status,
      201,
    );
  const status = async (mentorId: string, body: object) =>
    assert.equal(
      (
        await request(t.http)
          .post('/api/v1/mentor-statuses')
          .send({ mentor_id: mentorId, changed_by: 'user_sum', ...body })
      ).status,
      201,
    );
  const paused = (mentorId: string, extra: object = {}) => status(mentorId, { status: 'paused', reason: 'Away', ...extra });

  before(async () => {
    t = await startTestApp({}, { clock });
    // Active and eligible: two, one of them with a certification lapsing in exactly 30 days (counted), one in 30 days and a millisecond (not).
    await mentor('sum_active_1', at(30 * DAY));
    await status('sum_active_1', { status: 'active' });
    await mentor('sum_active_2', at(30 * DAY + 1));
    await status('sum_active_2', { status: 'active' });
    // Active but suppressed.
    await mentor('sum_hidden');
    await status('sum_hidden', { status: 'active' });
    assert.equal(
      (await request(t.http).post('/api/v1/mentor-suppressions').send({ mentor_id: 'sum_hidden', coordinator_id: 'coord_sum', reason: 'conduct_review' }))
        .status,
      201,
    );
    // Paused: two for parental leave (one resuming in exactly 7 days, one in 7 days and a millisecond), one for capacity, two without a code (one with a lapsed certification, not counted as expiring).
    await mentor('sum_parental_1');
    await paused('sum_parental_1', { reason_code: 'parental_leave', resume_at: at(7 * DAY) });
    await mentor('sum_parental_2');
    await paused('sum_parental_2', { reason_code: 'parental_leave', resume_at: at(7 * DAY + 1) });
    await mentor('sum_capacity');
    await paused('sum_capacity', { reason_code: 'capacity', resume_at: at(DAY) });
    await mentor('sum_uncoded_1', at(-DAY));
    await paused('sum_uncoded_1');
    await mentor('sum_uncoded_2', at(DAY));
    await paused('sum_uncoded_2');
    // No status record at all: a mentor of the chapter, in no other count.
    await mentor('sum_new');
    // Another chapter's mentors are not counted.
    await mentor('sum_elsewhere', at(DAY), 'chpt_other');
    await paused('sum_elsewhere', { reason_code: 'capacity' });
  });
  after(() => t.close());

  it('counts the chapter as of now: eligible, suppressed, paused by reason code (no code last), resuming within 7 days, expiring within 30', async () => {
    assert.deepEqual(await summary(), {
      chapter_id: CHAPTER,
      as_of: NOW,
      mentors: 9,
      active_eligible: 2,
      active_suppressed: 1,
      paused: 5,
      paused_by_reason_code: [
        { reason_code: 'capacity', count: 1 },
        { reason_code: 'parental_leave', count: 2 },
        { reason_code: null, count: 2 },
      ],
      resuming_within_7_days: 2,
      certifications_expiring_within_30_days: 2,
    });
  });

  it('agrees with the chapter views it summarises', async () => {
    const total = async (view: string) => (await request(t.http).get(`/api/v1/chapters/${CHAPTER}/mentors/${view}`)).body.pagination.total as number;
    const counts = await summary();
    assert.equal(counts.active_eligible, await total('active'));
    assert.equal(counts.active_eligible + counts.active_suppressed, await total('active?include_ineligible=true'));
    assert.equal(counts.paused, await total('paused'));
    assert.equal(counts.certifications_expiring_within_30_days, await total('expiring?within_days=30'));
  });

  it('moves with the clock: a pause that is due but not yet resumed still counts as resuming', async () => {
    clock.set(at(7 * DAY + 1));
    try {
      const counts = await summary();
      assert.equal(counts.as_of, at(7 * DAY + 1));
      assert.equal(counts.resuming_within_7_days, 3);
      assert.equal(counts.certifications_expiring_within_30_days, 2);
    } finally {
      clock.set(NOW);
    }
  });

  it('an unknown chapter has only zeros, as the chapter views have empty lists', async () => {
    assert.deepEqual(await summary('chpt_nobody'), {
      chapter_id: 'chpt_nobody',
      as_of: NOW,
      mentors: 0,
      active_eligible: 0,
      active_suppressed: 0,
      paused: 0,
      paused_by_reason_code: [],
      resuming_within_7_days: 0,
      certifications_expiring_within_30_days: 0,
    });
  });

  it('a malformed chapter id or any query parameter is 400', async () => {
    assertProblem(await request(t.http).get('/api/v1/chapters/chpt%20bad/summary'), 400, ['chapter_id']);
    assertProblem(await request(t.http).get(`/api/v1/chapters/${'c'.repeat(65)}/summary`), 400, ['chapter_id']);
    assertProblem(await request(t.http).get(`/api/v1/chapters/${CHAPTER}/summary?page=1`), 400);
  });

  it('sends an ETag and answers If-None-Match with 304 while the counts stay the same', async () => {
    const first = await request(t.http).get(`/api/v1/chapters/${CHAPTER}/summary`);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[A-Za-z0-9_-]{32}"$/);
    assert.equal((await request(t.http).get(`/api/v1/chapters/${CHAPTER}/summary`).set('If-None-Match', etag)).status, 304);
    await status('sum_new', { status: 'active' });
    const changed = await request(t.http).get(`/api/v1/chapters/${CHAPTER}/summary`).set('If-None-Match', etag);
    assert.equal(changed.status, 200);
    assert.equal(changed.body.active_eligible, 3);
  });

  it('reads the chapter once, as the chapter views do', async () => {
    const client = await t.db.connect();
    try {
      const { rows } = await client.query(
        `EXPLAIN (FORMAT JSON)
         SELECT grouping(d.status_reason_code) = 1 AS overall, d.status_reason_code, count(*)
         FROM mentor_directory d WHERE d.chapter_id = $1 GROUP BY GROUPING SETS ((), (d.status_reason_code))`,
        [CHAPTER],
      );
      const plan = JSON.stringify(rows[0]['QUERY PLAN']);
      assert.equal(plan.match(/"Relation Name":"mentors"/g)?.length, 1, plan);
    } finally {
      client.release();
    }
  });
});
