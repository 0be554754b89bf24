import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { PoolerRefusedSessionSettings, resolveDatabasePooler } from '../../src/database/pooled-sessions.js';
import { Sql } from '../../src/database/sql.js';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { PgBouncer, startPgBouncer } from '../../tools/pgbouncer.js';
import { waitUntil } from '../support/poll.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

const QUIET = {
  LOG_LEVEL: 'fatal',
  METRICS_PORT: '0',
  DEMO_DATA: 'false',
  CERT_SWEEP_INTERVAL_SECONDS: '0',
  RATE_LIMIT_PER_MINUTE: '0',
  CLIENT_CONCURRENCY: '0',
};

describe('PgBouncer in transaction pooling mode', () => {
  let database: TestDatabase;
  let bouncer: PgBouncer;
  before(async () => {
    database = await createTestDatabase();
    // No ignore_startup_parameters: a startup setting the app sends makes PgBouncer refuse the connection.
    bouncer = await startPgBouncer(database.url, { poolSize: 1 });
  });
  after(async () => {
    await bouncer.stop();
    await database.drop();
  });

  it('tells PgBouncer from PostgreSQL by the startup parameter: refused, dropped (ignore_startup_parameters) or kept', async () => {
    const ignoring = await startPgBouncer(database.url, { poolSize: 1, ignoreStartupParameters: ['statement_timeout'] });
    try {
      const found = await Promise.all([bouncer.url, ignoring.url, database.url].map((url) => resolveDatabasePooler(loadConfig({ DATABASE_URL: url }))));
      assert.deepEqual(
        found.map((config) => config.databasePooler),
        ['pgbouncer', 'pgbouncer', 'none'],
      );
      assert.match(found[0].databasePoolerFoundBy ?? '', /refused the startup parameter statement_timeout/);
      assert.match(found[1].databasePoolerFoundBy ?? '', /dropped the startup parameter statement_timeout/);
      assert.match(found[2].databasePoolerFoundBy ?? '', /kept the startup parameter/);
    } finally {
      await ignoring.stop();
    }
  });

  it('DATABASE_POOLER=none wins over the detection: the app refuses to start at once, saying what to set', async () => {
    await assert.rejects(
      createApp(loadConfig({ ...QUIET, DATABASE_URL: bouncer.url, DATABASE_POOLER: 'none' })),
      (error: unknown) =>
        error instanceof PoolerRefusedSessionSettings &&
        /unsupported startup parameter: statement_timeout/.test(error.message) &&
        /DATABASE_POOLER=pgbouncer/.test(error.message),
    );
  });

  it('every transaction sets its own statement_timeout, which ends with it and never reaches the next client of the session', async () => {
    const config = loadConfig({ DATABASE_URL: bouncer.url, DATABASE_DIRECT_URL: database.url, DATABASE_POOLER: 'pgbouncer', DB_STATEMENT_TIMEOUT_MS: '1500' });
    const { sql, close } = await Sql.open(config);
    try {
      const inside = await sql.tx((tx) => tx.query<{ timeout: string }>(`SELECT current_setting('statement_timeout') AS timeout`));
      assert.deepEqual(inside, [{ timeout: '1500ms' }]);
      // A single statement runs in a transaction of its own too, as the role has no statement_timeout of its own here.
      const single = await sql.query<{ timeout: string }>(`SELECT current_setting('statement_timeout') AS timeout`);
      assert.deepEqual(single, [{ timeout: '1500ms' }]);
      // PgBouncer has one server session here: this statement runs on the one the transactions used.
      const { rows } = await sql.pool.query<{ timeout: string }>(`SELECT current_setting('statement_timeout') AS timeout`);
      assert.deepEqual(rows, [{ timeout: '0' }]);
    } finally {
      await close();
    }
  });
});

describe('the app behind PgBouncer, bounded by the statement timeout', () => {
  const TIMEOUT_MS = 1000;
  let t: TestApp;
  const previous = process.env.TEST_POOLER;
  before(async () => {
    process.env.TEST_POOLER = 'pgbouncer';
    try {
      t = await startTestApp({ DB_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) });
    } finally {
      if (previous === undefined) delete process.env.TEST_POOLER;
      else process.env.TEST_POOLER = previous;
    }
    assert.equal(t.databaseEnv.DATABASE_POOLER, 'pgbouncer');
    assert.equal((await request(t.http).put('/api/v1/mentors/mntr_bounded').send({ full_name: 'Bounded', chapter_id: 'chpt_pool' })).status, 201);
  });
  after(() => t.close());

  const waitingOnLocks = async () =>
    Number((await t.db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n);

  it('a statement inside a transaction that waits too long is cancelled: 503 with Retry-After, and the session serves again', async () => {
    const release = await holdMentorHistory(t.db, 'mntr_bounded');
    try {
      const answer = await request(t.http)
        .post('/api/v1/mentor-statuses')
        .send({ mentor_id: 'mntr_bounded', status: 'paused', reason: 'Away', changed_by: 'user_pool' });
      assertProblem(answer, 503);
      assert.equal(answer.headers['retry-after'], '1');
    } finally {
      await release();
    }
    const retried = await request(t.http)
      .post('/api/v1/mentor-statuses')
      .send({ mentor_id: 'mntr_bounded', status: 'paused', reason: 'Away', changed_by: 'user_pool' });
    assert.equal(retried.status, 201);
  });

  it('a single statement outside a transaction is cancelled by the database’s own statement_timeout', async () => {
    const holder = await t.db.connect();
    let answer: request.Response;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE mentor_suppressions IN ACCESS EXCLUSIVE MODE');
      // then() sends it now; supertest sends nothing until asked for the answer.
      const pending = request(t.http)
        .post('/api/v1/mentor-suppressions')
        .send({ mentor_id: 'mntr_bounded', coordinator_id: 'coord_pool', reason: 'paused_pool' })
        .then((response) => response);
      await waitUntil(async () => (await waitingOnLocks()) >= 1, 'the insert waits for the table lock');
      answer = await pending;
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    assertProblem(answer, 503);
  });
});
