import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * Property-based fuzzing of every operation in the app's own OpenAPI document (so operations
 * added later are fuzzed too): random bodies, query strings and path parameters must never give
 * a 5xx, every 4xx must be problem+json, and a rejected write must leave the data as it was.
 */

const RUNS_PER_OPERATION = 45;
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_322);

interface Schema {
  $ref?: string;
  properties?: Record<string, Schema>;
}
interface Operation {
  operationId: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface Target {
  method: 'get' | 'post' | 'put' | 'delete' | 'patch';
  template: string;
  operation: Operation;
  pathParams: string[];
  queryParams: string[];
  bodyProperties: string[];
}

interface FuzzRequest {
  path: Record<string, string>;
  query: [string, string][];
  body: { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };
  headers: Record<string, string>;
}

const HOSTILE = [
  '',
  ' ',
  "' OR '1'='1",
  "'; DROP TABLE mentors; --",
  '" OR ""="',
  '1; SELECT pg_sleep(10)',
  '$1',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  '\u202e\u0000\uffff',
  'null',
  'undefined',
  'true',
  'NaN',
  '-1',
  '0',
  '1e309',
  '2026-02-30T25:61:61Z',
  '9'.repeat(400),
  'a'.repeat(65),
  '😀'.repeat(70),
  'msr_01KK9T4N2H8Q6V3X7C5D1F0G2J',
  'msr_01kk9t4n2h8q6v3x7c5d1f0g2j',
  '__proto__',
  'constructor',
];

/** Known-good values, so that the fuzzer also reaches the rules behind validation. */
const PLAUSIBLE = [
  'mntr_fuzz_1',
  'mntr_fuzz_2',
  'chpt_fuzz',
  'coord_fuzz',
  'certification_expired',
  'active',
  'paused',
  'Leave',
  '2026-03-01T00:00:00Z',
  '1',
  '20',
  'true',
  'false',
];

const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE, ...PLAUSIBLE) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 2_000, maxLength: 6_000 }) },
);

const deeplyNested = fc
  .integer({ min: 100, max: 4_000 })
  .chain((depth) => fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 4 }),
  fc.array(text, { maxLength: 5 }),
  fc.dictionary(text, text, { maxKeys: 4 }),
);

function requestFor(target: Target, ids: string[]): fc.Arbitrary<FuzzRequest> {
  const pathValue = fc.oneof(text, fc.constantFrom(...ids));
  const path = fc.record(Object.fromEntries(target.pathParams.map((name) => [name, pathValue])) as Record<string, fc.Arbitrary<string>>);
  const queryName = fc.oneof(
    { weight: 4, arbitrary: target.queryParams.length ? fc.constantFrom(...target.queryParams) : text },
    { weight: 1, arbitrary: text },
  );
  const query = fc.array(fc.tuple(queryName, text), { maxLength: 5 });
  const knownBody = fc.dictionary(
    fc.oneof({ weight: 5, arbitrary: target.bodyProperties.length ? fc.constantFrom(...target.bodyProperties) : text }, { weight: 1, arbitrary: text }),
    fc.oneof(anyValue, fc.constantFrom<unknown>(...PLAUSIBLE)),
    { maxKeys: 6 },
  );
  const body = fc.oneof(
    { weight: 5, arbitrary: knownBody.map((value) => ({ kind: 'json' as const, value })) },
    { weight: 2, arbitrary: anyValue.map((value) => ({ kind: 'json' as const, value })) },
    { weight: 1, arbitrary: fc.oneof(deeplyNested, text).map((raw) => ({ kind: 'raw' as const, text: raw })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  );
  // Header values can only be visible Latin-1; what the fuzzer varies there is their content.
  const headerText = text.map((value) => value.replace(/[^\x20-\x7e]/g, '').slice(0, 300));
  const headers = fc.record({ 'Idempotency-Key': headerText, 'If-Match': headerText }, { requiredKeys: [] });
  return fc.record({ path, query, body, headers });
}

function urlOf(target: Target, fuzz: FuzzRequest): string {
  const path = target.template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(fuzz.path[name]));
  const query = fuzz.query.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  return query ? `${path}?${query}` : path;
}

describe('fuzzing every operation', () => {
  let t: TestApp;
  let targets: Target[];
  let ids: string[];
  let fingerprintSql: string;

  /** A digest of every row of every table the API owns (idempotency keys aside, which a rejected request may record). */
  const fingerprint = async () => (await t.db.query(fingerprintSql)).rows.map((row) => `${row.name}:${row.digest}`).join(' ');

  before(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '65536' });
    const seed = async (method: 'put' | 'post', url: string, body: object) => assert.ok((await request(t.http)[method](url).send(body)).status < 300, url);
    await seed('put', '/api/v1/mentors/mntr_fuzz_1', { full_name: 'Fuzz One', chapter_id: 'chpt_fuzz' });
    await seed('put', '/api/v1/mentors/mntr_fuzz_2', { full_name: 'Fuzz Two', chapter_id: 'chpt_fuzz' });
    await seed('post', '/api/v1/mentor-statuses', { mentor_id: 'mntr_fuzz_1', status: 'paused', reason: 'Leave', changed_by: 'user_fuzz' });
    await seed('post', '/api/v1/mentor-suppressions', { mentor_id: 'mntr_fuzz_2', coordinator_id: 'coord_fuzz', reason: 'conduct_review' });
    const { rows } = await t.db.query('SELECT id FROM mentor_status_records');
    ids = ['mntr_fuzz_1', 'mntr_fuzz_2', 'chpt_fuzz', ...rows.map((row) => row.id as string)];

    const tables: { table_name: string }[] = (
      await t.db.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
         AND table_name NOT IN ('typeorm_migrations', 'idempotency_keys') ORDER BY table_name`,
      )
    ).rows;
    fingerprintSql = tables
      .map(({ table_name }) => `SELECT '${table_name}' AS name, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${table_name}" t`)
      .join(' UNION ALL ');

    const document = (await request(t.http).get('/docs-json')).body as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Schema> };
    };
    const resolve = (schema: Schema | undefined): Schema | undefined =>
      schema?.$ref ? document.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
    targets = Object.entries(document.paths).flatMap(([template, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        method: method as Target['method'],
        template,
        operation,
        pathParams: (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name),
        queryParams: (operation.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name),
        bodyProperties: Object.keys(resolve(operation.requestBody?.content['application/json']?.schema)?.properties ?? {}),
      })),
    );
  });
  after(() => t.close());

  it('finds the operations to fuzz in the OpenAPI document', () => {
    assert.ok(targets.length >= 16, `${targets.length} operations`);
  });

  it('never answers 5xx, answers every 4xx with problem+json, and leaves the data unchanged on every rejected write', async () => {
    for (const target of targets) {
      const isWrite = target.method !== 'get';
      await fc.assert(
        fc.asyncProperty(requestFor(target, ids), async (fuzz) => {
          const before = isWrite ? await fingerprint() : '';
          let call = request(t.http)[target.method](urlOf(target, fuzz));
          for (const [name, value] of Object.entries(fuzz.headers)) call = call.set(name, value);
          if (fuzz.body.kind === 'json') call = call.set('content-type', 'application/json').send(JSON.stringify(fuzz.body.value) ?? 'null');
          if (fuzz.body.kind === 'raw') call = call.set('content-type', 'application/json').send(fuzz.body.text);
          const response = await call;
          const where = `${target.operation.operationId} → ${response.status} ${response.text.slice(0, 300)}`;
          assert.ok(response.status < 500, where);
          if (response.status >= 400) {
            assert.match(String(response.headers['content-type']), /^application\/problem\+json/, where);
            assert.equal(response.body.status, response.status, where);
            if (isWrite) assert.equal(await fingerprint(), before, `a rejected write changed the data: ${where}`);
          }
        }),
        { numRuns: RUNS_PER_OPERATION, seed: SEED, endOnFailure: true },
      );
    }
  });
});
