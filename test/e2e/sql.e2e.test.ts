import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Sql } from '../../src/database/sql.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('Sql.query, single statements straight on the pool', () => {
  let t: TestApp;
  let sql: Sql;
  before(async () => {
    t = await startTestApp();
    sql = t.app.get(Sql);
  });
  after(async () => {
    await t?.close();
  });

  it('answers with the rows, for a SELECT and for an UPDATE alike, and rejects a failed statement with the server’s error', async () => {
    assert.deepEqual(await sql.query('SELECT n, n * 2 AS twice FROM generate_series(1, $1::int) AS n', [3]), [
      { n: 1, twice: 2 },
      { n: 2, twice: 4 },
      { n: 3, twice: 6 },
    ]);
    const update = "UPDATE mentors SET full_name = full_name WHERE mentor_id = 'mntr_nobody' RETURNING mentor_id";
    assert.deepEqual(await sql.query(update), []);
    await assert.rejects(sql.query('SELECT 1 / 0'), (error: unknown) => error instanceof pg.DatabaseError && error.code === '22012');
  });

  it('takes the errors of the connection it holds: none goes uncaught, and the pool drops that connection', async () => {
    const pool = sql.pool;
    let held: pg.PoolClient | undefined;
    // What pg does when the server ends a session that is lent out (a replica shutting down, a terminated backend).
    pool.once('acquire', (client: pg.PoolClient) => {
      held = client;
      setImmediate(() => client.emit('error', new Error('the server ended the session')));
    });
    assert.deepEqual(await sql.query('SELECT pg_sleep(0.2)::text AS slept'), [{ slept: '' }]);
    const clients = (pool as unknown as { _clients: pg.PoolClient[] })._clients;
    assert.ok(held && !clients.includes(held), 'the pool no longer lends out the connection that failed');
    assert.deepEqual(await sql.query('SELECT 1 AS one'), [{ one: 1 }]);
  });
});
