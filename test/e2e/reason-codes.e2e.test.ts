import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const BASE = '/api/v1/reason-codes';
const DEFAULT_PAUSE_CODES = ['capacity', 'certification_expired', 'conduct_review', 'other', 'parental_leave', 'personal_leave'];
const DEFAULT_SUPPRESSION_CODES = ['certification_expired', 'certification_renewed', 'conduct_review', 'other'];
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('reason codes /api/v1/reason-codes', () => {
  let t: TestApp;
  const codes = async (query = '') => {
    const response = await request(t.http).get(`${BASE}?limit=100${query}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.data as { code: string; applies_to: string[]; label: string; description: string }[];
  };
  const put = (code: string, body: object, ifMatch?: string) => {
    const call = request(t.http).put(`${BASE}/${code}`);
    if (ifMatch !== undefined) void call.set('If-Match', ifMatch);
    return call.send(body);
  };
  const pause = (mentorId: string, reasonCode: string) =>
    request(t.http)
      .post('/api/v1/mentor-statuses')
      .send({ mentor_id: mentorId, status: 'paused', reason: 'Away', reason_code: reasonCode, changed_by: 'user_rc' });
  const stored = async (code: string) => (await t.db.query('SELECT * FROM reason_codes WHERE code = $1', [code])).rows[0];

  before(async () => {
    t = await startTestApp();
    for (const mentorId of ['mntr_rc_1', 'mntr_rc_2']) {
      assert.equal((await request(t.http).put(`/api/v1/mentors/${mentorId}`).send({ full_name: mentorId, chapter_id: 'chpt_rc' })).status, 201);
    }
  });
  after(() => t.close());

  it('lists the seeded defaults in code order, each with a label and a description, filtered by what they apply to', async () => {
    const all = await codes();
    assert.deepEqual(
      all.map((entry) => entry.code),
      [...new Set([...DEFAULT_PAUSE_CODES, ...DEFAULT_SUPPRESSION_CODES])].sort(),
    );
    for (const entry of all) {
      assert.ok(entry.label.length > 0 && entry.description.length > 0, entry.code);
      assert.deepEqual(Object.keys(entry).sort(), ['applies_to', 'code', 'created_at', 'description', 'label', 'updated_at']);
    }
    assert.deepEqual(all.find((entry) => entry.code === 'certification_expired')?.applies_to, ['pause', 'suppression']);
    assert.deepEqual(
      (await codes('&applies_to=pause')).map((entry) => entry.code),
      DEFAULT_PAUSE_CODES,
    );
    assert.deepEqual(
      (await codes('&applies_to=suppression')).map((entry) => entry.code),
      DEFAULT_SUPPRESSION_CODES,
    );
  });

  it('pages by cursor, and a cursor of another filter is 400 naming cursor', async () => {
    const first = await request(t.http).get(`${BASE}?applies_to=pause&limit=4`);
    assert.equal(first.status, 200);
    assert.equal(first.body.pagination.total, 6);
    const second = await request(t.http).get(`${BASE}?applies_to=pause&limit=4&cursor=${first.body.pagination.next_cursor}`);
    assert.deepEqual(
      [...first.body.data, ...second.body.data].map((entry: { code: string }) => entry.code),
      DEFAULT_PAUSE_CODES,
    );
    assertProblem(await request(t.http).get(`${BASE}?applies_to=suppression&cursor=${first.body.pagination.next_cursor}`), 400, ['cursor']);
  });

  it('GET one code; an unknown one is 404, a malformed one 400', async () => {
    const response = await request(t.http).get(`${BASE}/parental_leave`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { ...response.body, code: 'parental_leave', applies_to: ['pause'], label: 'Parental leave' });
    assert.match(response.body.created_at, TIMESTAMP);
    assertProblem(await request(t.http).get(`${BASE}/no_such_code`), 404);
    for (const code of ['Parental_leave', '1leave', 'parental-leave', 'a'.repeat(65)])
      assertProblem(await request(t.http).get(`${BASE}/${code}`), 400, ['code']);
  });

  it('PUT creates a code (201), then replaces it (200)', async () => {
    const created = await put('sabbatical', { applies_to: ['pause'], label: 'Sabbatical', description: 'A planned break.' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body, { ...created.body, code: 'sabbatical', applies_to: ['pause'], label: 'Sabbatical', description: 'A planned break.' });
    const replaced = await put('sabbatical', { applies_to: ['suppression', 'pause'], label: 'Sabbatical leave', description: 'A planned, longer break.' });
    assert.equal(replaced.status, 200);
    assert.deepEqual(replaced.body.applies_to, ['pause', 'suppression']);
    assert.equal(replaced.body.created_at, created.body.created_at);
    assert.ok(Date.parse(replaced.body.updated_at) >= Date.parse(created.body.updated_at));
    assert.deepEqual((await request(t.http).get(`${BASE}/sabbatical`)).body, replaced.body);
  });

  for (const [what, code, body, fields] of [
    ['a code in capitals', 'Sabbatical', { applies_to: ['pause'], label: 'L', description: 'D' }, ['code']],
    ['a code with a dash', 'long-leave', { applies_to: ['pause'], label: 'L', description: 'D' }, ['code']],
    ['no applies_to', 'rc_bad', { label: 'L', description: 'D' }, ['applies_to']],
    ['an empty applies_to', 'rc_bad', { applies_to: [], label: 'L', description: 'D' }, ['applies_to']],
    ['a repeated use', 'rc_bad', { applies_to: ['pause', 'pause'], label: 'L', description: 'D' }, ['applies_to']],
    ['an unknown use', 'rc_bad', { applies_to: ['profile'], label: 'L', description: 'D' }, ['applies_to']],
    ['a string for applies_to', 'rc_bad', { applies_to: 'pause', label: 'L', description: 'D' }, ['applies_to']],
    ['a blank label', 'rc_bad', { applies_to: ['pause'], label: ' ', description: 'D' }, ['label']],
    ['a label over 100 characters', 'rc_bad', { applies_to: ['pause'], label: 'l'.repeat(101), description: 'D' }, ['label']],
    ['no description', 'rc_bad', { applies_to: ['pause'], label: 'L' }, ['description']],
    ['an unknown property', 'rc_bad', { applies_to: ['pause'], label: 'L', description: 'D', kind: 'pause' }, ['kind']],
  ] as const) {
    it(`PUT with ${what} is 400 naming ${fields.join(', ')} and writes nothing`, async () => {
      assertProblem(await put(code, body), 400, [...fields]);
      assert.equal(await stored('rc_bad'), undefined);
    });
  }

  it('PUT honours If-Match: a stale ETag is 412 and changes nothing; If-Match on a code that does not exist is 412', async () => {
    const seen = (await request(t.http).get(`${BASE}/sabbatical`)).headers.etag;
    assert.equal((await put('sabbatical', { applies_to: ['pause'], label: 'Sabbatical', description: 'Once more.' }, seen)).status, 200);
    const before = await stored('sabbatical');
    assertProblem(await put('sabbatical', { applies_to: ['pause'], label: 'Stale', description: 'Stale.' }, seen), 412);
    assert.deepEqual(await stored('sabbatical'), before);
    assertProblem(await put('rc_never', { applies_to: ['pause'], label: 'L', description: 'D' }, seen), 412);
    assert.equal(await stored('rc_never'), undefined);
  });

  it('a code added for pauses is accepted on a pause at once', async () => {
    const answer = await pause('mntr_rc_1', 'sabbatical');
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.equal(answer.body.reason_code, 'sabbatical');
  });

  it('a code that pause records carry cannot stop applying to pauses: 409 naming applies_to, and nothing changes', async () => {
    const before = await stored('sabbatical');
    const refused = await put('sabbatical', { applies_to: ['suppression'], label: 'Sabbatical', description: 'Suppressions only.' });
    assertProblem(refused, 409, ['applies_to']);
    assert.equal(refused.body.type, '/problems/reason-code-in-use');
    assert.deepEqual(await stored('sabbatical'), before);
    const sweeps = await put('certification_expired', { applies_to: ['suppression'], label: 'Certification expired', description: 'Hidden.' });
    assertProblem(sweeps, 409, ['applies_to']);
    assert.match(sweeps.body.detail, /certification sweep/);
    // A code no record carries may change freely.
    assert.equal((await put('capacity', { applies_to: ['suppression'], label: 'At capacity', description: 'Hidden while full.' })).status, 200);
  });

  it('a code that applies to suppressions only is not a pause code: 422 naming it', async () => {
    const refused = await pause('mntr_rc_2', 'certification_renewed');
    assertProblem(refused, 422, ['reason_code']);
    assert.equal(refused.body.type, '/problems/unknown-reason-code');
    assert.equal(refused.body.reason_code, 'certification_renewed');
    assert.match(refused.body.detail, /certification_renewed/);
    assertProblem(await pause('mntr_rc_2', 'capacity'), 422, ['reason_code']);
  });

  it("suppressions' reason still accepts any snake_case code, registered or not", async () => {
    const answer = await request(t.http)
      .post('/api/v1/mentor-suppressions')
      .send({ mentor_id: 'mntr_rc_2', coordinator_id: 'coord_rc', reason: 'not_in_the_registry' });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
  });

  it('the database holds the registry: a record naming an unregistered code, or a code on an active record, cannot be written even past the API', async () => {
    const insert = (status: string, code: string) =>
      t.db.query(
        `INSERT INTO mentor_status_records (id, mentor_id, status, reason, reason_code, changed_at, changed_by)
         VALUES ('msr_rcdirect' || floor(random() * 1e9)::text, 'mntr_rc_2', $1, 'x', $2, now(), 'user_rc')`,
        [status, code],
      );
    await assert.rejects(insert('paused', 'no_such_code'), /mentor_status_records_reason_code_fkey/);
    await assert.rejects(insert('paused', 'certification_renewed'), /mentor_status_records_reason_code_fkey/);
    await assert.rejects(insert('active', 'personal_leave'), /mentor_status_records_paused_reason_code_check/);
    await assert.rejects(
      t.db.query("INSERT INTO reason_codes (code, applies_to_pauses, applies_to_suppressions, label, description) VALUES ('Bad', true, false, 'L', 'D')"),
      /reason_codes_code_check/,
    );
    await assert.rejects(
      t.db.query("INSERT INTO reason_codes (code, applies_to_pauses, applies_to_suppressions, label, description) VALUES ('neither', false, false, 'L', 'D')"),
      /reason_codes_applies_check/,
    );
  });
});
