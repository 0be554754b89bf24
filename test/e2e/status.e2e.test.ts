import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const RECORD_ID = /^msr_[0-9A-HJKMNP-TV-Z]{26}$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const BASE = '/api/v1/mentor-statuses';
const UNKNOWN_ID = 'msr_01KKBFJYM0ZZZZZZZZZZZZZZZZ';

interface StoredRecord {
  id: string;
  status: string;
  reason: string | null;
  changed_at: Date;
  deleted_at: Date | null;
}

describe('mentor status records /api/v1/mentor-statuses', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '4096' });
  });
  after(() => t.close());

  const profile = async (mentorId: string) => {
    const response = await request(t.http)
      .put(`/api/v1/mentors/${mentorId}`)
      .send({ full_name: `Mentor ${mentorId}`, chapter_id: 'chpt_status' });
    assert.ok(response.status === 201 || response.status === 200);
  };
  const post = (body: unknown) =>
    request(t.http)
      .post(BASE)
      .send(body as object);
  const change = async (mentorId: string, status: string, reason?: string) => {
    const response = await post({ mentor_id: mentorId, status, changed_by: 'user_test', ...(reason !== undefined && { reason }) });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body as { mentor_status_id: string; changed_at: string };
  };
  const get = (id: string) => request(t.http).get(`${BASE}/${id}`);
  const put = (id: string, body: unknown) =>
    request(t.http)
      .put(`${BASE}/${id}`)
      .send(body as object);
  const remove = (id: string) => request(t.http).delete(`${BASE}/${id}`);
  const stored = async (mentorId: string): Promise<StoredRecord[]> =>
    (await t.db.query('SELECT id, status, reason, changed_at, deleted_at FROM mentor_status_records WHERE mentor_id = $1 ORDER BY changed_at, id', [mentorId]))
      .rows;
  const storedById = async (id: string): Promise<StoredRecord> =>
    (await t.db.query('SELECT id, status, reason, changed_at, deleted_at FROM mentor_status_records WHERE id = $1', [id])).rows[0];

  describe('POST and GET', () => {
    before(() => profile('mntr_01HX4V2K8P'));

    it('the contract example POST answers 201 with exactly the contract fields', async () => {
      const before = Date.now();
      const response = await post({ mentor_id: 'mntr_01HX4V2K8P', status: 'paused', reason: 'Personal leave', changed_by: 'user_coord_99XZ' });
      assert.equal(response.status, 201);
      assert.deepEqual(Object.keys(response.body).sort(), [
        'changed_at',
        'changed_by',
        'created_at',
        'mentor_id',
        'mentor_status_id',
        'reason',
        'reason_code',
        'recorded_by',
        'resume_at',
        'status',
      ]);
      assert.match(response.body.mentor_status_id, RECORD_ID);
      assert.equal(response.body.mentor_id, 'mntr_01HX4V2K8P');
      assert.equal(response.body.status, 'paused');
      assert.equal(response.body.reason, 'Personal leave');
      assert.equal(response.body.changed_by, 'user_coord_99XZ');
      assert.match(response.body.changed_at, TIMESTAMP);
      assert.equal(response.body.created_at, response.body.changed_at);
      assert.ok(Math.abs(Date.parse(response.body.changed_at) - before) < 60_000);

      const [row] = await stored('mntr_01HX4V2K8P');
      assert.equal(row.id, response.body.mentor_status_id);
      assert.equal(row.changed_at.toISOString(), response.body.changed_at);
    });

    it('GET returns the contract single-record shape; the first record has no previous status', async () => {
      const [row] = await stored('mntr_01HX4V2K8P');
      const response = await get(row.id);
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), [
        'changed_at',
        'changed_by',
        'created_at',
        'mentor_id',
        'mentor_status_id',
        'previous_status',
        'reason',
        'reason_code',
        'recorded_by',
        'resume_at',
        'status',
      ]);
      assert.equal(response.body.mentor_status_id, row.id);
      assert.equal(response.body.status, 'paused');
      assert.equal(response.body.reason, 'Personal leave');
      assert.equal(response.body.previous_status, null);
      assert.equal(response.body.changed_at, row.changed_at.toISOString());
      assert.match(response.body.created_at, TIMESTAMP);
    });

    it('a POST repeating the current status is a 409 no-op and writes nothing', async () => {
      const response = await post({ mentor_id: 'mntr_01HX4V2K8P', status: 'paused', reason: 'Again', changed_by: 'user_coord_99XZ' });
      assertProblem(response, 409);
      assert.equal(response.body.type, '/problems/no-op-transition');
      assert.match(response.body.detail, /already paused/);
      assert.equal((await stored('mntr_01HX4V2K8P')).length, 1);
    });

    it('a change to the other status is written, with null reason and previous_status paused', async () => {
      const created = await post({ mentor_id: 'mntr_01HX4V2K8P', status: 'active', changed_by: 'user_coord_99XZ' });
      assert.equal(created.status, 201);
      assert.equal(created.body.reason, null);
      const [first, second] = await stored('mntr_01HX4V2K8P');
      assert.equal(second.id, created.body.mentor_status_id);
      assert.ok(second.changed_at > first.changed_at);
      const read = await get(created.body.mentor_status_id);
      assert.equal(read.body.previous_status, 'paused');
      assert.equal(read.body.reason, null);

      assertProblem(await post({ mentor_id: 'mntr_01HX4V2K8P', status: 'active', changed_by: 'user_coord_99XZ' }), 409);
    });

    it('a first record may be active, with or without a reason', async () => {
      await profile('mntr_first_active');
      await profile('mntr_first_reason');
      const bare = await post({ mentor_id: 'mntr_first_active', status: 'active', changed_by: 'user_a' });
      assert.equal(bare.status, 201);
      assert.equal(bare.body.reason, null);
      const explained = await post({ mentor_id: 'mntr_first_reason', status: 'active', reason: 'Onboarded', changed_by: 'user_a' });
      assert.equal(explained.status, 201);
      assert.equal(explained.body.reason, 'Onboarded');
      const paused = await post({ mentor_id: 'mntr_first_active', status: 'paused', reason: 'Leave', changed_by: 'user_a' });
      assert.equal(paused.status, 201);
    });

    it('GET of an unknown record is 404, and a malformed id is 400 naming id', async () => {
      assertProblem(await get(UNKNOWN_ID), 404);
      assertProblem(await get('msr_A1B2C3D4'), 400, ['id']);
      assertProblem(await get(`msr_${'0'.repeat(25)}U`), 400, ['id']);
      assertProblem(await get(UNKNOWN_ID.toLowerCase()), 400, ['id']);
    });
  });

  describe('previous_status and the current status over the live history', () => {
    let records: { mentor_status_id: string }[];
    before(async () => {
      await profile('mntr_history');
      records = [];
      for (const [status, reason] of [['active'], ['paused', 'Leave'], ['active'], ['paused', 'Sick']]) {
        records.push(await change('mntr_history', status, reason));
      }
    });

    it('each record names the status of the one before it', async () => {
      const previous = await Promise.all(records.map(async (record) => (await get(record.mentor_status_id)).body.previous_status));
      assert.deepEqual(previous, [null, 'active', 'paused', 'active']);
    });

    it('a soft delete in the middle makes the next record point past it', async () => {
      assert.equal((await remove(records[1].mentor_status_id)).status, 200);
      assert.equal((await get(records[2].mentor_status_id)).body.previous_status, 'active');
      assert.equal((await get(records[3].mentor_status_id)).body.previous_status, 'active');
    });

    it('deleting the latest record makes the previous live one current again', async () => {
      assert.equal((await remove(records[3].mentor_status_id)).status, 200);
      assertProblem(await post({ mentor_id: 'mntr_history', status: 'active', changed_by: 'user_test' }), 409);
      const paused = await change('mntr_history', 'paused', 'Back to leave');
      assert.equal((await get(paused.mentor_status_id)).body.previous_status, 'active');
      const live = (await stored('mntr_history')).filter((row) => row.deleted_at === null);
      assert.deepEqual(
        live.map((row) => row.status),
        ['active', 'active', 'paused'],
      );
    });
  });

  describe('PUT corrects the reason only', () => {
    let paused: { mentor_status_id: string };
    let active: { mentor_status_id: string };
    before(async () => {
      await profile('mntr_put');
      paused = await change('mntr_put', 'paused', 'Personal leave');
      active = await change('mntr_put', 'active', 'Returned');
    });

    it('the contract example answers with mentor_status_id, reason and updated_at', async () => {
      const response = await put(paused.mentor_status_id, { reason: 'Personal leave — extended by 2 weeks' });
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), ['mentor_status_id', 'reason', 'reason_code', 'resume_at', 'updated_at']);
      assert.equal(response.body.mentor_status_id, paused.mentor_status_id);
      assert.equal(response.body.reason, 'Personal leave — extended by 2 weeks');
      assert.match(response.body.updated_at, TIMESTAMP);
      assert.equal((await storedById(paused.mentor_status_id)).reason, 'Personal leave — extended by 2 weeks');
      assert.equal((await get(paused.mentor_status_id)).body.reason, 'Personal leave — extended by 2 weeks');
    });

    it('null clears the reason of an active record', async () => {
      const response = await put(active.mentor_status_id, { reason: null });
      assert.equal(response.status, 200);
      assert.equal(response.body.reason, null);
      assert.equal((await storedById(active.mentor_status_id)).reason, null);
    });

    it('null on a paused record is 400 and changes nothing', async () => {
      assertProblem(await put(paused.mentor_status_id, { reason: null }), 400, ['reason']);
      assert.equal((await storedById(paused.mentor_status_id)).reason, 'Personal leave — extended by 2 weeks');
    });

    for (const [what, body, field] of [
      ['status', { reason: 'x', status: 'active' }, 'status'],
      ['mentor_id', { reason: 'x', mentor_id: 'mntr_other' }, 'mentor_id'],
      ['changed_at', { changed_at: '2020-01-01T00:00:00Z' }, 'changed_at'],
      ['changed_by', { changed_by: 'user_evil' }, 'changed_by'],
    ] as const) {
      it(`a PUT touching ${what} is 400 and changes nothing`, async () => {
        const beforeRow = await storedById(paused.mentor_status_id);
        const response = await put(paused.mentor_status_id, body);
        assertProblem(response, 400);
        assert.ok(
          response.body.errors.some((error: { field: string }) => error.field === field),
          JSON.stringify(response.body),
        );
        assert.deepEqual(await storedById(paused.mentor_status_id), beforeRow);
      });
    }

    it('an empty body is 400 naming the body and changes nothing', async () => {
      const beforeRow = await storedById(paused.mentor_status_id);
      assertProblem(await put(paused.mentor_status_id, {}), 400, ['body']);
      assert.deepEqual(await storedById(paused.mentor_status_id), beforeRow);
    });
    for (const [what, body] of [
      ['a blank reason', { reason: '  ' }],
      ['an empty reason', { reason: '' }],
      ['a reason over 500 characters', { reason: 'x'.repeat(501) }],
      ['a non-string reason', { reason: 42 }],
    ] as const) {
      it(`${what} is 400 naming reason and changes nothing`, async () => {
        const beforeRow = await storedById(paused.mentor_status_id);
        assertProblem(await put(paused.mentor_status_id, body), 400, ['reason']);
        assert.deepEqual(await storedById(paused.mentor_status_id), beforeRow);
      });
    }

    it('a reason of exactly 500 characters is accepted', async () => {
      const response = await put(active.mentor_status_id, { reason: 'y'.repeat(500) });
      assert.equal(response.status, 200);
      assert.equal(response.body.reason.length, 500);
    });

    it('malformed JSON is 400, an unknown record 404, a malformed id 400', async () => {
      assertProblem(await request(t.http).put(`${BASE}/${paused.mentor_status_id}`).set('content-type', 'application/json').send('{"reason":'), 400);
      assertProblem(await put(UNKNOWN_ID, { reason: 'x' }), 404);
      assertProblem(await put('msr_nope', { reason: 'x' }), 400, ['id']);
    });
  });

  describe('DELETE is a soft delete', () => {
    let first: { mentor_status_id: string };
    let second: { mentor_status_id: string };
    before(async () => {
      await profile('mntr_delete');
      first = await change('mntr_delete', 'active');
      second = await change('mntr_delete', 'paused', 'Leave');
    });

    it('answers the contract shape and keeps the row with deleted_at', async () => {
      const response = await remove(second.mentor_status_id);
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), ['deleted', 'deleted_at', 'mentor_status_id']);
      assert.equal(response.body.mentor_status_id, second.mentor_status_id);
      assert.equal(response.body.deleted, true);
      assert.match(response.body.deleted_at, TIMESTAMP);
      const row = await storedById(second.mentor_status_id);
      assert.equal(row.deleted_at?.toISOString(), response.body.deleted_at);
    });

    it('the deleted record is gone from GET, PUT, the list and a second DELETE', async () => {
      assertProblem(await get(second.mentor_status_id), 404);
      assertProblem(await put(second.mentor_status_id, { reason: 'x' }), 404);
      assertProblem(await remove(second.mentor_status_id), 404);
      const list = await request(t.http).get(`${BASE}?mentor_id=mntr_delete`);
      assert.deepEqual(
        list.body.data.map((record: { mentor_status_id: string }) => record.mentor_status_id),
        [first.mentor_status_id],
      );
      assert.equal(list.body.pagination.total, 1);
      assert.equal((await storedById(second.mentor_status_id)).reason, 'Leave');
    });

    it('the current status falls back to the previous record', async () => {
      assertProblem(await post({ mentor_id: 'mntr_delete', status: 'active', changed_by: 'user_test' }), 409);
      await change('mntr_delete', 'paused', 'Leave again');
    });

    it('an unknown id is 404 and a malformed one 400', async () => {
      assertProblem(await remove(UNKNOWN_ID), 404);
      assertProblem(await remove('mntr_delete'), 400, ['id']);
    });
  });

  describe('POST validation: 4xx problem+json and nothing written', () => {
    before(() => profile('mntr_bad'));
    const valid = { mentor_id: 'mntr_bad', status: 'paused', reason: 'Leave', changed_by: 'user_test' };

    const cases: [string, () => request.Test, number, string[]?][] = [
      ['a bad status', () => post({ ...valid, status: 'retired' }), 400, ['status']],
      ['a missing status', () => post({ mentor_id: 'mntr_bad', changed_by: 'user_test' }), 400, ['status']],
      ['a paused status without reason', () => post({ mentor_id: 'mntr_bad', status: 'paused', changed_by: 'user_test' }), 400, ['reason']],
      ['a paused status with a null reason', () => post({ ...valid, reason: null }), 400, ['reason']],
      ['a blank reason', () => post({ ...valid, reason: '   ' }), 400, ['reason']],
      ['a reason over 500 characters', () => post({ ...valid, reason: 'r'.repeat(501) }), 400, ['reason']],
      ['a non-string reason on an active change', () => post({ ...valid, status: 'active', reason: 7 }), 400, ['reason']],
      ['a missing changed_by', () => post({ mentor_id: 'mntr_bad', status: 'paused', reason: 'Leave' }), 400, ['changed_by']],
      ['a changed_by with bad characters', () => post({ ...valid, changed_by: 'user test' }), 400, ['changed_by']],
      ['a mentor_id over 64 characters', () => post({ ...valid, mentor_id: 'm'.repeat(65) }), 400, ['mentor_id']],
      ['a client-chosen changed_at', () => post({ ...valid, changed_at: '2020-01-01T00:00:00Z' }), 400, ['changed_at']],
      ['an unknown property', () => post({ ...valid, priority: 'high' }), 400, ['priority']],
      ['malformed JSON', () => request(t.http).post(BASE).set('content-type', 'application/json').send('{"mentor_id": "mntr_bad",'), 400],
      ['a JSON array body', () => post([valid]), 400, ['body']],
      ['a body over the limit', () => post({ ...valid, reason: 'r'.repeat(5000) }), 413],
      ['a non-JSON media type', () => request(t.http).post(BASE).set('content-type', 'text/plain').send('paused'), 415],
    ];
    for (const [what, send, status, fields] of cases) {
      it(`${what} → ${status}`, async () => {
        assertProblem(await send(), status, fields);
      });
    }

    it('a mentor without a profile → 422 naming mentor_id', async () => {
      const response = await post({ ...valid, mentor_id: 'mntr_ghost' });
      assertProblem(response, 422, ['mentor_id']);
      assert.match(response.body.detail, /mntr_ghost/);
    });

    it('none of them wrote a record', async () => {
      assert.deepEqual(await stored('mntr_bad'), []);
      assert.deepEqual(await stored('mntr_ghost'), []);
      const { rows } = await t.db.query("SELECT count(*)::int AS n FROM mentor_status_records WHERE mentor_id LIKE 'mmm%'");
      assert.equal(rows[0].n, 0);
    });
  });

  describe('list', () => {
    const listId = (n: number) => `msr_${String(n).padStart(26, '0')}`;
    before(async () => {
      await profile('mntr_list_1');
      await profile('mntr_list_2');
      const fixtures = [
        [1, 'mntr_list_1', 'active', null, '2001-01-01T00:00:00Z', 'list_alice'],
        [2, 'mntr_list_1', 'paused', 'Leave', '2001-02-01T00:00:00Z', 'list_bob'],
        [3, 'mntr_list_2', 'active', null, '2001-02-01T00:00:00Z', 'list_bob'],
        [4, 'mntr_list_1', 'active', null, '2001-03-01T00:00:00Z', 'list_alice'],
        [5, 'mntr_list_2', 'paused', 'Sick', '2001-04-01T00:00:00Z', 'list_alice'],
      ] as const;
      for (const [n, mentorId, status, reason, changedAt, changedBy] of fixtures) {
        await t.db.query(
          'INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $5)',
          [listId(n), mentorId, status, reason, changedAt, changedBy],
        );
      }
    });

    const ids = async (query: string) => {
      const response = await request(t.http).get(`${BASE}?${query}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.data.map((record: { mentor_status_id: string }) => record.mentor_status_id);
    };
    const YEAR_2001 = 'changed_from=2001-01-01T00:00:00Z&changed_to=2002-01-01T00:00:00Z';

    it('rows have the contract list shape, newest first, ties broken by id descending', async () => {
      const response = await request(t.http).get(`${BASE}?${YEAR_2001}`);
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), ['data', 'pagination']);
      assert.deepEqual(response.body.pagination, { page: 1, limit: 20, total: 5, total_exact: true, next_cursor: null });
      assert.deepEqual(
        response.body.data.map((record: { mentor_status_id: string }) => record.mentor_status_id),
        [5, 4, 3, 2, 1].map(listId),
      );
      assert.deepEqual(response.body.data[3], {
        mentor_status_id: listId(2),
        mentor_id: 'mntr_list_1',
        status: 'paused',
        reason: 'Leave',
        reason_code: null,
        resume_at: null,
        changed_at: '2001-02-01T00:00:00.000Z',
        changed_by: 'list_bob',
        recorded_by: null,
      });
      assert.equal(response.body.data[4].reason, null);
    });

    it('the unfiltered list covers every live record in changed_at, id descending order', async () => {
      const response = await request(t.http).get(`${BASE}?limit=100`);
      const { rows } = await t.db.query('SELECT id FROM mentor_status_records WHERE deleted_at IS NULL ORDER BY changed_at DESC, id DESC');
      assert.equal(response.body.pagination.total, rows.length);
      assert.deepEqual(
        response.body.data.map((record: { mentor_status_id: string }) => record.mentor_status_id),
        rows.slice(0, 100).map((row: { id: string }) => row.id),
      );
    });

    it('filters by mentor_id, status and changed_by', async () => {
      assert.deepEqual(await ids('mentor_id=mntr_list_1'), [4, 2, 1].map(listId));
      assert.deepEqual(await ids(`status=paused&${YEAR_2001}`), [5, 2].map(listId));
      assert.deepEqual(await ids('changed_by=list_alice'), [5, 4, 1].map(listId));
      assert.deepEqual(await ids('changed_by=list_bob&status=active'), [listId(3)]);
      assert.deepEqual(await ids('mentor_id=mntr_nobody'), []);
    });

    it('changed_from is inclusive, changed_to exclusive, and zone offsets are honoured', async () => {
      assert.deepEqual(await ids('changed_by=list_bob&changed_from=2001-02-01T00:00:00Z'), [3, 2].map(listId));
      assert.deepEqual(await ids('changed_from=2001-01-01T00:00:00Z&changed_to=2001-02-01T00:00:00Z'), [listId(1)]);
      assert.deepEqual(await ids('changed_from=2001-02-01T01:00:00%2B01:00&changed_to=2001-03-01T00:00:00.001Z'), [4, 3, 2].map(listId));
      assert.deepEqual(await ids('changed_from=2001-02-01T00:00:00Z&changed_to=2001-02-01T00:00:00Z'), []);
    });

    it('pages, and a page past the end is empty with the true total', async () => {
      const second = await request(t.http).get(`${BASE}?mentor_id=mntr_list_1&limit=2&page=2`);
      assert.deepEqual(
        second.body.data.map((record: { mentor_status_id: string }) => record.mentor_status_id),
        [listId(1)],
      );
      assert.deepEqual(second.body.pagination, { page: 2, limit: 2, total: 3, total_exact: true, next_cursor: null });
      const beyond = await request(t.http).get(`${BASE}?mentor_id=mntr_list_1&limit=2&page=7`);
      assert.deepEqual(beyond.body, { data: [], pagination: { page: 7, limit: 2, total: 3, total_exact: true, next_cursor: null } });
    });

    it('answers on the doubled contract path too', async () => {
      const response = await request(t.http).get(`/api/v1/mentor-statuses${BASE}?mentor_id=mntr_list_1`);
      assert.equal(response.status, 200);
      assert.equal(response.body.pagination.total, 3);
    });

    for (const [query, field] of [
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['page=0', 'page'],
      ['status=retired', 'status'],
      ['mentor_id=a%20b', 'mentor_id'],
      ['changed_by=x%27y', 'changed_by'],
      ['changed_from=yesterday', 'changed_from'],
      ['changed_from=2001-02-30T00:00:00Z', 'changed_from'],
      ['changed_to=2001-02-01', 'changed_to'],
      ['changed_to=2001-02-01T00:00:00', 'changed_to'],
      ['changed_from=2001-03-01T00:00:00Z&changed_to=2001-02-01T00:00:00Z', 'changed_from'],
      ['sort=changed_at', 'sort'],
    ]) {
      it(`?${query} → 400 naming ${field}`, async () => {
        assertProblem(await request(t.http).get(`${BASE}?${query}`), 400, [field]);
      });
    }
  });

  describe('concurrent changes for one mentor', () => {
    it('twelve identical POSTs give exactly one 201 and eleven 409s', async () => {
      await profile('mntr_race_same');
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => post({ mentor_id: 'mntr_race_same', status: 'paused', reason: 'Race', changed_by: 'user_race' })),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      assert.deepEqual(statuses, [201, ...Array<number>(11).fill(409)]);
      for (const answer of answers.filter((answer) => answer.status === 409)) assertProblem(answer, 409);
      assert.equal((await stored('mntr_race_same')).length, 1);
    });

    it('alternating POSTs fired at once leave a strictly alternating, strictly increasing history', async () => {
      await profile('mntr_race_flip');
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post({ mentor_id: 'mntr_race_flip', status: i % 2 === 0 ? 'active' : 'paused', reason: 'Flip', changed_by: 'user_race' }),
        ),
      );
      for (const answer of answers) assert.ok(answer.status === 201 || answer.status === 409, `unexpected ${answer.status}`);
      const history = await stored('mntr_race_flip');
      assert.equal(history.length, answers.filter((answer) => answer.status === 201).length);
      assert.ok(history.length >= 1);
      for (let i = 1; i < history.length; i++) {
        assert.notEqual(history[i].status, history[i - 1].status, `records ${i - 1} and ${i} repeat ${history[i].status}`);
        assert.ok(history[i].changed_at > history[i - 1].changed_at, `changed_at of record ${i} does not increase`);
      }
    });
  });
});
