import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import request from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { AppConfig, loadConfig } from '../../src/common/config/app-config.js';
import { DatabaseLock } from '../../src/database/database-lock.js';
import { Sql } from '../../src/database/sql.js';
import { PgBouncer, startPgBouncer } from '../../tools/pgbouncer.js';
import { assertProblem } from '../support/problem.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

/** In a file of its own: the process has one logger, made by the first app, and this test reads the lines of its app. */
const QUIET = {
  METRICS_PORT: '0',
  DEMO_DATA: 'false',
  CERT_SWEEP_INTERVAL_SECONDS: '0',
  RESUME_SWEEP_INTERVAL_SECONDS: '0',
  RATE_LIMIT_PER_MINUTE: '0',
  CLIENT_CONCURRENCY: '0',
};

describe('the app given only a DATABASE_URL that leads to PgBouncer in transaction pooling mode', () => {
  const TIMEOUT_MS = 1000;
  const written: string[] = [];
  let database: TestDatabase;
  let bouncer: PgBouncer;
  let app: NestFastifyApplication;
  let db: pg.Pool;
  before(async () => {
    database = await createTestDatabase();
    bouncer = await startPgBouncer(database.url, { poolSize: 10 });
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    db.on('error', () => undefined);
    // No DATABASE_POOLER, no DATABASE_DIRECT_URL, no statement_timeout for the role or the database; a query bound far
    // beyond the statement timeout, so that only the server's statement_timeout can end a waiting statement in time.
    app = await createApp(
      loadConfig({ ...QUIET, LOG_LEVEL: 'info', DATABASE_URL: bouncer.url, DB_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS), DB_QUERY_TIMEOUT_MS: '120000' }),
      { logDestination: { write: (line: string) => void written.push(line) } },
    );
  });
  after(async () => {
    try {
      await app.close();
    } finally {
      // Also when the app never started, so that PgBouncer does not keep the test process alive.
      await bouncer.stop();
      await db.end();
      await database.drop();
    }
  });

  it('starts, and says in one line what it detected and what it does without the settings it names', async () => {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()`,
    );
    assert.equal(rows[0].n, 0);
    const lines = written.filter((line) => /transaction pooler/.test(line));
    assert.equal(lines.length, 1, written.join(''));
    const line = JSON.parse(lines[0]) as { msg: string };
    assert.match(line.msg, /refused the startup parameter statement_timeout/);
    assert.match(line.msg, /single statements run in a transaction of their own.*ALTER ROLE/);
    assert.match(line.msg, /no DATABASE_DIRECT_URL: migrations and session locks are held by a transaction, and LISTEN is off/);
    assert.equal(app.get(AppConfig).databasePooler, 'pgbouncer');
  });

  it('writes and reads', async () => {
    assert.equal((await request(app.getHttpServer()).put('/api/v1/mentors/mntr_one_url').send({ full_name: 'One URL', chapter_id: 'chpt_pool' })).status, 201);
    const read = await request(app.getHttpServer()).get('/api/v1/mentors/mntr_one_url');
    assert.equal(read.status, 200);
    assert.equal(read.body.full_name, 'One URL');
    const statuses = await request(app.getHttpServer())
      .post('/api/v1/mentor-statuses')
      .send({ mentor_id: 'mntr_one_url', status: 'paused', reason: 'Away', changed_by: 'user_pool' });
    assert.equal(statuses.status, 201);
  });

  it('bounds every statement of the seam by statement_timeout: in a transaction and outside one', async () => {
    const sql = app.get(Sql);
    assert.deepEqual(await sql.tx((tx) => tx.query(`SELECT current_setting('statement_timeout') AS timeout`)), [{ timeout: '1s' }]);
    assert.deepEqual(await sql.query(`SELECT current_setting('statement_timeout') AS timeout`), [{ timeout: '1s' }]);
    await assert.rejects(sql.query('SELECT pg_sleep(5)'), (error: unknown) => (error as { code?: string }).code === '57014');
  });

  it('a read (one statement, outside any transaction) that waits for a lock is cancelled by the statement timeout: 503', { timeout: 60_000 }, async () => {
    const holder = await db.connect();
    let answer: request.Response;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE mentors IN ACCESS EXCLUSIVE MODE');
      answer = await request(app.getHttpServer()).get('/api/v1/mentors/mntr_one_url');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    assertProblem(answer, 503);
  });

  it('a session lock is held by a transaction for as long as its work runs: no one else gets it meanwhile, and it is free after', async () => {
    const sql = app.get(Sql);
    const inner = await sql.withSessionLockIfFree(DatabaseLock.EventsRetention, async () => {
      const { rows } = await db.query<{ free: boolean; holder: string }>(
        `SELECT pg_try_advisory_lock($1) AS free,
                (SELECT a.state FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.objid = $1::bigint::int AND l.granted) AS holder`,
        [DatabaseLock.EventsRetention],
      );
      return rows[0];
    });
    // A session lock through the pooler would be held by a server session that went back to the pool (idle), for anyone to unlock or never.
    assert.deepEqual(inner, { result: { free: false, holder: 'idle in transaction' } });
    const again = await sql.withSessionLockIfFree(DatabaseLock.EventsRetention, async () => 'ran');
    assert.deepEqual(again, { result: 'ran' });
  });
});
