import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { Sql } from '../../src/database/sql.js';
import { seedDemoData } from '../../src/database/seed/demo-data.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const CHAPTER = 'chpt_view';
const ACTIVE_KEYS = ['chapter_id', 'full_name', 'is_eligible_for_assignment', 'mentor_id', 'status'];
const PAUSED_KEYS = [
  'chapter_id',
  'full_name',
  'is_eligible_for_assignment',
  'mentor_id',
  'pause_reason',
  'pause_reason_code',
  'paused_at',
  'resumes_at',
  'status',
];

interface Change {
  mentor_status_id: string;
  changed_at: string;
}

describe('chapter mentors /api/v1/chapters/:chapter_id/mentors', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const profile = async (mentorId: string, fullName: string, chapterId = CHAPTER) => {
    const response = await request(t.http).put(`/api/v1/mentors/${mentorId}`).send({ full_name: fullName, chapter_id: chapterId });
    assert.equal(response.status, 201);
  };
  const change = async (mentorId: string, status: string, reason?: string): Promise<Change> => {
    const response = await request(t.http)
      .post('/api/v1/mentor-statuses')
      .send({ mentor_id: mentorId, status, changed_by: 'user_coord', ...(reason !== undefined && { reason }) });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  };
  const list = (which: 'active' | 'paused', chapterId = CHAPTER, query = '') => request(t.http).get(`/api/v1/chapters/${chapterId}/mentors/${which}${query}`);
  const mentorIds = async (which: 'active' | 'paused', query = '') => {
    const response = await list(which, CHAPTER, query);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.data.map((row: { mentor_id: string }) => row.mentor_id);
  };

  let carlPause: Change;
  let flipPause: Change;
  let flipReturn: Change;
  before(async () => {
    await profile('cm_b', 'Bea Zulu');
    await profile('cm_a2', 'Ada Byron');
    await profile('cm_a1', 'Ada Byron');
    await profile('cm_p', 'Carl Paused');
    await profile('cm_none', 'Nora Norecord');
    await profile('cm_flip', 'Flip Flop');
    await profile('cm_other', 'Otto Elsewhere', 'chpt_other');
    await change('cm_b', 'active');
    await change('cm_a2', 'active');
    await change('cm_a1', 'active');
    carlPause = await change('cm_p', 'paused', 'Sabbatical');
    await change('cm_flip', 'active');
    flipPause = await change('cm_flip', 'paused', 'Travel');
    flipReturn = await change('cm_flip', 'active');
    await change('cm_other', 'active');
  });

  it("active lists the chapter's active mentors by full_name, then mentor_id, in the contract shape", async () => {
    const response = await list('active');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.pagination, { page: 1, limit: 20, total: 4, total_exact: true, next_cursor: null });
    assert.deepEqual(
      response.body.data.map((row: { mentor_id: string }) => row.mentor_id),
      ['cm_a1', 'cm_a2', 'cm_b', 'cm_flip'],
    );
    for (const row of response.body.data) assert.deepEqual(Object.keys(row).sort(), ACTIVE_KEYS);
    assert.deepEqual(response.body.data[2], {
      mentor_id: 'cm_b',
      full_name: 'Bea Zulu',
      chapter_id: CHAPTER,
      status: 'active',
      is_eligible_for_assignment: true,
    });
  });

  it("paused lists the chapter's paused mentors with paused_at and pause_reason of the pausing record", async () => {
    const response = await list('paused');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      data: [
        {
          mentor_id: 'cm_p',
          full_name: 'Carl Paused',
          chapter_id: CHAPTER,
          status: 'paused',
          paused_at: carlPause.changed_at,
          pause_reason: 'Sabbatical',
          pause_reason_code: null,
          resumes_at: null,
          is_eligible_for_assignment: false,
        },
      ],
      pagination: { page: 1, limit: 20, total: 1, total_exact: true, next_cursor: null },
    });
    assert.deepEqual(Object.keys(response.body.data[0]).sort(), PAUSED_KEYS);
  });

  it('a mentor without a status record is in neither list', async () => {
    assert.ok(!(await mentorIds('active')).includes('cm_none'));
    assert.ok(!(await mentorIds('paused')).includes('cm_none'));
  });

  it('a corrected reason shows as the pause_reason', async () => {
    const corrected = await request(t.http).put(`/api/v1/mentor-statuses/${carlPause.mentor_status_id}`).send({ reason: 'Sabbatical, until June' });
    assert.equal(corrected.status, 200);
    const response = await list('paused');
    assert.equal(response.body.data[0].pause_reason, 'Sabbatical, until June');
  });

  it('deleting the latest record moves the mentor back to the list of the previous one', async () => {
    assert.equal((await request(t.http).delete(`/api/v1/mentor-statuses/${flipReturn.mentor_status_id}`)).status, 200);
    assert.deepEqual(await mentorIds('active'), ['cm_a1', 'cm_a2', 'cm_b']);
    const paused = await list('paused');
    assert.deepEqual(
      paused.body.data.map((row: { mentor_id: string }) => row.mentor_id),
      ['cm_p', 'cm_flip'],
    );
    assert.equal(paused.body.data[1].paused_at, flipPause.changed_at);
    assert.equal(paused.body.data[1].pause_reason, 'Travel');

    assert.equal((await request(t.http).delete(`/api/v1/mentor-statuses/${flipPause.mentor_status_id}`)).status, 200);
    assert.deepEqual(await mentorIds('active'), ['cm_a1', 'cm_a2', 'cm_b', 'cm_flip']);
    assert.deepEqual(await mentorIds('paused'), ['cm_p']);
  });

  it('pages, and a page past the end is empty with the true total', async () => {
    const second = await list('active', CHAPTER, '?limit=2&page=2');
    assert.deepEqual(second.body, {
      data: [
        { mentor_id: 'cm_b', full_name: 'Bea Zulu', chapter_id: CHAPTER, status: 'active', is_eligible_for_assignment: true },
        { mentor_id: 'cm_flip', full_name: 'Flip Flop', chapter_id: CHAPTER, status: 'active', is_eligible_for_assignment: true },
      ],
      pagination: { page: 2, limit: 2, total: 4, total_exact: true, next_cursor: null },
    });
    assert.deepEqual((await list('active', CHAPTER, '?limit=2&page=3')).body, {
      data: [],
      pagination: { page: 3, limit: 2, total: 4, total_exact: true, next_cursor: null },
    });
    assert.deepEqual((await list('paused', CHAPTER, '?page=2')).body, {
      data: [],
      pagination: { page: 2, limit: 20, total: 1, total_exact: true, next_cursor: null },
    });
  });

  it('an unknown chapter gives empty lists', async () => {
    for (const which of ['active', 'paused'] as const) {
      const response = await list(which, 'chpt_unknown');
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, { data: [], pagination: { page: 1, limit: 20, total: 0, total_exact: true, next_cursor: null } });
    }
  });

  it('answers on the doubled contract path too', async () => {
    for (const which of ['active', 'paused'] as const) {
      const doubled = await request(t.http).get(`/api/v1/mentor-statuses/api/v1/chapters/${CHAPTER}/mentors/${which}`);
      assert.equal(doubled.status, 200);
      assert.deepEqual(doubled.body, (await list(which)).body);
    }
  });

  for (const [path, field] of [
    ['/api/v1/chapters/a%20b/mentors/active', 'chapter_id'],
    [`/api/v1/chapters/${'c'.repeat(65)}/mentors/paused`, 'chapter_id'],
    [`/api/v1/chapters/${CHAPTER}/mentors/active?limit=101`, 'limit'],
    [`/api/v1/chapters/${CHAPTER}/mentors/paused?page=0`, 'page'],
    [`/api/v1/chapters/${CHAPTER}/mentors/active?limit=ten`, 'limit'],
    [`/api/v1/chapters/${CHAPTER}/mentors/paused?order=name`, 'order'],
  ]) {
    it(`${path} → 400 naming ${field}`, async () => {
      assertProblem(await request(t.http).get(path), 400, [field]);
    });
  }

  describe('eligibility: active suppressions', () => {
    const ELIGIBILITY = 'chpt_elig';
    const suppress = (mentorId: string) =>
      request(t.http).post('/api/v1/mentor-suppressions').send({ mentor_id: mentorId, coordinator_id: 'coord_x', reason: 'certification_expired' });
    const restore = (mentorId: string) => request(t.http).put(`/api/v1/mentor-suppressions/${mentorId}`).send({ is_active: false });
    const rows = async (which: 'active' | 'paused', query = '') => {
      const response = await list(which, ELIGIBILITY, query);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.data.map((row: { mentor_id: string; is_eligible_for_assignment: boolean }) => [row.mentor_id, row.is_eligible_for_assignment]);
    };

    before(async () => {
      await profile('el_ann', 'Ann Able', ELIGIBILITY);
      await profile('el_ben', 'Ben Busy', ELIGIBILITY);
      await profile('el_pia', 'Pia Paused', ELIGIBILITY);
      await change('el_ann', 'active');
      await change('el_ben', 'active');
      await change('el_pia', 'paused', 'Leave');
    });

    it('suppressing an active mentor removes them from the active list at once; restoring brings them back', async () => {
      assert.deepEqual(await rows('active'), [
        ['el_ann', true],
        ['el_ben', true],
      ]);
      assert.equal((await suppress('el_ben')).status, 201);
      assert.deepEqual(await rows('active'), [['el_ann', true]]);
      assert.equal((await list('active', ELIGIBILITY)).body.pagination.total, 1);
      assert.equal((await restore('el_ben')).status, 200);
      assert.deepEqual(await rows('active'), [
        ['el_ann', true],
        ['el_ben', true],
      ]);
    });

    it('include_ineligible=true lists suppressed active mentors with is_eligible_for_assignment false', async () => {
      assert.equal((await suppress('el_ann')).status, 201);
      try {
        assert.deepEqual(await rows('active', '?include_ineligible=true'), [
          ['el_ann', false],
          ['el_ben', true],
        ]);
        assert.deepEqual(await rows('active', '?include_ineligible=false'), [['el_ben', true]]);
        assert.equal((await list('active', ELIGIBILITY, '?include_ineligible=true')).body.pagination.total, 2);
      } finally {
        assert.equal((await restore('el_ann')).status, 200);
      }
    });

    it('a suppressed paused mentor stays in the paused list, never eligible', async () => {
      assert.equal((await suppress('el_pia')).status, 201);
      assert.deepEqual(await rows('paused'), [['el_pia', false]]);
    });

    it('include_ineligible takes only true or false', async () => {
      assertProblem(await list('active', ELIGIBILITY, '?include_ineligible=yes'), 400, ['include_ineligible']);
      assertProblem(await list('paused', ELIGIBILITY, '?include_ineligible=true'), 400, ['include_ineligible']);
    });
  });

  describe('demo data', () => {
    before(async () => {
      await seedDemoData(t.app.get(Sql));
      await seedDemoData(t.app.get(Sql));
    });

    it('shows Sarah and Amara active and James paused and suppressed in chpt_03AZ', async () => {
      const active = await list('active', 'chpt_03AZ');
      assert.deepEqual(
        active.body.data.map((row: { full_name: string }) => row.full_name),
        ['Amara Diallo', 'Sarah Chen'],
      );
      const paused = await list('paused', 'chpt_03AZ');
      assert.deepEqual(paused.body.data, [
        {
          mentor_id: 'mntr_02BY7M3RL',
          full_name: 'James Okafor',
          chapter_id: 'chpt_03AZ',
          status: 'paused',
          paused_at: '2026-03-02T01:00:03.000Z',
          pause_reason: 'Certification expired',
          pause_reason_code: 'certification_expired',
          resumes_at: null,
          is_eligible_for_assignment: false,
        },
      ]);
      const suppression = await request(t.http).get('/api/v1/mentor-suppressions/mntr_02BY7M3RL');
      assert.equal(suppression.status, 200);
      assert.equal(suppression.body.is_active, true);
      assert.equal(suppression.body.reason, 'certification_expired');
    });

    it('gives Sarah the contract history: paused for personal leave, then active again', async () => {
      const history = await request(t.http).get('/api/v1/mentor-statuses?mentor_id=mntr_01HX4V2K8P');
      assert.deepEqual(
        history.body.data.map((row: { status: string; changed_at: string; reason: string | null }) => [row.status, row.changed_at, row.reason]),
        [
          ['active', '2026-03-10T09:00:00.000Z', null],
          ['paused', '2026-02-14T10:00:00.000Z', 'Personal leave'],
        ],
      );
      const latest = await request(t.http).get(`/api/v1/mentor-statuses/${history.body.data[0].mentor_status_id}`);
      assert.equal(latest.status, 200);
      assert.equal(latest.body.previous_status, 'paused');
      assert.equal(latest.body.changed_by, 'user_coord_99XZ');
    });
  });
});
