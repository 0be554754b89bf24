import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertOneSuppressionWon, assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const BASE = '/api/v1/mentor-suppressions';
const CONTRACT_KEYS = ['coordinator_id', 'is_active', 'mentor_id', 'reason', 'recorded_by', 'restored_at', 'suppressed_at', 'suppression_id'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface Suppression {
  suppression_id: string;
  mentor_id: string;
  coordinator_id: string;
  reason: string;
  suppressed_at: string;
  restored_at: string | null;
  is_active: boolean;
  restore_reason?: string;
}

describe('mentor suppressions /api/v1/mentor-suppressions', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '2048' });
  });
  after(() => t.close());

  const profile = async (mentorId: string) => {
    const response = await request(t.http).put(`/api/v1/mentors/${mentorId}`).send({ full_name: mentorId, chapter_id: 'chpt_supp' });
    assert.ok([200, 201].includes(response.status));
  };
  const suppress = (body: unknown) =>
    request(t.http)
      .post(BASE)
      .send(body as object);
  const update = (mentorId: string, body: unknown) =>
    request(t.http)
      .put(`${BASE}/${mentorId}`)
      .send(body as object);
  const current = (mentorId: string) => request(t.http).get(`${BASE}/${mentorId}`);
  const list = (query: string) => request(t.http).get(`${BASE}?${query}`);
  /** A mentor with a profile and one fresh active suppression. */
  const suppressed = async (mentorId: string, reason = 'certification_expired'): Promise<Suppression> => {
    await profile(mentorId);
    const response = await suppress({ mentor_id: mentorId, coordinator_id: 'coord_test', reason });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  };
  /** History written straight into the table, for times the API would not let a test choose. */
  const insertRow = async (row: { id?: string; mentor: string; coordinator?: string; reason?: string; suppressedAt: string; restoredAt?: string }) => {
    const { rows } = await t.db.query(
      `INSERT INTO mentor_suppressions (id, mentor_id, coordinator_id, reason, suppressed_at, restored_at, is_active)
       VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $6::timestamptz IS NULL) RETURNING id`,
      [row.id ?? null, row.mentor, row.coordinator ?? 'coord_test', row.reason ?? 'certification_expired', row.suppressedAt, row.restoredAt ?? null],
    );
    return rows[0].id as string;
  };
  const rowsOf = async (mentorId: string) =>
    (await t.db.query('SELECT * FROM mentor_suppressions WHERE mentor_id = $1 ORDER BY suppressed_at', [mentorId])).rows;

  describe('POST', () => {
    it("answers the contract's example request with 201 and exactly the contract's fields", async () => {
      await profile('mentor_james_okafor');
      const before = Date.now();
      const response = await suppress({ mentor_id: 'mentor_james_okafor', coordinator_id: 'coord_maya_patel', reason: 'certification_expired' });
      assert.equal(response.status, 201);
      assert.deepEqual(Object.keys(response.body).sort(), CONTRACT_KEYS);
      assert.match(response.body.suppression_id, UUID);
      assert.equal(response.body.mentor_id, 'mentor_james_okafor');
      assert.equal(response.body.coordinator_id, 'coord_maya_patel');
      assert.equal(response.body.reason, 'certification_expired');
      assert.match(response.body.suppressed_at, ISO_UTC);
      const suppressedAt = Date.parse(response.body.suppressed_at);
      assert.ok(suppressedAt >= before - 1000 && suppressedAt <= Date.now() + 1000, 'suppressed_at is the server time');
      assert.equal(response.body.restored_at, null);
      assert.equal(response.body.is_active, true);

      const [row] = await rowsOf('mentor_james_okafor');
      assert.equal(row.id, response.body.suppression_id);
      assert.equal(row.is_active, true);

      const read = await current('mentor_james_okafor');
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, response.body);
      const doubled = await request(t.http).get(`${BASE}/api/v1/mentor-suppressions/mentor_james_okafor`);
      assert.deepEqual(doubled.body, response.body, 'the path as printed in the contract works too');
    });

    it('while one is active, a second POST is 409 naming the existing suppression and writes nothing', async () => {
      const first = await suppressed('m_twice');
      const second = await suppress({ mentor_id: 'm_twice', coordinator_id: 'coord_other', reason: 'conduct_review' });
      assertProblem(second, 409);
      assert.equal(second.body.type, '/problems/active-suppression-exists');
      assert.equal(second.body.suppression_id, first.suppression_id);
      assert.ok(second.body.detail.includes(first.suppression_id));
      assert.equal((await rowsOf('m_twice')).length, 1);
    });

    it('twelve concurrent POSTs for one mentor give exactly one 201 and eleven 409s naming the winner', async () => {
      await profile('m_race');
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => suppress({ mentor_id: 'm_race', coordinator_id: `coord_${i}`, reason: 'certification_expired' })),
      );
      const winner = assertOneSuppressionWon(answers);
      const rows = await rowsOf('m_race');
      assert.equal(rows.length, 1);
      assert.equal(rows.filter((row) => row.is_active).length, 1);
      assert.equal(rows[0].id, winner.body.suppression_id);
    });

    it('after a restore the mentor can be suppressed again, and the restored one stays as history', async () => {
      const first = await suppressed('m_again');
      assert.equal((await update('m_again', { is_active: false })).status, 200);
      const second = await suppress({ mentor_id: 'm_again', coordinator_id: 'coord_test', reason: 'conduct_review' });
      assert.equal(second.status, 201);
      assert.notEqual(second.body.suppression_id, first.suppression_id);
      const history = await list('mentor_id=m_again');
      assert.deepEqual(
        history.body.data.map((s: Suppression) => [s.suppression_id, s.is_active]),
        [
          [second.body.suppression_id, true],
          [first.suppression_id, false],
        ],
      );
    });
  });

  describe('GET /:mentor_id', () => {
    it('gives the most recently made restored suppression when none is active, else the active one', async () => {
      await profile('m_current');
      await insertRow({ mentor: 'm_current', reason: 'older', suppressedAt: '2026-01-01T00:00:00Z', restoredAt: '2026-03-01T00:00:00Z' });
      const recent = await insertRow({ mentor: 'm_current', reason: 'newer', suppressedAt: '2026-02-01T00:00:00Z', restoredAt: '2026-02-02T00:00:00Z' });
      const restored = await current('m_current');
      assert.equal(restored.status, 200);
      assert.equal(restored.body.suppression_id, recent);
      assert.equal(restored.body.is_active, false);
      assert.equal(restored.body.restored_at, '2026-02-02T00:00:00.000Z');

      const active = await suppress({ mentor_id: 'm_current', coordinator_id: 'coord_test', reason: 'conduct_review' });
      assert.equal((await current('m_current')).body.suppression_id, active.body.suppression_id);
    });

    it('is 404 for a mentor never suppressed, with or without a profile', async () => {
      await profile('m_clean');
      assertProblem(await current('m_clean'), 404);
      assertProblem(await current('m_no_profile'), 404);
    });
  });

  describe('PUT /:mentor_id', () => {
    it("restores with the contract's example request and answers the full suppression", async () => {
      await profile('m_contract_put');
      const id = await insertRow({ mentor: 'm_contract_put', coordinator: 'coord_maya_patel', suppressedAt: '2026-03-26T00:01:00Z' });
      const response = await update('m_contract_put', { is_active: false, restored_at: '2026-04-16T09:00:00Z', restore_reason: 'certification_renewed' });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, {
        suppression_id: id,
        mentor_id: 'm_contract_put',
        coordinator_id: 'coord_maya_patel',
        reason: 'certification_expired',
        suppressed_at: '2026-03-26T00:01:00.000Z',
        restored_at: '2026-04-16T09:00:00.000Z',
        is_active: false,
        restore_reason: 'certification_renewed',
        recorded_by: null,
      });
      const [row] = await rowsOf('m_contract_put');
      assert.equal(row.is_active, false);
      assert.equal(row.restored_at.toISOString(), '2026-04-16T09:00:00.000Z');
      assert.equal(row.restore_reason, 'certification_renewed');
    });

    it('restored_at defaults to now, and restore_reason stays absent when not given', async () => {
      const suppression = await suppressed('m_default_restore');
      const before = Date.now();
      const response = await update('m_default_restore', { is_active: false });
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), CONTRACT_KEYS);
      assert.equal(response.body.suppression_id, suppression.suppression_id);
      assert.equal(response.body.is_active, false);
      assert.match(response.body.restored_at, ISO_UTC);
      const restoredAt = Date.parse(response.body.restored_at);
      assert.ok(restoredAt >= before - 1000 && restoredAt <= Date.now() + 1000);
      assert.ok(restoredAt >= Date.parse(response.body.suppressed_at));
    });

    it('rejects a restored_at before suppressed_at or in the future with 400, and changes nothing', async () => {
      const suppression = await suppressed('m_bad_restore');
      const early = new Date(Date.parse(suppression.suppressed_at) - 1).toISOString();
      assertProblem(await update('m_bad_restore', { is_active: false, restored_at: early }), 400, ['restored_at']);
      const future = new Date(Date.now() + 60_000).toISOString();
      assertProblem(await update('m_bad_restore', { is_active: false, restored_at: future }), 400, ['restored_at']);
      const [row] = await rowsOf('m_bad_restore');
      assert.equal(row.is_active, true);
      assert.equal(row.restored_at, null);
    });

    it('accepts restored_at equal to suppressed_at', async () => {
      const suppression = await suppressed('m_same_instant');
      const response = await update('m_same_instant', { is_active: false, restored_at: suppression.suppressed_at });
      assert.equal(response.status, 200);
      assert.equal(response.body.restored_at, suppression.suppressed_at);
    });

    it('a repeated restore succeeds unchanged, and may correct restored_at and restore_reason', async () => {
      await suppressed('m_repeat');
      const first = await update('m_repeat', { is_active: false, restore_reason: 'certification_renewed' });
      const again = await update('m_repeat', { is_active: false });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, first.body);

      const corrected = await update('m_repeat', { is_active: false, restored_at: first.body.suppressed_at, restore_reason: 'review_cleared' });
      assert.equal(corrected.status, 200);
      assert.equal(corrected.body.restored_at, first.body.suppressed_at);
      assert.equal(corrected.body.restore_reason, 'review_cleared');
      const [row] = await rowsOf('m_repeat');
      assert.equal(row.restore_reason, 'review_cleared');
    });

    it('re-activating a restored suppression is 409 and leaves it restored', async () => {
      const suppression = await suppressed('m_reactivate');
      await update('m_reactivate', { is_active: false });
      const response = await update('m_reactivate', { is_active: true });
      assertProblem(response, 409);
      assert.equal(response.body.type, '/problems/suppression-restored');
      assert.equal(response.body.suppression_id, suppression.suppression_id);
      assert.match(response.body.detail, /POST/);
      const [row] = await rowsOf('m_reactivate');
      assert.equal(row.is_active, false);
    });

    it('is_active: true on an active suppression changes nothing', async () => {
      const suppression = await suppressed('m_still_active');
      const response = await update('m_still_active', { is_active: true });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, suppression);
    });

    it('restored_at or restore_reason on a suppression that stays active is 400 naming them', async () => {
      await suppressed('m_stays_active');
      const response = await update('m_stays_active', { restored_at: new Date().toISOString(), restore_reason: 'certification_renewed' });
      assertProblem(response, 400, ['restored_at', 'restore_reason']);
      assertProblem(await update('m_stays_active', { is_active: true, restore_reason: 'certification_renewed' }), 400, ['restore_reason']);
      const [row] = await rowsOf('m_stays_active');
      assert.equal(row.is_active, true);
      assert.equal(row.restore_reason, null);
    });

    it('corrects coordinator_id and reason, on an active and on a restored suppression', async () => {
      await suppressed('m_correct');
      const active = await update('m_correct', { coordinator_id: 'coord_fixed', reason: 'conduct_review' });
      assert.equal(active.status, 200);
      assert.equal(active.body.coordinator_id, 'coord_fixed');
      assert.equal(active.body.reason, 'conduct_review');
      assert.equal(active.body.is_active, true);

      await update('m_correct', { is_active: false });
      const restored = await update('m_correct', { reason: 'certification_expired' });
      assert.equal(restored.status, 200);
      assert.equal(restored.body.reason, 'certification_expired');
      assert.equal(restored.body.is_active, false);
      const [row] = await rowsOf('m_correct');
      assert.equal(row.coordinator_id, 'coord_fixed');
      assert.equal(row.reason, 'certification_expired');
    });

    it('acts on the active suppression rather than the history', async () => {
      await profile('m_put_current');
      const old = await insertRow({ mentor: 'm_put_current', suppressedAt: '2026-01-01T00:00:00Z', restoredAt: '2026-01-02T00:00:00Z' });
      const active = await suppress({ mentor_id: 'm_put_current', coordinator_id: 'coord_test', reason: 'conduct_review' });
      const response = await update('m_put_current', { is_active: false });
      assert.equal(response.body.suppression_id, active.body.suppression_id);
      const rows = await rowsOf('m_put_current');
      assert.equal(rows.find((row) => row.id === old).restored_at.toISOString(), '2026-01-02T00:00:00.000Z');
    });

    it('is 404 for a mentor never suppressed', async () => {
      await profile('m_put_none');
      assertProblem(await update('m_put_none', { is_active: false }), 404);
    });
  });

  describe('DELETE /:mentor_id', () => {
    it('permanently removes all of the mentor’s records; a second DELETE is 404', async () => {
      await suppressed('m_delete');
      await update('m_delete', { is_active: false });
      await suppress({ mentor_id: 'm_delete', coordinator_id: 'coord_test', reason: 'conduct_review' });
      const response = await request(t.http).delete(`${BASE}/m_delete`);
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, { deleted: true, mentor_id: 'm_delete' });
      assert.equal((await rowsOf('m_delete')).length, 0);
      assertProblem(await current('m_delete'), 404);
      assertProblem(await request(t.http).delete(`${BASE}/m_delete`), 404);
    });

    it('is 404 for a mentor never suppressed', async () => {
      assertProblem(await request(t.http).delete(`${BASE}/m_delete_none`), 404);
    });
  });

  describe('list', () => {
    const ids: Record<string, string> = {};
    before(async () => {
      for (const mentor of ['l_a', 'l_b', 'l_c']) await profile(mentor);
      ids.a1 = await insertRow({
        mentor: 'l_a',
        coordinator: 'coord_list_x',
        reason: 'certification_expired',
        suppressedAt: '2025-01-01T00:00:00Z',
        restoredAt: '2025-02-01T00:00:00Z',
      });
      ids.a2 = await insertRow({ mentor: 'l_a', coordinator: 'coord_list_y', reason: 'conduct_review', suppressedAt: '2025-03-01T00:00:00Z' });
      ids.b1 = await insertRow({
        id: '00000000-0000-4000-8000-000000000001',
        mentor: 'l_b',
        coordinator: 'coord_list_x',
        reason: 'conduct_review',
        suppressedAt: '2025-02-15T00:00:00Z',
      });
      ids.c1 = await insertRow({
        id: '00000000-0000-4000-8000-000000000002',
        mentor: 'l_c',
        coordinator: 'coord_list_x',
        reason: 'certification_expired',
        suppressedAt: '2025-02-15T00:00:00Z',
      });
    });
    const idsOf = (response: request.Response) => response.body.data.map((s: Suppression) => s.suppression_id);

    it('orders by suppressed_at descending, then id descending, with rows in the contract shape', async () => {
      const response = await list('coordinator_id=coord_list_x');
      assert.equal(response.status, 200);
      assert.deepEqual(idsOf(response), [ids.c1, ids.b1, ids.a1]);
      assert.deepEqual(response.body.pagination, { page: 1, limit: 20, total: 3, total_exact: true, next_cursor: null });
      assert.deepEqual(Object.keys(response.body.data[0]).sort(), CONTRACT_KEYS);
    });

    it('filters by coordinator_id, is_active, mentor_id and reason, combined with AND', async () => {
      assert.deepEqual(idsOf(await list('coordinator_id=coord_list_y')), [ids.a2]);
      assert.deepEqual(idsOf(await list('mentor_id=l_a')), [ids.a2, ids.a1]);
      assert.deepEqual(idsOf(await list('mentor_id=l_a&is_active=false')), [ids.a1]);
      assert.deepEqual(idsOf(await list('mentor_id=l_a&is_active=true')), [ids.a2]);
      assert.deepEqual(idsOf(await list('coordinator_id=coord_list_x&is_active=true')), [ids.c1, ids.b1]);
      assert.deepEqual(idsOf(await list('coordinator_id=coord_list_x&reason=conduct_review')), [ids.b1]);
      assert.deepEqual((await list('coordinator_id=coord_nobody')).body, {
        data: [],
        pagination: { page: 1, limit: 20, total: 0, total_exact: true, next_cursor: null },
      });
    });

    it('pages, and a page past the end is empty with the true total', async () => {
      const second = await list('coordinator_id=coord_list_x&limit=2&page=2');
      assert.deepEqual(idsOf(second), [ids.a1]);
      assert.deepEqual(second.body.pagination, { page: 2, limit: 2, total: 3, total_exact: true, next_cursor: null });
      const beyond = await list('coordinator_id=coord_list_x&limit=2&page=5');
      assert.deepEqual(beyond.body, { data: [], pagination: { page: 5, limit: 2, total: 3, total_exact: true, next_cursor: null } });
    });

    for (const [query, field] of [
      ['is_active=maybe', 'is_active'],
      ['is_active=1', 'is_active'],
      ['is_active=true&is_active=false', 'is_active'],
      ['reason=Certification', 'reason'],
      ['coordinator_id=a%20b', 'coordinator_id'],
      ['mentor_id=' + 'm'.repeat(65), 'mentor_id'],
      ['limit=101', 'limit'],
      ['sort=reason', 'sort'],
    ]) {
      it(`?${query} → 400 naming ${field}`, async () => {
        assertProblem(await list(query), 400, [field]);
      });
    }
  });

  describe('bad input gets a 4xx problem+json and writes nothing', () => {
    let target: Suppression;
    before(async () => {
      target = await suppressed('m_target');
      await profile('m_bad');
    });
    const post = (body: unknown) => suppress(body);
    const valid = { mentor_id: 'm_bad', coordinator_id: 'coord_test', reason: 'certification_expired' };
    const cases: [string, () => request.Test, number, string[]?][] = [
      ['POST malformed JSON', () => request(t.http).post(BASE).set('content-type', 'application/json').send('{"mentor_id":'), 400],
      ['POST an unknown property', () => post({ ...valid, is_active: false }), 400, ['is_active']],
      ['POST a reason that is not a code', () => post({ ...valid, reason: 'Certification Expired' }), 400, ['reason']],
      ['POST a reason over 64 characters', () => post({ ...valid, reason: 'r'.repeat(65) }), 400, ['reason']],
      ['POST a missing coordinator_id', () => post({ mentor_id: 'm_bad', reason: 'certification_expired' }), 400, ['coordinator_id']],
      ['POST a null mentor_id', () => post({ ...valid, mentor_id: null }), 400, ['mentor_id']],
      ['POST a bad mentor_id', () => post({ ...valid, mentor_id: 'm bad' }), 400, ['mentor_id']],
      ['POST a JSON array', () => post([valid]), 400, ['body']],
      ['POST a body over the limit', () => post({ ...valid, pad: 'x'.repeat(4096) }), 413],
      ['POST a non-JSON media type', () => request(t.http).post(BASE).set('content-type', 'text/plain').send('hello'), 415],
      ['POST for a mentor with no profile', () => post({ ...valid, mentor_id: 'm_bad_no_profile' }), 422],
      ['PUT malformed JSON', () => request(t.http).put(`${BASE}/m_target`).set('content-type', 'application/json').send('{'), 400],
      ['PUT an empty body', () => update('m_target', {}), 400, ['body']],
      ['PUT an unknown property', () => update('m_target', { is_active: false, mentor_id: 'other' }), 400, ['mentor_id']],
      ['PUT is_active as a string', () => update('m_target', { is_active: 'false' }), 400, ['is_active']],
      ['PUT restored_at that is no date', () => update('m_target', { is_active: false, restored_at: 'yesterday' }), 400, ['restored_at']],
      ['PUT restored_at without a time zone', () => update('m_target', { is_active: false, restored_at: '2026-04-16T09:00:00' }), 400, ['restored_at']],
      ['PUT restored_at as a bare date', () => update('m_target', { is_active: false, restored_at: '2026-04-16' }), 400, ['restored_at']],
      ['PUT restored_at on an impossible day', () => update('m_target', { is_active: false, restored_at: '2026-02-30T09:00:00Z' }), 400, ['restored_at']],
      ['PUT a restore_reason that is not a code', () => update('m_target', { is_active: false, restore_reason: 'Renewed!' }), 400, ['restore_reason']],
      ['PUT a null field', () => update('m_target', { is_active: false, restore_reason: null }), 400, ['restore_reason']],
      ['PUT a null coordinator_id', () => update('m_target', { coordinator_id: null }), 400, ['coordinator_id']],
      ['PUT a bad path mentor_id', () => update('m%20bad', { is_active: false }), 400, ['mentor_id']],
      ['GET a path mentor_id over 64 characters', () => current('m'.repeat(65)), 400, ['mentor_id']],
      ['DELETE a bad path mentor_id', () => request(t.http).delete(`${BASE}/m%27bad`), 400, ['mentor_id']],
    ];
    for (const [what, send, status, fields] of cases) {
      it(`${what} → ${status}`, async () => {
        assertProblem(await send(), status, fields);
      });
    }

    it('none of them wrote a row or changed the target', async () => {
      const { rows } = await t.db.query("SELECT count(*)::int AS n FROM mentor_suppressions WHERE mentor_id IN ('m_bad', 'm_bad_no_profile', 'other')");
      assert.equal(rows[0].n, 0);
      assert.deepEqual((await current('m_target')).body, target);
    });
  });

  describe('the mentor directory', () => {
    it('sees exactly the mentors with an active suppression as suppressed', async () => {
      const condition = 'd.active_suppression_id IS NOT NULL';
      const embedded = await t.db.query(`SELECT d.mentor_id FROM mentor_directory d WHERE ${condition} ORDER BY d.mentor_id`);
      const expected = await t.db.query('SELECT mentor_id FROM mentor_suppressions WHERE is_active ORDER BY mentor_id');
      assert.ok(expected.rows.length > 0);
      assert.deepEqual(embedded.rows, expected.rows);
      const negated = await t.db.query(`SELECT count(*)::int AS n FROM mentor_directory d WHERE NOT ${condition}`);
      const total = await t.db.query('SELECT count(*)::int AS n FROM mentors');
      assert.equal(negated.rows[0].n, total.rows[0].n - expected.rows.length);
    });
  });

  it('documents the six operations under the mentor-suppressions tag', async () => {
    const { body } = await request(t.http).get('/docs-json');
    const operations = Object.values(body.paths as Record<string, Record<string, { operationId: string; tags: string[] }>>)
      .flatMap((path) => Object.values(path))
      .filter((operation) => operation.tags?.includes('mentor-suppressions'))
      .map((operation) => operation.operationId)
      .sort();
    assert.deepEqual(operations, [
      'bulkCreateMentorSuppressions',
      'createMentorSuppression',
      'deleteMentorSuppression',
      'getMentorSuppression',
      'listMentorSuppressions',
      'updateMentorSuppression',
    ]);
    const schema = body.components.schemas.MentorSuppressionDto;
    assert.deepEqual([...schema.required].sort(), CONTRACT_KEYS);
    assert.equal(schema.properties.restored_at.nullable, true);
  });
});

describe('mentor suppressions in the demo data', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ DEMO_DATA: 'true' });
  });
  after(() => t.close());

  it("holds the contract's example suppression of James Okafor", async () => {
    const response = await request(t.http).get(`${BASE}/mntr_02BY7M3RL`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      suppression_id: 'c3d4e5f6-a7b8-4012-8def-123456789012',
      mentor_id: 'mntr_02BY7M3RL',
      coordinator_id: 'coord_maya_patel',
      reason: 'certification_expired',
      suppressed_at: '2026-03-26T00:01:00.000Z',
      restored_at: null,
      is_active: true,
      recorded_by: null,
    });
  });
});
