import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('mentor profiles /api/v1/mentors', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '2048' });
  });
  after(() => t.close());

  const put = (mentorId: string, body: unknown) =>
    request(t.http)
      .put(`/api/v1/mentors/${mentorId}`)
      .send(body as object);

  it('PUT creates a profile with 201, then replaces it with 200', async () => {
    const created = await put('mntr_new', { full_name: 'Nia Long', chapter_id: 'chpt_A' });
    assert.equal(created.status, 201);
    assert.equal(created.body.mentor_id, 'mntr_new');
    assert.equal(created.body.full_name, 'Nia Long');
    assert.equal(created.body.chapter_id, 'chpt_A');
    assert.match(created.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const replaced = await put('mntr_new', { full_name: 'Nia Long-Okoye', chapter_id: 'chpt_B' });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.full_name, 'Nia Long-Okoye');
    assert.equal(replaced.body.created_at, created.body.created_at);
    assert.ok(replaced.body.updated_at >= created.body.updated_at);

    const read = await request(t.http).get('/api/v1/mentors/mntr_new');
    assert.equal(read.status, 200);
    assert.deepEqual(Object.keys(read.body).sort(), ['certification_expires_at', 'chapter_id', 'created_at', 'full_name', 'mentor_id', 'updated_at']);
    assert.equal(read.body.certification_expires_at, null);
    assert.equal(read.body.chapter_id, 'chpt_B');
  });

  describe('certification_expires_at', () => {
    const expiry = async (mentorId: string) => (await request(t.http).get(`/api/v1/mentors/${mentorId}`)).body.certification_expires_at;

    it('is set by PUT, normalised to UTC milliseconds, and shown by GET', async () => {
      const created = await put('mntr_cert', { full_name: 'Cert Holder', chapter_id: 'chpt_C', certification_expires_at: '2027-03-01T02:00:00+02:00' });
      assert.equal(created.status, 201);
      assert.equal(created.body.certification_expires_at, '2027-03-01T00:00:00.000Z');
      assert.equal(await expiry('mntr_cert'), '2027-03-01T00:00:00.000Z');
    });

    it('omitted on update leaves it unchanged; null clears it; a new value replaces it', async () => {
      await put('mntr_keep', { full_name: 'Keep', chapter_id: 'chpt_C', certification_expires_at: '2027-01-01T00:00:00.123Z' });
      assert.equal((await put('mntr_keep', { full_name: 'Keep Renamed', chapter_id: 'chpt_C' })).body.certification_expires_at, '2027-01-01T00:00:00.123Z');
      assert.equal(
        (await put('mntr_keep', { full_name: 'Keep', chapter_id: 'chpt_C', certification_expires_at: '2028-06-30T12:00:00Z' })).body.certification_expires_at,
        '2028-06-30T12:00:00.000Z',
      );
      assert.equal((await put('mntr_keep', { full_name: 'Keep', chapter_id: 'chpt_C', certification_expires_at: null })).body.certification_expires_at, null);
      assert.equal(await expiry('mntr_keep'), null);
    });

    it('omitted or null on create means no expiry', async () => {
      assert.equal((await put('mntr_nocert', { full_name: 'No Cert', chapter_id: 'chpt_C' })).body.certification_expires_at, null);
      assert.equal(
        (await put('mntr_nullcert', { full_name: 'Null Cert', chapter_id: 'chpt_C', certification_expires_at: null })).body.certification_expires_at,
        null,
      );
    });

    for (const [what, value] of [
      ['a date without a time', '2027-03-01'],
      ['a time without a zone', '2027-03-01T00:00:00'],
      ['an impossible date', '2027-02-30T00:00:00Z'],
      ['a number', 1_800_000_000_000],
      ['more than millisecond precision', '2027-03-01T00:00:00.1234Z'],
    ] as const) {
      it(`${what} is 400 naming certification_expires_at, and changes nothing`, async () => {
        assertProblem(await put('mntr_cert', { full_name: 'Cert Holder', chapter_id: 'chpt_C', certification_expires_at: value }), 400, [
          'certification_expires_at',
        ]);
        assert.equal(await expiry('mntr_cert'), '2027-03-01T00:00:00.000Z');
      });
    }
  });

  it('concurrent PUTs of a new profile create it once and all succeed', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => put('mntr_race', { full_name: 'Race', chapter_id: 'chpt_R' })));
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM mentors WHERE mentor_id = $1', ['mntr_race']);
    assert.equal(rows[0].n, 1);
  });

  it('GET of an unknown mentor is 404 problem+json', async () => {
    assertProblem(await request(t.http).get('/api/v1/mentors/mntr_nobody'), 404);
  });

  describe('list', () => {
    before(async () => {
      for (const [id, name] of [
        ['c3', 'Carla'],
        ['c1', 'Abe'],
        ['c2', 'Abe'],
        ['c4', 'Zed'],
      ]) {
        await put(id, { full_name: name, chapter_id: 'chpt_list' });
      }
    });

    it('filters by chapter and orders by full_name, then mentor_id', async () => {
      const response = await request(t.http).get('/api/v1/mentors?chapter_id=chpt_list');
      assert.equal(response.status, 200);
      assert.deepEqual(
        response.body.data.map((m: { mentor_id: string }) => m.mentor_id),
        ['c1', 'c2', 'c3', 'c4'],
      );
      assert.deepEqual(response.body.pagination, { page: 1, limit: 20, total: 4, total_exact: true, next_cursor: null });
    });

    it('pages, and a page past the end is empty with the true total', async () => {
      const second = await request(t.http).get('/api/v1/mentors?chapter_id=chpt_list&limit=3&page=2');
      assert.deepEqual(
        second.body.data.map((m: { mentor_id: string }) => m.mentor_id),
        ['c4'],
      );
      const beyond = await request(t.http).get('/api/v1/mentors?chapter_id=chpt_list&limit=3&page=9');
      assert.deepEqual(beyond.body, { data: [], pagination: { page: 9, limit: 3, total: 4, total_exact: true, next_cursor: null } });
    });

    it('an unknown chapter is an empty list', async () => {
      const response = await request(t.http).get('/api/v1/mentors?chapter_id=chpt_none');
      assert.deepEqual(response.body, { data: [], pagination: { page: 1, limit: 20, total: 0, total_exact: true, next_cursor: null } });
    });
  });

  describe('bad input gets a 4xx problem+json and writes nothing', () => {
    const cases: [string, () => request.Test, number, string[]?][] = [
      ['malformed JSON', () => request(t.http).put('/api/v1/mentors/m_bad').set('content-type', 'application/json').send('{"full_name":'), 400],
      ['an unknown property', () => put('m_bad', { full_name: 'A', chapter_id: 'c', is_admin: true }), 400, ['is_admin']],
      ['a wrong type', () => put('m_bad', { full_name: 42, chapter_id: 'c' }), 400, ['full_name']],
      ['a missing field', () => put('m_bad', { full_name: 'A' }), 400, ['chapter_id']],
      ['a blank name', () => put('m_bad', { full_name: '   ', chapter_id: 'c' }), 400, ['full_name']],
      ['a name over 200 characters', () => put('m_bad', { full_name: 'x'.repeat(201), chapter_id: 'c' }), 400, ['full_name']],
      ['a chapter id with bad characters', () => put('m_bad', { full_name: 'A', chapter_id: "c'; DROP TABLE mentors;--" }), 400, ['chapter_id']],
      ['a JSON array body', () => put('m_bad', [{ full_name: 'A', chapter_id: 'c' }]), 400, ['body']],
      ['a JSON null body', () => request(t.http).put('/api/v1/mentors/m_bad').set('content-type', 'application/json').send('null'), 400],
      ['a body over the limit', () => put('m_bad', { full_name: 'A', chapter_id: 'c', pad: 'x'.repeat(4096) }), 413],
      ['a non-JSON media type', () => request(t.http).put('/api/v1/mentors/m_bad').set('content-type', 'text/plain').send('hello'), 415],
      ['a path id over 64 characters', () => put('m'.repeat(65), { full_name: 'A', chapter_id: 'c' }), 400, ['mentor_id']],
      ['a path id with bad characters', () => put('m%20bad', { full_name: 'A', chapter_id: 'c' }), 400, ['mentor_id']],
    ];
    for (const [what, send, status, fields] of cases) {
      it(`${what} → ${status}`, async () => {
        assertProblem(await send(), status, fields);
      });
    }

    it('none of them wrote a row', async () => {
      const { rows } = await t.db.query("SELECT count(*)::int AS n FROM mentors WHERE mentor_id LIKE 'm_bad%' OR mentor_id LIKE 'mmm%'");
      assert.equal(rows[0].n, 0);
    });

    for (const [query, field] of [
      ['limit=101', 'limit'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['page=0', 'page'],
      ['page=1.5', 'page'],
      ['page=1e300', 'page'],
      ['limit=1&limit=2', 'limit'],
      ['chapter_id=a%20b', 'chapter_id'],
      ['sort=name', 'sort'],
    ]) {
      it(`list with ?${query} → 400 naming ${field}`, async () => {
        assertProblem(await request(t.http).get(`/api/v1/mentors?${query}`), 400, [field]);
      });
    }
  });
});
