import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const FRONTEND_KEY = 'frontend-key-0123456789abcdef';
const SWEEPER_KEY = 'sweeper-key-0123456789abcdef';

interface Operation {
  operationId: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  'x-required-scope'?: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, unknown> }>;
}
type Paths = Record<string, Record<string, Operation>>;

const WRITES = ['post', 'put', 'patch', 'delete'];

/** Every write operation the app documents, with its path parameters filled in. */
function writeOperations(paths: Paths): { method: string; url: string; operationId: string }[] {
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => WRITES.includes(method))
      .map(([method, operation]) => ({ method, url: path.replace(/\{[^}]+\}/g, 'msr_01KK9T4N2H8Q6V3X7C5D1F0G2J'), operationId: operation.operationId })),
  );
}

async function tableCounts(t: TestApp): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['mentors', 'mentor_status_records', 'mentor_suppressions', 'idempotency_keys']) {
    counts[table] = (await t.db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  }
  return counts;
}

describe('writes with API_KEYS set', () => {
  let t: TestApp;
  let paths: Paths;
  before(async () => {
    t = await startTestApp({ API_KEYS: `frontend:${FRONTEND_KEY}, sweeper:${SWEEPER_KEY}` });
    paths = (await request(t.http).get('/docs-json')).body.paths;
  });
  after(() => t.close());

  it('every write operation of the app answers 401 problem+json with WWW-Authenticate when no key is sent, and writes nothing', async () => {
    const before = await tableCounts(t);
    const operations = writeOperations(paths);
    assert.ok(operations.length >= 7, 'the document lists the write operations');
    for (const { method, url, operationId } of operations) {
      const response = await request(t.http)[method as 'post'](url).set('Idempotency-Key', `k-${operationId}`).send({});
      assertProblem(response, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer', operationId);
    }
    assert.deepEqual(await tableCounts(t), before);
  });

  for (const [label, authorization] of [
    ['a wrong key', `Bearer ${FRONTEND_KEY.slice(0, -1)}x`],
    ['a longer key', `Bearer ${FRONTEND_KEY}0`],
    ['a key without the Bearer scheme', FRONTEND_KEY],
    ['Basic credentials', `Basic ${Buffer.from(`frontend:${FRONTEND_KEY}`).toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ] as const) {
    it(`${label} is 401 and writes nothing`, async () => {
      const response = await request(t.http)
        .put('/api/v1/mentors/mntr_auth_denied')
        .set('Authorization', authorization)
        .send({ full_name: 'Denied', chapter_id: 'chpt_auth' });
      assertProblem(response, 401);
      assert.match(String(response.headers['www-authenticate']), /^Bearer/);
      assert.equal((await t.db.query(`SELECT count(*)::int AS n FROM mentors WHERE mentor_id = 'mntr_auth_denied'`)).rows[0].n, 0);
    });
  }

  it('each named key may write, with the scheme in any case', async () => {
    const created = await request(t.http)
      .put('/api/v1/mentors/mntr_auth_ok')
      .set('Authorization', `Bearer ${FRONTEND_KEY}`)
      .send({ full_name: 'Allowed', chapter_id: 'chpt_auth' });
    assert.equal(created.status, 201);
    const posted = await request(t.http)
      .post('/api/v1/mentor-statuses')
      .set('Authorization', `bearer ${SWEEPER_KEY}`)
      .send({ mentor_id: 'mntr_auth_ok', status: 'active', changed_by: 'user_auth' });
    assert.equal(posted.status, 201);
    const removed = await request(t.http).delete(`/api/v1/mentor-statuses/${posted.body.mentor_status_id}`).set('Authorization', `Bearer ${SWEEPER_KEY}`);
    assert.equal(removed.status, 200);
  });

  it('reads stay public, as the contracts have them', async () => {
    for (const url of [
      '/api/v1/mentor-statuses',
      '/api/v1/mentor-suppressions',
      '/api/v1/mentors/mntr_auth_ok',
      '/api/v1/chapters/chpt_auth/mentors/active',
      '/health',
    ]) {
      assert.equal((await request(t.http).get(url)).status, 200, url);
    }
  });
});

describe('writes without API_KEYS', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('are open, as the contracts have them, and an Authorization header changes nothing', async () => {
    assert.equal((await request(t.http).put('/api/v1/mentors/mntr_open').send({ full_name: 'Open', chapter_id: 'chpt_auth' })).status, 201);
    const withHeader = await request(t.http)
      .put('/api/v1/mentors/mntr_open')
      .set('Authorization', 'Bearer anything-at-all-here')
      .send({ full_name: 'Open', chapter_id: 'chpt_auth' });
    assert.equal(withHeader.status, 200);
  });
});

describe('the OpenAPI document declares the write-safety layer', () => {
  let t: TestApp;
  let document: { paths: Paths; components: { securitySchemes?: Record<string, { type: string; scheme: string }> } };
  before(async () => {
    t = await startTestApp();
    document = (await request(t.http).get('/docs-json')).body;
  });
  after(() => t.close());

  const operations = (methods: string[]) =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => methods.includes(method))
        .map(([method, operation]) => ({ path, method, operation, hasGet: 'get' in item })),
    );

  it('a bearer scheme, required on every write and on no read but those of webhook subscriptions', () => {
    assert.deepEqual(document.components.securitySchemes?.apiKey && { ...document.components.securitySchemes.apiKey, description: undefined }, {
      type: 'http',
      scheme: 'bearer',
      description: undefined,
    });
    for (const { operation } of operations(WRITES)) {
      assert.deepEqual(operation.security, [{ apiKey: [] }, { accessToken: [operation['x-required-scope'] as string] }], operation.operationId);
      assert.ok(operation.responses['401'], `${operation.operationId} documents 401`);
    }
    for (const { path, operation } of operations(['get'])) {
      if (path.startsWith('/api/v1/webhook-subscriptions'))
        assert.deepEqual(operation.security, [{ apiKey: [] }, { accessToken: ['admin'] }], operation.operationId);
      else assert.ok(!operation.security?.length, operation.operationId);
    }
  });

  it('Idempotency-Key, Idempotent-Replayed, 409 and 422 on every POST', () => {
    const posts = operations(['post']);
    assert.ok(posts.length >= 2);
    for (const { operation } of posts) {
      const parameter = operation.parameters?.find((candidate) => candidate.name === 'Idempotency-Key');
      assert.deepEqual(parameter && { in: parameter.in, required: parameter.required }, { in: 'header', required: false }, operation.operationId);
      const success = Object.entries(operation.responses).find(([status]) => status.startsWith('2'));
      assert.ok(success?.[1].headers?.['Idempotent-Replayed'], operation.operationId);
      assert.match(operation.responses['409'].description, /Idempotency-Key/);
      assert.match(operation.responses['422'].description, /Idempotency-Key/);
    }
  });

  it('If-Match and 412 on every PUT of a resource that has a GET, and ETag on every GET answered in JSON', () => {
    const puts = operations(['put']).filter((entry) => entry.hasGet);
    assert.deepEqual(puts.map((entry) => entry.operation.operationId).sort(), [
      'putReasonCode',
      'updateMentorStatus',
      'updateMentorSuppression',
      'updateWebhookSubscription',
      'upsertMentorProfile',
    ]);
    for (const { operation } of puts) {
      assert.equal(operation.parameters?.filter((candidate) => candidate.name.toLowerCase() === 'if-match').length, 1, operation.operationId);
      assert.ok(operation.responses['412'], operation.operationId);
    }
    const gets = operations(['get']);
    for (const { operation } of gets) {
      // The exports are streamed as CSV or NDJSON, and are not hashed.
      const json = operation.responses['200'].content?.['application/json'] !== undefined;
      assert.equal(operation.responses['200'].headers?.ETag !== undefined, json, operation.operationId);
    }
    assert.deepEqual(
      gets.filter(({ operation }) => !operation.responses['200'].headers?.ETag).map(({ operation }) => operation.operationId),
      ['exportMentorStatuses', 'exportMentorSuppressions'],
    );
  });

  it('429 with Retry-After on every operation but the health checks, which are never rate limited', () => {
    for (const { operation } of operations(['get', ...WRITES])) {
      if (operation.tags?.includes('health')) assert.equal(operation.responses['429'], undefined, operation.operationId);
      else assert.ok(operation.responses['429']?.headers?.['Retry-After'], operation.operationId);
    }
  });
});
