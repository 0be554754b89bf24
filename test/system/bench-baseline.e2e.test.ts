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

  for (const endpoint of endpoints(SHAPE, '').filter((candidate) => candidate.method === 'GET')) {
    it(`byte for byte on ${endpoint.name}`, async () => {
      const next = await endpoint.prepare();
      const paths = Array.from({ length: REQUESTS_PER_ROUTE }, (_, n) => next(n).path);
      // Lists again on a later page, one past the end, and with a full page (which makes TypeORM count).
      const pages = paths.filter((path) => !path.includes('/mentor-statuses/') && !path.includes('/mentor-suppressions/'));
      const paged = pages.flatMap((path) => ['page=2&limit=1', 'page=1000', 'limit=1'].map((page) => `${path}${path.includes('?') ? '&' : '?'}${page}`));
      for (const path of [...new Set([...paths, ...paged])]) {
        const fromApp = await request(t.http).get(path);
        const fromBaseline = await fetch(`${baselineUrl}${path}`);
        assert.equal(fromApp.status, 200, `${path}: ${fromApp.text}`);
        assert.equal(fromBaseline.status, 200, path);
        assert.equal(await fromBaseline.text(), fromApp.text, path);
      }
    });
  }

  it('with the same fields in the same order on POST /mentor-statuses', async () => {
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
  });
});
