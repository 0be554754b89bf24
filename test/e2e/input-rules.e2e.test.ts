import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request, { Response } from 'supertest';
import { MAX_LISTED_ERRORS } from '../../src/common/errors/problem.exception.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** Inputs that once reached PostgreSQL or internal properties (500s, or silently ignored): each is now a 400 naming its field. */

/** The instant written as local time at a `±hh:mm` offset, such as 2026-03-01T16:00:00.000+16:00. */
function inOffset(instant: Date, offset: string): string {
  const minutes = (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return `${new Date(instant.getTime() + minutes * 60_000).toISOString().slice(0, 23)}${offset}`;
}

const LISTS = [
  '/api/v1/mentor-statuses',
  '/api/v1/mentor-suppressions',
  '/api/v1/mentors',
  '/api/v1/chapters/chpt_in/mentors/active',
  '/api/v1/chapters/chpt_in/mentors/paused',
  '/api/v1/chapters/chpt_in/mentors/expiring',
];

describe('input rules', () => {
  let t: TestApp;
  let fingerprint: () => Promise<string>;
  before(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '32768' });
    for (const mentor of ['mntr_in_1', 'mntr_in_2']) {
      assert.equal((await request(t.http).put(`/api/v1/mentors/${mentor}`).send({ full_name: mentor, chapter_id: 'chpt_in' })).status, 201);
    }
    const suppressed = await request(t.http)
      .post('/api/v1/mentor-suppressions')
      .send({ mentor_id: 'mntr_in_2', coordinator_id: 'coord_in', reason: 'conduct_review' });
    assert.equal(suppressed.status, 201);
    fingerprint = async () =>
      JSON.stringify(
        (
          await t.db.query(
            `SELECT (SELECT json_agg(m ORDER BY mentor_id) FROM mentors m) AS mentors,
                    (SELECT json_agg(s ORDER BY id) FROM mentor_suppressions s) AS suppressions,
                    (SELECT json_agg(r ORDER BY id) FROM mentor_status_records r) AS records`,
          )
        ).rows[0],
      );
  });
  after(() => t.close());

  const putMentor = (body: object | string) =>
    request(t.http)
      .put('/api/v1/mentors/mntr_in_1')
      .set('content-type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  describe('date-times with a zone offset PostgreSQL refuses (beyond ±15:59)', () => {
    for (const offset of ['+16:00', '-16:00', '+23:59', '-23:59']) {
      const instant = `2026-03-01T00:00:00${offset}`;
      for (const field of ['changed_from', 'changed_to']) {
        it(`?${field}=…${offset} is 400 naming ${field}`, async () => {
          assertProblem(
            await request(t.http)
              .get('/api/v1/mentor-statuses')
              .query({ [field]: instant }),
            400,
            [field],
          );
        });
      }
      it(`certification_expires_at …${offset} on PUT /mentors/:id is 400 and writes nothing`, async () => {
        const before = await fingerprint();
        assertProblem(await putMentor({ full_name: 'In One', chapter_id: 'chpt_in', certification_expires_at: `2027-03-01T00:00:00${offset}` }), 400, [
          'certification_expires_at',
        ]);
        assert.equal(await fingerprint(), before);
      });
      it(`restored_at …${offset} is 400 and writes nothing`, async () => {
        const before = await fingerprint();
        // The suppression's own instant, so that only the offset is wrong.
        const suppressedAt = new Date((await request(t.http).get('/api/v1/mentor-suppressions/mntr_in_2')).body.suppressed_at);
        const response = await request(t.http)
          .put('/api/v1/mentor-suppressions/mntr_in_2')
          .send({ is_active: false, restored_at: inOffset(suppressedAt, offset) });
        assertProblem(response, 400, ['restored_at']);
        assert.equal(await fingerprint(), before);
      });
    }

    it('±15:59, the widest offsets PostgreSQL takes, are accepted', async () => {
      const response = await request(t.http)
        .get('/api/v1/mentor-statuses')
        .query({ changed_from: '2026-03-01T00:00:00+15:59', changed_to: '2026-03-02T00:00:00-15:59' });
      assert.equal(response.status, 200);
      const profile = await putMentor({ full_name: 'In One', chapter_id: 'chpt_in', certification_expires_at: '2027-03-01T00:00:00-15:59' });
      assert.equal(profile.status, 200);
      assert.equal(profile.body.certification_expires_at, '2027-03-01T15:59:00.000Z');
    });

    it('the OpenAPI pattern of a date-time refuses the same offsets', async () => {
      const document = (await request(t.http).get('/docs-json')).body;
      const schema = document.components.schemas.UpsertMentorProfileDto.properties.certification_expires_at;
      const pattern = new RegExp(schema.pattern);
      for (const offset of ['+16:00', '-23:59', '+15:60']) assert.doesNotMatch(`2027-03-01T00:00:00${offset}`, pattern, offset);
      for (const offset of ['+15:59', '-15:59', '+00:00', 'Z']) assert.match(`2027-03-01T00:00:00${offset}`, pattern, offset);
    });
  });

  describe('query keys that are not parameters of the operation', () => {
    for (const url of LISTS) {
      it(`?offset=1 on ${url} is 400 naming offset`, async () => {
        assertProblem(await request(t.http).get(`${url}?offset=1`), 400, ['offset']);
      });
    }
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype']) {
      it(`?${key}= is 400 naming ${key}`, async () => {
        assertProblem(await request(t.http).get(`/api/v1/mentors?${key}=`), 400, [key]);
        assertProblem(await request(t.http).get(`/api/v1/chapters/chpt_in/mentors/paused?${key}=1&limit=5`), 400, [key]);
      });
    }
    it('a body key named like an internal property is 400 too, and writes nothing', async () => {
      const before = await fingerprint();
      assertProblem(await putMentor('{"full_name":"In One","chapter_id":"chpt_in","constructor":{"name":"x"}}'), 400, ['constructor']);
      assertProblem(await putMentor('{"full_name":"In One","chapter_id":"chpt_in","toString":"x"}'), 400, ['toString']);
      assert.equal(await fingerprint(), before);
    });
    it('any query key on an operation that takes no query is 400 naming it, and writes nothing', async () => {
      assertProblem(await request(t.http).get('/api/v1/mentors/mntr_in_1?offset=1'), 400, ['offset']);
      assertProblem(await request(t.http).get('/api/v1/mentor-suppressions/mntr_in_2?__proto__=x&b=1'), 400, ['__proto__', 'b']);
      assertProblem(await request(t.http).get('/health?verbose=true'), 400, ['verbose']);
      const before = await fingerprint();
      assertProblem(await request(t.http).post('/api/v1/certification-sweeps?dry_run=true'), 400, ['dry_run']);
      assertProblem(await request(t.http).delete('/api/v1/mentor-suppressions/mntr_in_2?force=1'), 400, ['force']);
      assert.equal(await fingerprint(), before);
      assert.equal((await request(t.http).get('/api/v1/mentors/mntr_in_1')).status, 200);
    });
    it('a parameter given twice is 400 naming it', async () => {
      assertProblem(await request(t.http).get('/api/v1/mentors?chapter_id=a&chapter_id=b'), 400, ['chapter_id']);
    });
  });

  describe('text PostgreSQL cannot store, or that is not Unicode', () => {
    it('U+0000 in a body text field is 400 naming it, and writes nothing', async () => {
      const before = await fingerprint();
      assertProblem(await putMentor({ full_name: 'In\u0000One', chapter_id: 'chpt_in' }), 400, ['full_name']);
      const status = await request(t.http)
        .post('/api/v1/mentor-statuses')
        .send({ mentor_id: 'mntr_in_1', status: 'paused', reason: 'Leave\u0000', changed_by: 'user_in' });
      assertProblem(status, 400, ['reason']);
      assertProblem(await request(t.http).put('/api/v1/mentor-statuses/msr_01KK9T4N2H8Q6V3X7C5D1F0G2J').send({ reason: '\u0000' }), 400, ['reason']);
      assert.equal(await fingerprint(), before);
    });
    it('U+0000 in a query or path parameter is 400 naming it', async () => {
      assertProblem(await request(t.http).get('/api/v1/mentors?chapter_id=chpt%00'), 400, ['chapter_id']);
      assertProblem(await request(t.http).get('/api/v1/mentors/mntr%00'), 400, ['mentor_id']);
      assertProblem(await request(t.http).get('/api/v1/chapters/%00/mentors/active'), 400, ['chapter_id']);
    });
    it('a lone surrogate (JSON \\ud800) in a body text field is 400 naming it, and writes nothing', async () => {
      const before = await fingerprint();
      for (const escaped of ['\\ud800', '\\udfff', 'a\\ud83d', '\\ude00b']) {
        const response = await putMentor(`{"full_name":"In ${escaped} One","chapter_id":"chpt_in"}`);
        assertProblem(response, 400, ['full_name']);
      }
      assert.equal(await fingerprint(), before);
    });
    it('a well-formed surrogate pair (an emoji) is text like any other', async () => {
      const response = await putMentor('{"full_name":"In \\ud83d\\ude00 One","chapter_id":"chpt_in"}');
      assert.equal(response.status, 200);
      assert.equal(response.body.full_name, 'In 😀 One');
    });
    for (const [label, bytes] of [
      ['a stray continuation byte', [0x80]],
      ['0xff', [0xff]],
      ['a truncated sequence', [0xe2, 0x82]],
      ['an overlong encoding', [0xc0, 0xaf]],
      ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ] as const) {
      it(`a JSON body with invalid UTF-8 (${label}) is 400 problem+json, and writes nothing`, async () => {
        const before = await fingerprint();
        const body = Buffer.concat([Buffer.from('{"full_name":"In '), Buffer.from(bytes), Buffer.from(' One","chapter_id":"chpt_in"}')]);
        // supertest would serialise a Buffer as JSON; inject sends the bytes as they are.
        const raw = await t.app.inject({ method: 'PUT', url: '/api/v1/mentors/mntr_in_1', headers: { 'content-type': 'application/json' }, payload: body });
        assertProblem({ status: raw.statusCode, headers: raw.headers, body: raw.json() } as unknown as Response, 400, ['body']);
        assert.equal(await fingerprint(), before);
      });
    }
    it('the strict JSON parser keeps the body limit (413), 415 for other media types and 400 for prototype keys', async () => {
      assertProblem(await putMentor({ full_name: 'In One', chapter_id: 'chpt_in', pad: 'x'.repeat(40_000) }), 413);
      assertProblem(await request(t.http).put('/api/v1/mentors/mntr_in_1').set('content-type', 'text/plain').send('hello'), 415);
      assertProblem(await putMentor('{"full_name":"In One","chapter_id":"chpt_in","__proto__":{"x":1}}'), 400);
      assertProblem(await putMentor('{"full_name":'), 400);
      assertProblem(await putMentor(''), 400);
    });
  });

  describe('JSON objects that give a member twice', () => {
    const postStatus = (body: string) => request(t.http).post('/api/v1/mentor-statuses').set('content-type', 'application/json').send(body);
    const problemErrors = (response: Response) => response.body.errors as { field: string; message: string }[];

    it('a body member given twice is 400 naming it, and writes nothing (JSON.parse would keep the last value)', async () => {
      const before = await fingerprint();
      const response = await postStatus('{"mentor_id":"mntr_in_1","status":"active","status":"paused","reason":"Leave","changed_by":"user_in"}');
      assertProblem(response, 400, ['status']);
      assert.deepEqual(problemErrors(response), [{ field: 'status', message: '"status" appears more than once in the body' }]);
      assert.equal(await fingerprint(), before);
    });
    it('a member given twice in a nested object or in an array item is 400 naming its path', async () => {
      const before = await fingerprint();
      assertProblem(await putMentor('{"full_name":"In One","chapter_id":"chpt_in","extra":{"a":1,"b":{"c":1,"c":2}}}'), 400, ['extra.b.c']);
      const bulk = await request(t.http)
        .post('/api/v1/mentor-statuses/bulk')
        .set('content-type', 'application/json')
        .send(
          '{"items":[{"mentor_id":"mntr_in_1","status":"paused","reason":"Leave","changed_by":"user_in"},' +
            '{"mentor_id":"mntr_in_1","status":"active","changed_by":"user_in","changed_by":"user_other"}]}',
        );
      assertProblem(bulk, 400, ['items.1.changed_by']);
      assert.deepEqual(problemErrors(bulk), [{ field: 'items.1.changed_by', message: '"changed_by" appears more than once in items.1' }]);
      assert.equal(await fingerprint(), before);
    });
    it('a name is compared as it decodes: an escaped spelling of a member is the same member', async () => {
      assertProblem(await putMentor('{"full_name":"In One","chapter_id":"chpt_in","full\\u005fname":"In Two"}'), 400, ['full_name']);
    });
    it('the same name in different objects, or inside a string, is no repetition', async () => {
      const response = await putMentor('{"full_name":"In \\"full_name\\": {\\"x\\":1}","chapter_id":"chpt_in"}');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.full_name, 'In "full_name": {"x":1}');
      const bulk = await request(t.http)
        .post('/api/v1/mentor-statuses/bulk')
        .send({
          dry_run: true,
          items: [
            { mentor_id: 'mntr_in_1', status: 'paused', reason: 'Leave', changed_by: 'user_in' },
            { mentor_id: 'mntr_in_1', status: 'active', changed_by: 'user_in' },
          ],
        });
      assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    });
  });

  describe('integers in the query: plain decimal digits only', () => {
    for (const value of ['1e2', '1E1', '0x10', '0b1', '0o7', ' 10', '10 ', '+10', '010', '00', '10.0', '1_0', '١٠', 'Infinity', '']) {
      it(`limit=${JSON.stringify(value)} is 400 naming limit`, async () => {
        assertProblem(await request(t.http).get(`/api/v1/mentors?limit=${encodeURIComponent(value)}`), 400, ['limit']);
      });
    }
    it('page and within_days follow the same rule', async () => {
      assertProblem(await request(t.http).get('/api/v1/mentor-statuses?page=1e0'), 400, ['page']);
      assertProblem(await request(t.http).get('/api/v1/chapters/chpt_in/mentors/expiring?within_days=030'), 400, ['within_days']);
    });
    it('plain digits are read as before, and out-of-range values say so', async () => {
      const response = await request(t.http).get('/api/v1/mentors?limit=10&page=1');
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.pagination, { page: 1, limit: 10, total: 2, total_exact: true, next_cursor: null });
      const tooBig = await request(t.http).get('/api/v1/mentors?limit=101');
      assertProblem(tooBig, 400, ['limit']);
      assert.match(tooBig.body.detail, /not be greater than 100/);
      assertProblem(await request(t.http).get('/api/v1/mentors?limit=-1'), 400, ['limit']);
    });
  });

  describe('a validation answer stays small', () => {
    it(`a 15 KB query of unknown keys lists the first ${MAX_LISTED_ERRORS} and counts the rest`, async () => {
      const keys = Array.from({ length: 2_000 }, (_, index) => `k${index}`);
      const query = keys.map((key) => `${key}=1`).join('&');
      assert.ok(query.length > 14_000 && query.length < 16_000);
      const response = await request(t.http).get(`/api/v1/mentor-statuses?${query}`);
      assertProblem(response, 400);
      assert.equal(response.body.errors.length, MAX_LISTED_ERRORS);
      assert.deepEqual(
        response.body.errors.map((error: { field: string }) => error.field),
        keys.slice(0, MAX_LISTED_ERRORS),
      );
      assert.equal(response.body.errors_omitted, keys.length - MAX_LISTED_ERRORS);
      assert.ok(response.body.detail.length < 300, response.body.detail);
      assert.ok(response.text.length < 4_096, `${response.text.length} bytes`);
    });
    it('a body of unknown keys with long names gets a small answer too', async () => {
      const body = Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`${index}${'k'.repeat(700)}`, 1]));
      const response = await putMentor({ full_name: 'In One', chapter_id: 'chpt_in', ...body });
      assertProblem(response, 400);
      assert.equal(response.body.errors.length, MAX_LISTED_ERRORS);
      for (const error of response.body.errors) assert.ok(error.field.length <= 100 && error.message.length <= 300);
      assert.ok(response.text.length < 16_384, `${response.text.length} bytes`);
    });
    it('a long path or query is not echoed in full by instance or detail', async () => {
      const path = `/api/v1/${'x'.repeat(12_000)}`;
      const notFound = await request(t.http).get(path);
      assertProblem(notFound, 404);
      assert.ok(notFound.text.length < 4_096, `${notFound.text.length} bytes`);
      const longQuery = await request(t.http).get(`/api/v1/mentors?chapter_id=${'c'.repeat(12_000)}`);
      assertProblem(longQuery, 400, ['chapter_id']);
      assert.equal(longQuery.body.instance, '/api/v1/mentors');
    });
  });
});
