import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { FeedFollower } from '../support/event-feed.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

const BASE = '/api/v1/mentor-statuses';
const NOW = '2030-03-01T12:00:00.000Z';
const DAY = 24 * 60 * 60 * 1000;
const CHAPTER = 'chpt_pauses';

describe('pauses with a reason code and an end', () => {
  const clock = new TestClock(NOW);
  const at = (offset: number) => new Date(clock.now().getTime() + offset).toISOString();
  let t: TestApp;
  let feed: FeedFollower;
  const profile = async (mentorId: string) =>
    assert.equal((await request(t.http).put(`/api/v1/mentors/${mentorId}`).send({ full_name: mentorId, chapter_id: CHAPTER })).status, 201);
  const post = (body: object) => request(t.http).post(BASE).send(body);
  const pause = (mentorId: string, extra: object = {}) => post({ mentor_id: mentorId, status: 'paused', reason: 'Away', changed_by: 'user_coord', ...extra });
  const put = (id: string, body: object) => request(t.http).put(`${BASE}/${id}`).send(body);
  const storedCount = async () => (await t.db.query('SELECT count(*)::int AS n FROM mentor_status_records')).rows[0].n as number;
  const storedRecord = async (id: string) =>
    (await t.db.query('SELECT reason, reason_code, resume_at, updated_at FROM mentor_status_records WHERE id = $1', [id])).rows[0];

  before(async () => {
    t = await startTestApp({}, { clock });
    feed = new FeedFollower(t.http);
    for (const mentorId of ['mntr_pz_1', 'mntr_pz_2', 'mntr_pz_3', 'mntr_pz_4', 'mntr_pz_bad']) await profile(mentorId);
    await feed.skipToEnd();
  });
  after(() => t.close());

  describe('POST', () => {
    it('a pause takes a reason_code and a resume_at; the answer, the GET, the list, the event and the paused view show them', async () => {
      const resumeAt = at(14 * DAY);
      const answer = await pause('mntr_pz_1', { reason: 'Parental leave', reason_code: 'parental_leave', resume_at: resumeAt });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.reason_code, 'parental_leave');
      assert.equal(answer.body.resume_at, resumeAt);
      const got = await request(t.http).get(`${BASE}/${answer.body.mentor_status_id}`);
      assert.deepEqual(got.body, { ...answer.body, previous_status: null });
      const [listed] = (await request(t.http).get(`${BASE}?mentor_id=mntr_pz_1`)).body.data;
      assert.deepEqual(listed, { ...listed, reason_code: 'parental_leave', resume_at: resumeAt });
      const events = await feed.next();
      assert.deepEqual(events[0].data, got.body);
      const paused = (await request(t.http).get(`/api/v1/chapters/${CHAPTER}/mentors/paused`)).body.data;
      assert.deepEqual(paused, [
        {
          mentor_id: 'mntr_pz_1',
          full_name: 'mntr_pz_1',
          chapter_id: CHAPTER,
          status: 'paused',
          paused_at: answer.body.changed_at,
          pause_reason: 'Parental leave',
          pause_reason_code: 'parental_leave',
          resumes_at: resumeAt,
          is_eligible_for_assignment: false,
        },
      ]);
    });

    it('both stay optional: absent or null, a pause has neither', async () => {
      const answer = await pause('mntr_pz_2', { reason_code: null, resume_at: null });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.deepEqual([answer.body.reason_code, answer.body.resume_at], [null, null]);
      const active = await post({ mentor_id: 'mntr_pz_2', status: 'active', changed_by: 'user_coord', reason_code: null, resume_at: null });
      assert.equal(active.status, 201);
    });

    it('resume_at two calendar years ahead to the millisecond is accepted, with any zone offset', async () => {
      const latest = new Date(NOW);
      latest.setUTCFullYear(latest.getUTCFullYear() + 2);
      const answer = await pause('mntr_pz_3', { resume_at: '2032-03-01T13:00:00+01:00' });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.resume_at, latest.toISOString());
      assert.equal((await post({ mentor_id: 'mntr_pz_3', status: 'active', changed_by: 'user_coord' })).status, 201);
    });

    for (const [what, extra, fields, status] of [
      ['a resume_at in the past', { resume_at: '2030-02-28T12:00:00Z' }, ['resume_at'], 'paused'],
      ['a resume_at of exactly now', { resume_at: NOW }, ['resume_at'], 'paused'],
      ['a resume_at one millisecond past two years', { resume_at: '2032-03-01T12:00:00.001Z' }, ['resume_at'], 'paused'],
      ['a resume_at without a zone', { resume_at: '2030-04-01T12:00:00' }, ['resume_at'], 'paused'],
      ['a resume_at that is no date', { resume_at: '2030-02-30T12:00:00Z' }, ['resume_at'], 'paused'],
      ['a numeric resume_at', { resume_at: 1893456000000 }, ['resume_at'], 'paused'],
      ['a resume_at on an activation', { resume_at: '2030-04-01T12:00:00Z' }, ['resume_at'], 'active'],
      ['a reason_code on an activation', { reason_code: 'personal_leave' }, ['reason_code'], 'active'],
      ['both on an activation', { reason_code: 'personal_leave', resume_at: '2030-04-01T12:00:00Z' }, ['reason_code', 'resume_at'], 'active'],
      ['a reason_code in capitals', { reason_code: 'Personal_leave' }, ['reason_code'], 'paused'],
      ['a reason_code with spaces', { reason_code: 'personal leave' }, ['reason_code'], 'paused'],
      ['a reason_code of 65 characters', { reason_code: `a${'b'.repeat(64)}` }, ['reason_code'], 'paused'],
      ['an empty reason_code', { reason_code: '' }, ['reason_code'], 'paused'],
      ['a numeric reason_code', { reason_code: 7 }, ['reason_code'], 'paused'],
    ] as const) {
      it(`${what} is 400 naming ${fields.join(' and ')}, and writes nothing`, async () => {
        await feed.skipToEnd();
        const before = await storedCount();
        assertProblem(await post({ mentor_id: 'mntr_pz_bad', status, reason: 'Away', changed_by: 'user_coord', ...extra }), 400, [...fields]);
        assert.equal(await storedCount(), before);
        assert.deepEqual(await feed.next(), []);
      });
    }

    it('an unregistered reason_code is 422 naming it, writes nothing and emits nothing', async () => {
      await feed.skipToEnd();
      const before = await storedCount();
      const refused = await pause('mntr_pz_bad', { reason_code: 'gap_year' });
      assertProblem(refused, 422, ['reason_code']);
      assert.equal(refused.body.type, '/problems/unknown-reason-code');
      assert.equal(refused.body.reason_code, 'gap_year');
      assert.match(refused.body.detail, /'gap_year'/);
      assert.equal(await storedCount(), before);
      assert.deepEqual(await feed.next(), []);
    });

    it('an unknown mentor is still 422 naming mentor_id, whatever the code', async () => {
      assertProblem(await pause('mntr_pz_nobody', { reason_code: 'gap_year' }), 422, ['mentor_id']);
    });
  });

  describe('the audit log filtered by reason_code', () => {
    let ids: string[];
    before(async () => {
      await profile('mntr_pz_list');
      ids = [];
      for (const reasonCode of ['capacity', 'capacity', 'personal_leave', 'capacity']) {
        const paused = await pause('mntr_pz_list', { reason_code: reasonCode });
        assert.equal(paused.status, 201);
        ids.push(paused.body.mentor_status_id);
        assert.equal((await post({ mentor_id: 'mntr_pz_list', status: 'active', changed_by: 'user_coord' })).status, 201);
      }
    });

    it('lists only the records with that code, newest first, combined with the other filters', async () => {
      const list = async (query: string) =>
        (await request(t.http).get(`${BASE}?${query}`)).body.data.map((row: { mentor_status_id: string }) => row.mentor_status_id);
      assert.deepEqual(await list('reason_code=capacity'), [ids[3], ids[1], ids[0]]);
      assert.deepEqual(await list('reason_code=capacity&mentor_id=mntr_pz_list&status=paused'), [ids[3], ids[1], ids[0]]);
      assert.deepEqual(await list('reason_code=capacity&status=active'), []);
      assert.deepEqual(await list('reason_code=personal_leave&changed_by=user_coord'), [ids[2]]);
      assert.deepEqual(await list('reason_code=not_registered'), []);
      assertProblem(await request(t.http).get(`${BASE}?reason_code=Capacity`), 400, ['reason_code']);
    });

    it('pages by cursor within the filter; a cursor made for another reason_code, or for none, is 400 naming cursor', async () => {
      const first = await request(t.http).get(`${BASE}?reason_code=capacity&limit=2`);
      assert.equal(first.body.pagination.total, 3);
      const cursor = first.body.pagination.next_cursor as string;
      const second = await request(t.http).get(`${BASE}?reason_code=capacity&limit=2&cursor=${cursor}`);
      assert.deepEqual(
        second.body.data.map((row: { mentor_status_id: string }) => row.mentor_status_id),
        [ids[0]],
      );
      assertProblem(await request(t.http).get(`${BASE}?reason_code=personal_leave&limit=2&cursor=${cursor}`), 400, ['cursor']);
      assertProblem(await request(t.http).get(`${BASE}?limit=2&cursor=${cursor}`), 400, ['cursor']);
    });

    it('the filter is served by an index in the list order', async () => {
      const client = await t.db.connect();
      try {
        await client.query('ANALYZE mentor_status_records');
        await client.query('BEGIN');
        await client.query('SET LOCAL enable_seqscan = off');
        const { rows } = await client.query(
          `EXPLAIN SELECT id FROM mentor_status_records r WHERE r.deleted_at IS NULL AND r.reason_code = $1 ORDER BY r.changed_at DESC, r.id DESC LIMIT 21`,
          ['capacity'],
        );
        const plan = rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
        assert.match(plan, /mentor_status_records_reason_code_idx/);
        assert.doesNotMatch(plan, /Sort/);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });
  });

  describe('PUT corrects reason, reason_code and resume_at', () => {
    let paused: { mentor_status_id: string };
    let active: { mentor_status_id: string };
    before(async () => {
      paused = (await pause('mntr_pz_4', { reason: 'Leave', reason_code: 'personal_leave', resume_at: at(3 * DAY) })).body;
      active = (await post({ mentor_id: 'mntr_pz_4', status: 'active', changed_by: 'user_coord' })).body;
      paused = (await pause('mntr_pz_4', { reason: 'Leave again' })).body;
      await feed.skipToEnd();
    });

    it('corrects all three together, answers with them and records mentor.status.corrected with the record as GET shows it', async () => {
      const resumeAt = at(30 * DAY);
      const answer = await put(paused.mentor_status_id, { reason: 'Parental leave', reason_code: 'parental_leave', resume_at: resumeAt });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(answer.body, {
        mentor_status_id: paused.mentor_status_id,
        reason: 'Parental leave',
        reason_code: 'parental_leave',
        resume_at: resumeAt,
        updated_at: answer.body.updated_at,
      });
      const got = (await request(t.http).get(`${BASE}/${paused.mentor_status_id}`)).body;
      assert.deepEqual([got.reason, got.reason_code, got.resume_at], ['Parental leave', 'parental_leave', resumeAt]);
      const events = await feed.next();
      assert.deepEqual(
        events.map((event) => event.type),
        ['mentor.status.corrected'],
      );
      assert.deepEqual(events[0].data, got);
      const [view] = (await request(t.http).get(`/api/v1/chapters/${CHAPTER}/mentors/paused`)).body.data.filter(
        (row: { mentor_id: string }) => row.mentor_id === 'mntr_pz_4',
      );
      assert.equal(view.resumes_at, resumeAt);
    });

    it('corrects one field and leaves the others; the same values again emit nothing', async () => {
      const answer = await put(paused.mentor_status_id, { resume_at: null });
      assert.equal(answer.status, 200);
      assert.deepEqual([answer.body.reason, answer.body.reason_code, answer.body.resume_at], ['Parental leave', 'parental_leave', null]);
      assert.deepEqual(
        (await feed.next()).map((event) => event.type),
        ['mentor.status.corrected'],
      );
      assert.equal((await put(paused.mentor_status_id, { reason_code: 'parental_leave', resume_at: null })).status, 200);
      assert.deepEqual(await feed.next(), []);
      const cleared = await put(paused.mentor_status_id, { reason_code: null });
      assert.equal(cleared.body.reason_code, null);
      assert.equal(cleared.body.reason, 'Parental leave');
      assert.deepEqual(
        (await feed.next()).map((event) => event.data.reason_code),
        [null],
      );
    });

    for (const [what, body, fields] of [
      ['an empty body', {}, ['body']],
      ['a past resume_at', { resume_at: '2030-02-01T00:00:00Z' }, ['resume_at']],
      ['a resume_at of now', { resume_at: NOW }, ['resume_at']],
      ['a resume_at beyond two years', { resume_at: '2032-03-01T12:00:00.001Z' }, ['resume_at']],
      ['a malformed reason_code', { reason_code: 'parental-leave' }, ['reason_code']],
      ['a null reason on a pause', { reason: null }, ['reason']],
      ['a status', { status: 'active' }, ['status']],
    ] as const) {
      it(`${what} is 400 naming ${fields.join(', ')} and changes nothing`, async () => {
        const before = await storedRecord(paused.mentor_status_id);
        assertProblem(await put(paused.mentor_status_id, body), 400, [...fields]);
        assert.deepEqual(await storedRecord(paused.mentor_status_id), before);
        assert.deepEqual(await feed.next(), []);
      });
    }

    it('on an active record, reason_code and resume_at may only be null', async () => {
      assertProblem(await put(active.mentor_status_id, { resume_at: at(DAY) }), 400, ['resume_at']);
      assertProblem(await put(active.mentor_status_id, { reason_code: 'personal_leave' }), 400, ['reason_code']);
      const answer = await put(active.mentor_status_id, { reason: 'Back', reason_code: null, resume_at: null });
      assert.equal(answer.status, 200);
      assert.deepEqual([answer.body.reason, answer.body.reason_code, answer.body.resume_at], ['Back', null, null]);
      assert.deepEqual(
        (await feed.next()).map((event) => [event.type, event.data.reason]),
        [['mentor.status.corrected', 'Back']],
      );
    });

    it('an unregistered reason_code is 422 naming it and changes nothing', async () => {
      const before = await storedRecord(paused.mentor_status_id);
      const refused = await put(paused.mentor_status_id, { reason: 'Changed', reason_code: 'gap_year' });
      assertProblem(refused, 422, ['reason_code']);
      assert.equal(refused.body.reason_code, 'gap_year');
      assert.deepEqual(await storedRecord(paused.mentor_status_id), before);
      assert.deepEqual(await feed.next(), []);
    });
  });
});
