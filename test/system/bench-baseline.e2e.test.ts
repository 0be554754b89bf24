import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { DatasetShape, loadDataset, mentorId } from '../../bench/dataset.js';
import { endpoints } from '../../bench/endpoints.js';
import { freePort } from '../../tools/free-port.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const baselineJs = join(dirname(fileURLToPath(import.meta.url)), '../../bench/baseline-server.js');
const SHAPE: DatasetShape = { mentors: 400, chapters: 4, records: 4_000 };
const REQUESTS_PER_ROUTE = 12;

/** The same path again with other pages (for lists): a later page, one past the end, a full page (one item), and a next page by cursor of another size. */
function otherPages(path: string): string[] {
  const [route, query = ''] = path.split('?');
  const withParams = (params: Record<string, string>) => {
    const search = new URLSearchParams(query);
    for (const [name, value] of Object.entries(params)) search.set(name, value);
    return `${route}?${search.toString()}`;
  };
  if (query.includes('cursor=') || query.includes('after=')) return [withParams({ limit: '1' }), withParams({ limit: '3' })];
  if (/\/mentor-(statuses|suppressions)\/[^/]+$/.test(route) || route.endsWith('/summary')) return [];
  return [withParams({ page: '2', limit: '1' }), withParams({ page: '500' }), withParams({ limit: '1' })];
}

/**
 * The benchmark reports the app as a ratio to the raw baseline; that comparison is only honest
 * if both do the same work and give the same answers.
 */
describe('the benchmark baseline answers as the app does', () => {
  let t: TestApp;
  let baseline: ChildProcess;
  let baselineUrl: string;
  before(async () => {
    t = await startTestApp();
    await loadDataset(t.database.url, SHAPE);
    const port = await freePort();
    baseline = spawn(process.execPath, [baselineJs], {
      env: { ...process.env, DATABASE_URL: t.database.url, PORT: String(port), DB_POOL_SIZE: '2' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    baselineUrl = `http://127.0.0.1:${port}`;
    while (
      !(await fetch(`${baselineUrl}/health`).then(
        (response) => response.ok,
        () => false,
      ))
    )
      await sleep(50);
  });
  after(async () => {
    baseline?.kill('SIGTERM');
    await t?.close();
  });

  it('measures every GET the app serves at the status it expects', () => {
    const names = endpoints(SHAPE, '').map((endpoint) => endpoint.name);
    for (const expected of ['GET /events?after=', 'GET /mentor-statuses?mentor_id=&cursor=', 'GET /mentor-statuses/:id → 304']) {
      assert.ok(names.includes(expected), expected);
    }
  });

  for (const endpoint of endpoints(SHAPE, '').filter((candidate) => candidate.method === 'GET')) {
    it(`byte for byte, with the same ETag and Link, on ${endpoint.name}`, async () => {
      // The ETags of a conditional endpoint are the baseline's: the app must answer them with 304 too.
      const next = await endpoints(SHAPE, t.database.url)
        .find((one) => one.name === endpoint.name)!
        .prepare(baselineUrl);
      const requests = Array.from({ length: REQUESTS_PER_ROUTE }, (_, n) => next(n));
      const all = [...requests, ...requests.flatMap(({ path, headers }) => otherPages(path).map((other) => ({ path: other, headers })))];
      const status = endpoint.expectedStatus ?? 200;
      for (const { path, headers = {} } of all) {
        const fromApp = await request(t.http).get(path).set(headers);
        const fromBaseline = await fetch(`${baselineUrl}${path}`, { headers });
        assert.equal(fromApp.status, status, `${path}: ${fromApp.text}`);
        assert.equal(fromBaseline.status, status, path);
        const baselineText = await fromBaseline.text();
        if (endpoint.instantField) {
          // Made at different instants: the rest must match, and both must tag their answers.
          const timeless = (text: string) => text.replace(new RegExp(`"${endpoint.instantField}":"[^"]*"`), `"${endpoint.instantField}":""`);
          assert.equal(timeless(baselineText), timeless(fromApp.text), path);
          assert.equal(typeof fromBaseline.headers.get('etag'), typeof fromApp.headers.etag, `etag of ${path}`);
          continue;
        }
        assert.equal(baselineText, fromApp.text, path);
        for (const header of ['etag', 'link']) assert.equal(fromBaseline.headers.get(header) ?? undefined, fromApp.headers[header], `${header} of ${path}`);
      }
    });
  }

  it('with the same fields in the same order on POST /mentor-statuses, and the same events', async () => {
    const change = (mentor: string) => ({ mentor_id: mentor, status: 'paused', reason: 'Compared', changed_by: 'bench_test' });
    await t.db.query(`UPDATE mentor_status_records SET deleted_at = now() WHERE mentor_id IN ($1, $2)`, [mentorId(0), mentorId(1)]);
    const fromApp = await request(t.http)
      .post('/api/v1/mentor-statuses')
      .send(change(mentorId(0)));
    const fromBaseline = await fetch(`${baselineUrl}/api/v1/mentor-statuses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(change(mentorId(1))),
    });
    assert.equal(fromApp.status, 201, fromApp.text);
    assert.equal(fromBaseline.status, 201);
    const generated = ['mentor_status_id', 'mentor_id', 'changed_at', 'created_at'];
    const comparable = (body: Record<string, unknown>) => Object.entries(body).map(([key, value]) => [key, generated.includes(key) ? typeof value : value]);
    assert.deepEqual(comparable((await fromBaseline.json()) as Record<string, unknown>), comparable(fromApp.body as Record<string, unknown>));
    const { rows } = await t.db.query<{ subject: string; types: string[]; fields: string[] }>(
      `SELECT subject, array_agg(type ORDER BY seq) AS types, array_agg(fields ORDER BY seq) AS fields
       FROM (SELECT subject, type, seq, (SELECT string_agg(key, ',') FROM json_object_keys(data) AS key) AS fields FROM event_outbox WHERE subject IN ($1, $2)) e
       GROUP BY subject ORDER BY subject`,
      [mentorId(0), mentorId(1)],
    );
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[1].types, rows[0].types);
    assert.deepEqual(rows[1].fields, rows[0].fields);
  });
});
