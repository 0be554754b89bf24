import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { embeddedDatabaseUrl } from '../../src/database/embedded-postgres.js';
import { freePort } from '../../tools/free-port.js';
import { logLines, startService, waitForHealth, waitUntil } from '../support/service-process.js';
import { createTestDatabase } from '../support/test-database.js';

const API_KEY = 'storm-key-5b0e2c7d9a41f3e8';

interface Answer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

async function send(base: string, method: string, path: string, body?: object, headers: Record<string, string> = {}): Promise<Answer | undefined> {
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, ...(body && { 'content-type': 'application/json' }), ...headers },
      body: body && JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : {} };
  } catch {
    return undefined; // refused or cut: the service is gone, which is allowed once it stops
  }
}

describe('SIGTERM during a write storm', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let base: string;
  let pgPort: number;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mss-storm-'));
    await chmod(dataDir, 0o755);
    const port = await freePort();
    pgPort = await freePort();
    env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      EMBEDDED_PG_PORT: String(pgPort),
      LOG_LEVEL: 'info',
      API_KEYS: `storm:${API_KEY}`,
      CERT_SWEEP_INTERVAL_SECONDS: '0',
    };
    base = `http://127.0.0.1:${port}`;
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('finishes the requests in flight, refuses new ones, and keeps every write it answered 2xx', async () => {
    const service = startService(env);
    const profiles: string[] = [];
    const records: { id: string; key: string; body: object; answer: Record<string, unknown> }[] = [];
    const unexpected: Answer[] = [];
    let exited = false;
    void service.exited.then(() => (exited = true));

    const worker = async (w: number) => {
      for (let i = 0; !exited; i++) {
        const mentorId = `mntr_storm_${w}_${i}`;
        const put = await send(base, 'PUT', `/api/v1/mentors/${mentorId}`, { full_name: `Storm ${w} ${i}`, chapter_id: 'chpt_storm' });
        if (put?.status === 201) profiles.push(mentorId);
        else if (put) unexpected.push(put);
        if (put?.status !== 201) {
          await sleep(10);
          continue;
        }
        const body = { mentor_id: mentorId, status: 'active', changed_by: 'user_storm' };
        const key = `storm-${w}-${i}`;
        const post = await send(base, 'POST', '/api/v1/mentor-statuses', body, { 'idempotency-key': key });
        if (post?.status === 201) records.push({ id: String(post.body.mentor_status_id), key, body, answer: post.body });
        else if (post) unexpected.push(post);
      }
    };

    const locker = new pg.Client({ connectionString: embeddedDatabaseUrl(pgPort) });
    locker.on('error', () => undefined);
    let slow: Promise<Answer | undefined> | undefined;
    try {
      await waitForHealth(base, service);
      assert.equal((await send(base, 'PUT', '/api/v1/mentors/mntr_storm_slow', { full_name: 'Slow', chapter_id: 'chpt_storm' }))?.status, 201);
      const workers = Array.from({ length: 6 }, (_, w) => worker(w));
      while (records.length < 60) await sleep(20);

      // One write is held inside its transaction by a lock taken from outside, so it is surely in flight at SIGTERM.
      await locker.connect();
      await locker.query(`SELECT pg_advisory_lock(hashtextextended('mentor-status:' || 'mntr_storm_slow', 0))`);
      slow = send(base, 'POST', '/api/v1/mentor-statuses', {
        mentor_id: 'mntr_storm_slow',
        status: 'paused',
        reason: 'In flight at SIGTERM',
        changed_by: 'user_storm',
      });
      while ((await locker.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0].n < 1) await sleep(20);

      service.process.kill('SIGTERM');
      // Served normally until the app starts closing a moment later; then refused, or no longer connectable.
      let late: Answer | undefined;
      await waitUntil('requests are no longer served', async () => (late = await send(base, 'GET', '/api/v1/mentor-statuses'))?.status !== 200);
      if (late) {
        assert.equal(late.status, 503, 'a request after SIGTERM is refused');
        assert.match(late.contentType, /^application\/problem\+json/);
      }
      assert.equal(exited, false, 'the service waits for the request in flight');

      await locker.query(`SELECT pg_advisory_unlock(hashtextextended('mentor-status:' || 'mntr_storm_slow', 0))`);
      await locker.end();
      const slowAnswer = await slow;
      assert.equal(slowAnswer?.status, 201, `the request in flight at SIGTERM finished: ${JSON.stringify(slowAnswer)}`);
      records.push({ id: String(slowAnswer.body.mentor_status_id), key: '', body: {}, answer: slowAnswer.body });

      assert.equal(await service.exited, 0, 'SIGTERM ends the service cleanly');
      await Promise.all(workers);
    } finally {
      service.process.kill('SIGKILL');
      await locker.end().catch(() => undefined);
    }

    for (const answer of unexpected) {
      assert.equal(answer.status, 503, `only refusals besides successes: ${JSON.stringify(answer)}`);
      assert.match(answer.contentType, /^application\/problem\+json/);
    }
    assert.ok(!service.output().includes(API_KEY), 'the API key never reaches the logs');

    const second = startService(env);
    try {
      await waitForHealth(base, second);
      for (const mentorId of profiles) assert.equal((await send(base, 'GET', `/api/v1/mentors/${mentorId}`))?.status, 200, mentorId);
      for (const record of records) assert.equal((await send(base, 'GET', `/api/v1/mentor-statuses/${record.id}`))?.status, 200, record.id);
      // Each answered POST's key was recorded before its answer left: a retry now gets the same answer back.
      for (const record of records.filter((candidate) => candidate.key)) {
        const retry = await send(base, 'POST', '/api/v1/mentor-statuses', record.body, { 'idempotency-key': record.key });
        assert.deepEqual([retry?.status, retry?.body], [201, record.answer], record.key);
      }
    } finally {
      second.process.kill('SIGTERM');
      assert.equal(await second.exited, 0);
    }
  });

  it('warns at start-up when API_KEYS is not set', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const service = startService({ DATABASE_URL: database.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', CERT_SWEEP_INTERVAL_SECONDS: '0' });
    try {
      await waitForHealth(`http://127.0.0.1:${port}`, service);
      assert.match(service.output(), /every POST, PUT and DELETE is open to anyone/);
      assert.deepEqual(
        logLines(service.output()).filter((line) => !['warn', 'error', 'fatal'].includes(String(line.level))),
        [],
        'LOG_LEVEL=warn leaves out info and below',
      );
    } finally {
      service.process.kill('SIGTERM');
      await service.exited;
      await database.drop();
    }
  });
});
