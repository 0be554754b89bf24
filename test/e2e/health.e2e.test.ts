import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import request from 'supertest';
import { migrations } from '../../src/database/migrations/index.js';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { waitUntil } from '../support/poll.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

type Checks = Record<string, { status: string; message?: string; applied?: number }>;

describe('GET /health/live and /health/ready', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('live answers 200 without asking anything', async () => {
    const response = await request(t.http).get('/health/live');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { status: 'ok', info: {}, error: {}, details: {} });
  });

  it('ready answers 200 listing the shutdown, database and migrations checks', async () => {
    const response = await request(t.http).get('/health/ready');
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'ok');
    const details = response.body.details as Checks;
    assert.deepEqual(Object.keys(details).sort(), ['database', 'migrations', 'shutdown']);
    assert.ok(Object.values(details).every((check) => check.status === 'up'));
    assert.equal(details.migrations.applied, migrations.length);
  });

  it('ready is 503 problem+json naming the migration while one of this version is not applied, and 200 again once it is', async () => {
    const [{ name }] = (await t.db.query<{ name: string }>('DELETE FROM typeorm_migrations WHERE id = (SELECT max(id) FROM typeorm_migrations) RETURNING name'))
      .rows;
    try {
      const response = await request(t.http).get('/health/ready');
      assertProblem(response, 503);
      assert.ok(Number(response.headers['retry-after']) >= 1);
      assert.equal(response.body.detail, 'Not ready: migrations.');
      const details = response.body.checks.details as Checks;
      assert.equal(details.migrations.status, 'down');
      assert.match(String(details.migrations.message), new RegExp(`not applied: ${name}$`));
      assert.equal(details.database.status, 'up');
      assert.equal((await request(t.http).get('/health/live')).status, 200);
      assert.equal((await request(t.http).get('/health')).status, 200, '/health asks only whether the database answers');
    } finally {
      await t.db.query('INSERT INTO typeorm_migrations ("timestamp", name) VALUES ($1, $2)', [Number(name.slice(-13)), name]);
    }
    assert.equal((await request(t.http).get('/health/ready')).status, 200);
  });

  it('a migration the database has and this version does not know is no reason to refuse traffic', async () => {
    await t.db.query(`INSERT INTO typeorm_migrations ("timestamp", name) VALUES (1999999999999, 'FromANewerVersion1999999999999')`);
    assert.equal((await request(t.http).get('/health/ready')).status, 200);
  });

  it('probes are never rate limited', async () => {
    const limited = await startTestApp({ RATE_LIMIT_PER_MINUTE: '2' });
    try {
      for (let i = 0; i < 5; i++) {
        assert.equal((await request(limited.http).get('/health/live')).status, 200);
        assert.equal((await request(limited.http).get('/health/ready')).status, 200);
      }
    } finally {
      await limited.close();
    }
  });
});

describe('GET /health/ready when the database is gone', () => {
  it('is 503 naming the database, while live stays 200', async () => {
    const t = await startTestApp();
    try {
      await t.db.end();
      await t.database.drop();
      const ready = await request(t.http).get('/health/ready');
      assertProblem(ready, 503);
      assert.equal((ready.body.checks.details as Checks).database.status, 'down');
      assert.equal((await request(t.http).get('/health/live')).status, 200);
    } finally {
      await t.app.close();
    }
  });
});

async function waitingForAdvisoryLock(db: pg.Pool): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows[0].n > 0;
}

describe('GET /health/ready while the app shuts down', () => {
  it('is 503 from the start of the shutdown while the app still answers, and live stays 200', async () => {
    // A scheduled sweep that waits for a mentor's lock keeps the shutdown waiting (it ends its batch first), with the server still up.
    const t = await startTestApp({ CERT_SWEEP_INTERVAL_SECONDS: '1', DB_STATEMENT_TIMEOUT_MS: '60000' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    try {
      const put = await fetch(`${base}/api/v1/mentors/mntr_draining`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ full_name: 'Drain Dee', chapter_id: 'chpt_drain', certification_expires_at: '2020-01-01T00:00:00.000Z' }),
      });
      assert.equal(put.status, 201);
      const release = await holdMentorHistory(t.db, 'mntr_draining');
      let closing: Promise<void> | undefined;
      try {
        await waitUntil(() => waitingForAdvisoryLock(t.db), 'the scheduled sweep waits for the held lock');
        assert.equal((await fetch(`${base}/health/ready`)).status, 200, 'ready before the shutdown');

        closing = t.app.close();
        let ready: Response | undefined;
        await waitUntil(async () => (ready = await fetch(`${base}/health/ready`)).status === 503, 'ready turns 503');
        const body = (await ready!.json()) as { type: string; checks: { details: Checks } };
        assert.equal(ready!.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        assert.equal(body.checks.details.shutdown.status, 'down', 'the readiness check itself, not the gate of a closing server, says so');
        assert.equal(body.checks.details.database.status, 'up');
        assert.equal((await fetch(`${base}/health/live`)).status, 200);
        assert.equal((await fetch(`${base}/api/v1/mentors/mntr_draining`)).status, 200, 'requests are still served');
      } finally {
        await release();
      }
      await closing;
    } finally {
      await t.db.end();
      await t.database.drop();
    }
  });
});
