import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../support/test-app.js';

const KEY = 'headers-key-0123456789abcdef';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One request written byte for byte on a socket of its own (supertest and inject always add a Host); the server closes after answering. */
function rawRequest(port: number, head: string[], body = ''): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headText, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = headText.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()] as const),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    // Not end(): a half-closed socket may be dropped before a slower answer is written.
    socket.write(`${[...head, 'Connection: close'].join('\r\n')}\r\n\r\n${body}`);
  });
}

function assertRawProblem(answer: RawAnswer, status: number, field?: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer));
  assert.match(answer.headers['content-type'] ?? '', /^application\/problem\+json/);
  const problem = JSON.parse(answer.body) as { status: number; errors?: { field: string }[] };
  assert.equal(problem.status, status);
  if (field) assert.deepEqual([...new Set(problem.errors?.map((error) => error.field))], [field]);
}

describe('HTTP-level header rules (raw sockets)', () => {
  let t: TestApp;
  let port: number;
  const mentorCount = async () => (await t.db.query('SELECT count(*)::int AS n FROM mentors')).rows[0].n as number;
  const json = (body: object) => {
    const text = JSON.stringify(body);
    return { text, length: `Content-Length: ${Buffer.byteLength(text)}` };
  };

  before(async () => {
    t = await startTestApp({ API_KEYS: `headers:${KEY}` });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  after(() => t.close());

  it('a well-formed request is served', async () => {
    const answer = await rawRequest(port, ['GET /api/v1/mentors HTTP/1.1', 'Host: localhost']);
    assert.equal(answer.status, 200);
  });

  it('an HTTP/1.1 request without Host is 400 problem+json naming Host', async () => {
    assertRawProblem(await rawRequest(port, ['GET /api/v1/mentors HTTP/1.1']), 400, 'Host');
  });

  it('an HTTP/1.0 request may leave Host out, as HTTP/1.0 allows', async () => {
    assert.equal((await rawRequest(port, ['GET /api/v1/mentors HTTP/1.0'])).status, 200);
  });

  it('two Host headers are 400 naming Host', async () => {
    assertRawProblem(await rawRequest(port, ['GET /api/v1/mentors HTTP/1.1', 'Host: localhost', 'Host: evil.example']), 400, 'Host');
  });

  for (const [label, authorizations] of [
    ['a valid key then another', [`Bearer ${KEY}`, 'Bearer someone-elses-key-0123456789']],
    ['another then a valid key', ['Bearer someone-elses-key-0123456789', `Bearer ${KEY}`]],
    ['the same key twice, in different letter case of the name', [`Bearer ${KEY}`, `Bearer ${KEY}`]],
  ] as const) {
    it(`two Authorization headers (${label}) are 400 naming Authorization, and nothing is written`, async () => {
      const before = await mentorCount();
      const body = json({ full_name: 'Twice', chapter_id: 'chpt_hdr' });
      const answer = await rawRequest(
        port,
        [
          'PUT /api/v1/mentors/mntr_hdr HTTP/1.1',
          'Host: localhost',
          'Content-Type: application/json',
          body.length,
          `Authorization: ${authorizations[0]}`,
          `AUTHORIZATION: ${authorizations[1]}`,
        ],
        body.text,
      );
      assertRawProblem(answer, 400, 'Authorization');
      assert.equal(await mentorCount(), before);
    });
  }

  it('two Content-Type headers are 400 naming Content-Type, and nothing is written', async () => {
    const before = await mentorCount();
    const body = json({ full_name: 'Twice', chapter_id: 'chpt_hdr' });
    const answer = await rawRequest(
      port,
      [
        'PUT /api/v1/mentors/mntr_hdr HTTP/1.1',
        'Host: localhost',
        `Authorization: Bearer ${KEY}`,
        'Content-Type: application/json',
        'Content-Type: text/plain',
        body.length,
      ],
      body.text,
    );
    assertRawProblem(answer, 400, 'Content-Type');
    assert.equal(await mentorCount(), before);
  });

  it('two Idempotency-Key headers on a POST are 400 naming Idempotency-Key, and nothing is reserved or written', async () => {
    const body = json({ mentor_id: 'mntr_hdr', coordinator_id: 'coord_hdr', reason: 'conduct_review' });
    const answer = await rawRequest(
      port,
      [
        'POST /api/v1/mentor-suppressions HTTP/1.1',
        'Host: localhost',
        `Authorization: Bearer ${KEY}`,
        'Content-Type: application/json',
        body.length,
        'Idempotency-Key: first-key',
        'Idempotency-Key: second-key',
      ],
      body.text,
    );
    assertRawProblem(answer, 400, 'Idempotency-Key');
    assert.equal((await t.db.query('SELECT count(*)::int AS n FROM idempotency_keys')).rows[0].n, 0);
  });

  it('two If-Match headers on a PUT are 400 naming If-Match, and nothing is written', async () => {
    const before = await mentorCount();
    const body = json({ full_name: 'Twice', chapter_id: 'chpt_hdr' });
    const answer = await rawRequest(
      port,
      [
        'PUT /api/v1/mentors/mntr_hdr HTTP/1.1',
        'Host: localhost',
        `Authorization: Bearer ${KEY}`,
        'Content-Type: application/json',
        body.length,
        'If-Match: *',
        'If-Match: "abc"',
      ],
      body.text,
    );
    assertRawProblem(answer, 400, 'If-Match');
    assert.equal(await mentorCount(), before);
  });

  it('a header repeated many times is listed once, and so is each of several repeated ones', async () => {
    const answer = await rawRequest(port, [
      'GET /api/v1/mentors HTTP/1.1',
      'Host: localhost',
      'Host: localhost',
      ...Array.from({ length: 50 }, () => 'Authorization: Bearer x'),
    ]);
    assertRawProblem(answer, 400);
    const problem = JSON.parse(answer.body) as { errors: { field: string }[] };
    assert.deepEqual(problem.errors.map((error) => error.field).sort(), ['Authorization', 'Host']);
  });

  it('two Content-Length headers are 400 problem+json (refused by the HTTP parser itself)', async () => {
    const answer = await rawRequest(
      port,
      ['PUT /api/v1/mentors/mntr_hdr HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', 'Content-Length: 2', 'Content-Length: 2'],
      '{}',
    );
    assertRawProblem(answer, 400);
  });

  it('headers that may be repeated still may', async () => {
    const answer = await rawRequest(port, [
      'GET /api/v1/mentors HTTP/1.1',
      'Host: localhost',
      'Accept: application/json',
      'Accept: */*',
      'X-Trace: a',
      'X-Trace: b',
    ]);
    assert.equal(answer.status, 200);
  });
});
