import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { poolQuery } from '../../src/database/pool-query.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('poolQuery, the reads straight on the pool', () => {
  let t: TestApp;
  let dataSource: DataSource;
  before(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
  });
  after(async () => {
    await t?.close();
  });

  it('answers as DataSource.query does: rows for a SELECT, [rows, count] for an UPDATE, QueryFailedError for a failed statement', async () => {
    const sql = 'SELECT n, n * 2 AS twice FROM generate_series(1, $1::int) AS n';
    assert.deepEqual(await poolQuery(dataSource, sql, [3]), await dataSource.query(sql, [3]));
    const update = "UPDATE mentors SET full_name = full_name WHERE mentor_id = 'mntr_nobody' RETURNING mentor_id";
    assert.deepEqual(await poolQuery(dataSource, update), await dataSource.query(update));
    await assert.rejects(
      poolQuery(dataSource, 'SELECT 1 / 0'),
      (error: unknown) => error instanceof QueryFailedError && /division by zero/.test(error.message),
    );
  });

  it('takes the errors of the connection it holds: none goes uncaught, and the pool drops that connection', async () => {
    const pool = (dataSource.driver as PostgresDriver).master as pg.Pool;
    let held: pg.PoolClient | undefined;
    // What pg does when the server ends a session that is lent out (a replica shutting down, a terminated backend).
    pool.once('acquire', (client: pg.PoolClient) => {
      held = client;
      setImmediate(() => client.emit('error', new Error('the server ended the session')));
    });
    assert.deepEqual(await poolQuery(dataSource, 'SELECT pg_sleep(0.2)::text AS slept'), [{ slept: '' }]);
    const clients = (pool as unknown as { _clients: pg.PoolClient[] })._clients;
    assert.ok(held && !clients.includes(held), 'the pool no longer lends out the connection that failed');
    assert.deepEqual(await poolQuery(dataSource, 'SELECT 1 AS one'), [{ one: 1 }]);
  });
});
