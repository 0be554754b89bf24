import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * Property-based fuzzing of every operation in the app's own OpenAPI document (so operations
 * added later are fuzzed too), through Fastify's inject (no sockets, so that ten thousand requests
 * stay fast). Every request must get an answer below 500; every 4xx must be problem+json; a
 * rejected write must leave every table as it was; and no answer to a request under 16 KB may be
 * over 16 KB (list pages aside, whose size follows the stored data). Besides random types, sizes
 * and encodings, the generators produce the classes of input that once gave 500s or were
 * silently ignored: zone offsets PostgreSQL refuses, keys named like internal properties, U+0000
 * and lone surrogates, invalid UTF-8, numbers in odd forms, repeated singleton headers and
 * floods of unknown keys.
 */

const TOTAL_REQUESTS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_322);
const SIZE_BOUND = 16 * 1024;

const FUZZ_KEY = 'fuzz-key-0123456789abcdef';
const NARROW_KEY = 'fuzz-narrow-key-0123456789';

interface Schema {
  $ref?: string;
  properties?: Record<string, Schema>;
  example?: unknown;
}
interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; schema?: { example?: string | number | boolean; default?: string | number | boolean } }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface Target {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  template: string;
  operation: Operation;
  pathParams: string[];
  /** Each query parameter with a valid value from the document (its example or default). */
  queryParams: Record<string, string>;
  /** Each body property with a valid value from the document (its example). */
  bodyProperties: Record<string, unknown>;
}

type Body =
  | { kind: 'none' }
  | { kind: 'entries'; entries: [string, unknown][] }
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; text: string }
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'flood'; count: number; keyLength: number };

interface FuzzRequest {
  path: Record<string, string>;
  query: [string, string][];
  flood: { count: number; keyLength: number } | null;
  body: Body;
  headers: Record<string, string | string[]>;
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
  '%ED%A0%80',
  '\u202e\uffff',
  'null',
  'undefined',
  'true',
  'NaN',
  '2026-02-30T25:61:61Z',
  '9'.repeat(400),
  'a'.repeat(65),
  '😀'.repeat(70),
  'msr_01KK9T4N2H8Q6V3X7C5D1F0G2J',
  'msr_01kk9t4n2h8q6v3x7c5d1f0g2j',
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

/** Names of properties every object has, or that the DTOs have internally (a getter). */
const INTERNAL_NAMES = [
  'offset',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
  'then',
];

/** Integers as a query string may spell them; only plain decimal digits are numbers. */
const NUMBER_FORMS = [
  '1e2',
  '1E1',
  '0x10',
  '0b1',
  ' 10',
  '10 ',
  '+10',
  '010',
  '00',
  '10.0',
  '-0',
  '1_0',
  '١٠',
  'Infinity',
  '0',
  '-1',
  '100',
  '101',
  '1000000',
  '1000001',
  '9'.repeat(30),
];

/** Characters PostgreSQL cannot store or that are not Unicode text on their own. */
const BAD_CHARACTERS = ['\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d'];

const two = (value: number) => String(value).padStart(2, '0');

/** Date-times near and beyond every limit: offsets up to ±23:59 (PostgreSQL takes ±15:59), impossible dates and times, years 0 and 9999. */
const dateTime = fc
  .record({
    year: fc.oneof(fc.constantFrom(0, 1, 1969, 1970, 2026, 9999), fc.integer({ min: 0, max: 9999 })),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 61 }),
    millis: fc.option(fc.integer({ min: 0, max: 9999 }), { nil: undefined }),
    zone: fc.oneof(
      fc.constantFrom('Z', '', 'z', '+16:00', '-16:00', '+23:59', '-23:59', '+15:59', '-15:59', '+24:00', '+00:60'),
      fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([sign, h, m]) => `${sign}${two(h)}:${two(m)}`),
    ),
  })
  .map(
    ({ year, month, day, hour, minute, second, millis, zone }) =>
      `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}${millis === undefined ? '' : `.${millis}`}${zone}`,
  );

const plausibleDateTime = fc
  .tuple(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }), fc.constantFrom('Z', '+16:00', '-23:59', '+15:59', '+05:30', '-12:00'))
  .map(([millis, zone]) => `${new Date(millis).toISOString().slice(0, 19)}${zone}`);

/** A known-good value with a character in it that must be refused. */
const withBadCharacter = fc
  .tuple(fc.constantFrom('mntr_fuzz_1', 'Leave', 'chpt_fuzz', 'Fuzz One', 'certification_expired', ''), fc.constantFrom(...BAD_CHARACTERS), fc.nat(12))
  .map(([value, character, at]) => `${value.slice(0, at)}${character}${value.slice(at)}`);

const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE, ...PLAUSIBLE) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBER_FORMS) },
  { weight: 2, arbitrary: fc.oneof(dateTime, plausibleDateTime) },
  { weight: 2, arbitrary: withBadCharacter },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 2_000, maxLength: 6_000 }) },
);

const deeplyNested = fc
  .integer({ min: 30, max: 4_000 })
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

/** Bytes that are not UTF-8: stray continuation bytes, 0xff, truncated and overlong sequences, encoded surrogates. */
const invalidUtf8 = fc.constantFrom([0x80], [0xff], [0xfe], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]);

/** Header values can only be visible Latin-1; what the fuzzer varies there is their content, and how often they are sent. */
const headerText = text.map((value) => value.replace(/[^\x20-\x7e]/g, '').slice(0, 300));

const MENTORS = ['mntr_fuzz_1', 'mntr_fuzz_2'];

/** One thing made wrong in an otherwise valid request. */
type Change =
  | { slot: 'path'; name: string; value: string }
  | { slot: 'query'; name: string; value: string }
  | { slot: 'body'; name: string; value: unknown }
  | { slot: 'drop'; name: string }
  | { slot: 'header'; name: string; value: string | string[] | undefined }
  | { slot: 'flood'; count: number; keyLength: number }
  | { slot: 'whole body'; body: Body };

/**
 * Two kinds of request, as many of each. Wild ones are random in every part at once. The others
 * are the document's valid request (example values, the fuzzer's own mentors and ids, a key with
 * every scope) with one or two things changed: most of them fail on that one thing only, so that a
 * bad value reaches the rules and the database behind validation rather than being refused along
 * with its neighbours.
 */
function requestFor(target: Target, ids: string[]): fc.Arbitrary<FuzzRequest> {
  const queryNames = Object.keys(target.queryParams);
  const bodyNames = Object.keys(target.bodyProperties);
  const someOf = (names: string[]) => (names.length ? fc.constantFrom(...names) : text);
  const queryName = fc.oneof(
    { weight: 6, arbitrary: someOf(queryNames) },
    { weight: 2, arbitrary: fc.constantFrom(...INTERNAL_NAMES) },
    { weight: 1, arbitrary: text },
  );
  const bodyKey = fc.oneof(
    { weight: 8, arbitrary: someOf(bodyNames) },
    { weight: 2, arbitrary: fc.constantFrom(...INTERNAL_NAMES) },
    { weight: 1, arbitrary: text },
  );
  const bodyValue = fc.oneof(
    { weight: 2, arbitrary: anyValue },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(...PLAUSIBLE) },
    { weight: 2, arbitrary: fc.oneof(dateTime, plausibleDateTime) },
    { weight: 2, arbitrary: withBadCharacter },
  );
  const randomEntries = fc.array(fc.tuple(bodyKey, bodyValue), { maxLength: 6 });
  const flood = fc.record({ count: fc.integer({ min: 21, max: 1_500 }), keyLength: fc.integer({ min: 1, max: 12 }) });
  const wholeBody: fc.Arbitrary<Body> = fc.oneof(
    { weight: 3, arbitrary: randomEntries.map((entries) => ({ kind: 'entries' as const, entries })) },
    { weight: 2, arbitrary: anyValue.map((value) => ({ kind: 'json' as const, value })) },
    { weight: 1, arbitrary: fc.oneof(deeplyNested, text).map((raw) => ({ kind: 'raw' as const, text: raw })) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...MENTORS), invalidUtf8, fc.nat()).map(([mentor, bytes, at]) => {
        const json = Buffer.from(serialise(exampleBody(target, mentor)));
        const cut = 1 + (at % (json.length - 1));
        return { kind: 'bytes' as const, bytes: Buffer.concat([json.subarray(0, cut), Buffer.from(bytes), json.subarray(cut)]) };
      }),
    },
    { weight: 1, arbitrary: flood.map((value) => ({ kind: 'flood' as const, ...value })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  );
  const headerChange = fc.oneof(
    fc.tuple(
      fc.constant('Authorization'),
      fc.oneof(
        fc.constant(`Bearer ${NARROW_KEY}`),
        headerText,
        fc.constant(undefined),
        fc.constant<string[]>([`Bearer ${FUZZ_KEY}`, `Bearer ${NARROW_KEY}`]),
        fc.constant<string[]>([`Bearer ${FUZZ_KEY}`, `Bearer ${FUZZ_KEY}`]),
      ),
    ),
    fc.tuple(
      fc.constant('Idempotency-Key'),
      fc.oneof(
        fc.uuid(),
        headerText,
        fc.tuple(fc.uuid(), fc.uuid()).map((keys) => [...keys]),
      ),
    ),
    fc.tuple(fc.constant('If-Match'), fc.oneof(fc.constant('*'), headerText, fc.constant<string[]>(['*', '*']))),
    fc.tuple(
      fc.constant('Content-Type'),
      fc.oneof(
        fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'APPLICATION/JSON'),
        fc.constant<string[]>(['application/json', 'application/json']),
        fc.constant(undefined),
      ),
    ),
    fc.tuple(fc.constant('Host'), fc.constant<string[]>(['localhost', 'evil.example'])),
  );
  const changes: fc.Arbitrary<Change>[] = [
    headerChange.map(([name, value]) => ({ slot: 'header' as const, name, value })),
    fc.tuple(queryName, text).map(([name, value]) => ({ slot: 'query' as const, name, value })),
    flood.map((value) => ({ slot: 'flood' as const, ...value })),
  ];
  if (target.pathParams.length) {
    changes.push(fc.tuple(fc.constantFrom(...target.pathParams), text).map(([name, value]) => ({ slot: 'path' as const, name, value })));
  }
  if (bodyNames.length) {
    changes.push(
      fc.tuple(bodyKey, bodyValue).map(([name, value]) => ({ slot: 'body' as const, name, value })),
      fc.tuple(bodyKey, bodyValue).map(([name, value]) => ({ slot: 'body' as const, name, value })),
      fc.constantFrom(...bodyNames).map((name) => ({ slot: 'drop' as const, name })),
      wholeBody.map((body) => ({ slot: 'whole body' as const, body })),
    );
  }
  const valid = fc.record({
    path: fc.record(Object.fromEntries(target.pathParams.map((name) => [name, fc.constantFrom(...ids)])) as Record<string, fc.Arbitrary<string>>),
    query: fc.subarray(queryNames).map((names) => names.map((name) => [name, target.queryParams[name]] as [string, string])),
    mentor: fc.constantFrom(...MENTORS),
  });
  const oneOrTwoWrong = fc.tuple(valid, fc.array(fc.oneof(...changes), { minLength: 1, maxLength: 2 })).map(([base, wrong]) => {
    const request: FuzzRequest = {
      path: base.path,
      query: base.query,
      flood: null,
      body: bodyNames.length ? { kind: 'entries', entries: exampleBody(target, base.mentor) } : { kind: 'none' },
      headers: { Authorization: `Bearer ${FUZZ_KEY}`, 'Content-Type': 'application/json' },
    };
    for (const change of wrong) apply(request, change);
    return request;
  });

  const wild = fc.record({
    path: fc.record(
      Object.fromEntries(target.pathParams.map((name) => [name, fc.oneof(fc.constantFrom(...ids), text)])) as Record<string, fc.Arbitrary<string>>,
    ),
    query: fc.array(fc.tuple(queryName, text), { maxLength: 5 }),
    flood: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: flood }),
    body: wholeBody,
    headers: fc.array(headerChange, { maxLength: 3 }).map((given) => {
      const headers: Record<string, string | string[]> = { Authorization: `Bearer ${FUZZ_KEY}`, 'Content-Type': 'application/json' };
      for (const [name, value] of given) setHeader(headers, name, value);
      return headers;
    }),
  });
  return fc.oneof(oneOrTwoWrong, wild);
}

/** The document's example body, with one of the fuzzer's mentors. */
function exampleBody(target: Target, mentor: string): [string, unknown][] {
  return Object.entries(target.bodyProperties).map(([name, example]) => [name, name === 'mentor_id' ? mentor : example]);
}

function setHeader(headers: Record<string, string | string[]>, name: string, value: string | string[] | undefined): void {
  if (value === undefined) delete headers[name];
  else headers[name] = value;
}

function apply(request: FuzzRequest, change: Change): void {
  switch (change.slot) {
    case 'path':
      request.path[change.name] = change.value;
      return;
    case 'query':
      request.query.push([change.name, change.value]);
      return;
    case 'flood':
      request.flood = { count: change.count, keyLength: change.keyLength };
      return;
    case 'header':
      setHeader(request.headers, change.name, change.value);
      return;
    case 'whole body':
      request.body = change.body;
      return;
  }
  if (request.body.kind !== 'entries') return;
  const entries = request.body.entries.filter(([name]) => name !== change.name);
  request.body = { kind: 'entries', entries: change.slot === 'body' ? [...entries, [change.name, change.value]] : entries };
}

/** JSON text of an object written key by key, so that keys such as `__proto__` and repeated keys reach the server as written. */
function serialise(entries: [string, unknown][]): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`;
}

function floodKeys(count: number, keyLength: number): string[] {
  return Array.from({ length: count }, (_, index) => `${'u'.repeat(keyLength)}${index}`);
}

/** encodeURIComponent, except that a lone surrogate is sent as the three bytes it would be in WTF-8: a malformed escape, as a hostile client would send it. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...value]
      .map((character) => {
        const code = character.charCodeAt(0);
        if (character.length === 1 && code >= 0xd800 && code <= 0xdfff) {
          return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
        }
        return encodeURIComponent(character);
      })
      .join('');
  }
}

function urlOf(target: Target, fuzz: FuzzRequest): string {
  const path = target.template.replace(/\{([^}]+)\}/g, (_, name: string) => encode(fuzz.path[name]));
  const pairs = [...fuzz.query, ...(fuzz.flood ? floodKeys(fuzz.flood.count, fuzz.flood.keyLength).map((key) => [key, '1'] as [string, string]) : [])];
  const query = pairs.map(([name, value]) => `${encode(name)}=${encode(value)}`).join('&');
  return query ? `${path}?${query}` : path;
}

function payloadOf(body: Body): string | Buffer | undefined {
  switch (body.kind) {
    case 'none':
      return undefined;
    case 'entries':
      return serialise(body.entries);
    case 'json':
      return JSON.stringify(body.value) ?? 'null';
    case 'raw':
      return body.text;
    case 'bytes':
      return body.bytes;
    case 'flood':
      return serialise(floodKeys(body.count, body.keyLength).map((key) => [key, 1]));
  }
}

describe('fuzzing every operation', () => {
  let t: TestApp;
  let targets: Target[];
  let ids: string[];
  let fingerprintSql: string;

  /**
   * What changes whenever a transaction commits a change to a table the API owns (idempotency keys
   * aside, which a rejected request may record): its row count and its newest row version. An update
   * writes a new version, a delete lowers the count, and rolled-back rows are never visible. One
   * cheap scan per table, prepared once.
   */
  const fingerprint = async () =>
    (await t.db.query({ name: 'fuzz-fingerprint', text: fingerprintSql })).rows.map((row) => `${row.name}:${row.n}:${row.newest}`).join(' ');
  const inject = (options: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(options);

  before(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '65536', API_KEYS: `fuzz:${FUZZ_KEY},narrow:${NARROW_KEY}:statuses:write` });
    const authorization = `Bearer ${FUZZ_KEY}`;
    const seed = async (method: 'PUT' | 'POST', url: string, payload: object) =>
      assert.ok((await inject({ method, url, payload, headers: { authorization } })).statusCode < 300, url);
    await seed('PUT', '/api/v1/mentors/mntr_fuzz_1', { full_name: 'Fuzz One', chapter_id: 'chpt_fuzz' });
    await seed('PUT', '/api/v1/mentors/mntr_fuzz_2', { full_name: 'Fuzz Two', chapter_id: 'chpt_fuzz' });
    await seed('POST', '/api/v1/mentor-statuses', { mentor_id: 'mntr_fuzz_1', status: 'paused', reason: 'Leave', changed_by: 'user_fuzz' });
    await seed('POST', '/api/v1/mentor-suppressions', { mentor_id: 'mntr_fuzz_2', coordinator_id: 'coord_fuzz', reason: 'conduct_review' });
    const { rows } = await t.db.query('SELECT id FROM mentor_status_records');
    ids = ['mntr_fuzz_1', 'mntr_fuzz_2', 'chpt_fuzz', ...rows.map((row) => row.id as string)];

    const tables: { table_name: string }[] = (
      await t.db.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
         AND table_name NOT IN ('typeorm_migrations', 'idempotency_keys') ORDER BY table_name`,
      )
    ).rows;
    fingerprintSql = tables
      .map(({ table_name }) => `SELECT '${table_name}' AS name, count(*) AS n, max(xmin::text::bigint) AS newest FROM "${table_name}"`)
      .join(' UNION ALL ');

    const document = (await inject({ url: '/docs-json' })).json<{
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Schema> };
    }>();
    const resolve = (schema: Schema | undefined): Schema | undefined =>
      schema?.$ref ? document.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
    targets = Object.entries(document.paths).flatMap(([template, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        method: method.toUpperCase() as Target['method'],
        template,
        operation,
        pathParams: (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name),
        queryParams: Object.fromEntries(
          (operation.parameters ?? [])
            .filter((parameter) => parameter.in === 'query')
            .map((parameter) => [parameter.name, String(parameter.schema?.example ?? parameter.schema?.default ?? '')]),
        ),
        bodyProperties: Object.fromEntries(
          Object.entries(resolve(operation.requestBody?.content['application/json']?.schema)?.properties ?? {}).map(([name, schema]) => [name, schema.example]),
        ),
      })),
    );
  });
  after(() => t.close());

  it('finds the operations to fuzz in the OpenAPI document', () => {
    assert.ok(targets.length >= 18, `${targets.length} operations`);
  });

  it(`sends at least ${TOTAL_REQUESTS} requests: no 5xx, problem+json on every 4xx, no rejected write changes data, no answer over 16 KB to a request under 16 KB`, async (context) => {
    // Operations with more inputs get more runs; one without any (the health check) still gets some.
    const weightOf = (target: Target) => 1 + target.pathParams.length + Object.keys(target.queryParams).length + Object.keys(target.bodyProperties).length;
    const totalWeight = targets.reduce((sum, target) => sum + weightOf(target), 0);
    const started = process.hrtime.bigint();
    const statuses = new Map<number, number>();
    let sent = 0;
    let last = await fingerprint();
    for (const target of targets) {
      const isWrite = target.method !== 'GET';
      await fc.assert(
        fc.asyncProperty(requestFor(target, ids), async (fuzz) => {
          const url = urlOf(target, fuzz);
          const payload = payloadOf(fuzz.body);
          const headers = payload === undefined ? Object.fromEntries(Object.entries(fuzz.headers).filter(([name]) => name !== 'Content-Type')) : fuzz.headers;
          const requestSize =
            url.length +
            (payload === undefined ? 0 : Buffer.byteLength(payload)) +
            Object.entries(headers).reduce((sum, [name, value]) => sum + name.length + String(value).length, 0);
          const response = await inject({ method: target.method, url, headers, ...(payload !== undefined && { payload }) });
          sent += 1;
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
          const where = `${target.operation.operationId} ${url.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
          assert.ok(response.statusCode < 500, where);
          if (response.statusCode >= 400) {
            assert.match(String(response.headers['content-type']), /^application\/problem\+json/, where);
            const problem = response.json<Record<string, unknown>>();
            assert.equal(problem.status, response.statusCode, where);
            for (const member of ['type', 'title', 'detail', 'instance']) assert.equal(typeof problem[member], 'string', `${member}: ${where}`);
          }
          const isListPage = !isWrite && response.statusCode < 300;
          if (requestSize < SIZE_BOUND && !isListPage) {
            assert.ok(response.rawPayload.length <= SIZE_BOUND, `a ${requestSize}-byte request got a ${response.rawPayload.length}-byte answer: ${where}`);
          }
          if (isWrite) {
            const now = await fingerprint();
            if (response.statusCode >= 400) assert.equal(now, last, `a rejected write changed the data: ${where}`);
            last = now;
          }
        }),
        { numRuns: Math.ceil((TOTAL_REQUESTS * weightOf(target)) / totalWeight), seed: SEED, endOnFailure: true },
      );
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    assert.ok(sent >= TOTAL_REQUESTS, `${sent} requests sent`);
    const answers = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`);
    context.diagnostic(`${sent} requests over ${targets.length} operations in ${seconds.toFixed(1)} s (seed ${SEED}): ${answers.join(' ')}`);
  });
});
