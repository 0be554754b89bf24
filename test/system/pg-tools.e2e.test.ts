import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PgCluster, startPrivateCluster } from '../../tools/pg-cluster.js';
import { startReplica } from '../../tools/pg-replica.js';
import { startPgBouncer } from '../../tools/pgbouncer.js';

/** How long a frozen server is given to answer before the test concludes it does not; a stopped process never does. */
const SILENCE_MS = 500;

/** The scheduler state of a process: `T` while it is stopped by a signal. */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

async function waitForState(pid: number, stopped: boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((processState(pid) === 'T') !== stopped) {
    if (Date.now() > deadline) throw new Error(`process ${pid} did not become ${stopped ? 'stopped' : 'running'}`);
    await sleep(10);
  }
}

describe('test tools for PostgreSQL faults', () => {
  let cluster: PgCluster;

  before(async () => {
    cluster = await startPrivateCluster();
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('starts a private cluster that can be frozen and thawed with every backend', async () => {
    const url = await cluster.createDatabase('tools');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const [{ backend }] = (await client.query<{ backend: number }>('SELECT pg_backend_pid() AS backend')).rows;
      await cluster.freeze();
      assert.equal(processState(cluster.pid), 'T', 'the postmaster is stopped');
      await waitForState(backend, true);
      const answer = client.query<{ answer: number }>('SELECT 42 AS answer');
      const silent = Symbol('silent');
      assert.equal(await Promise.race([answer, sleep(SILENCE_MS, silent)]), silent, 'a frozen server does not answer');
      cluster.thaw();
      assert.equal((await answer).rows[0].answer, 42, 'the same query answers once thawed');
      await waitForState(backend, false);
    } finally {
      cluster.thaw();
      await client.end();
    }
  });

  it('streams to a replica that sees a write once it is replayed, and survives a restart', async () => {
    const replica = await startReplica(cluster);
    try {
      assert.deepEqual(await replica.query('SELECT pg_is_in_recovery() AS standby'), [{ standby: true }]);
      await cluster.query('CREATE TABLE replicated (value text)');
      await cluster.query(`INSERT INTO replicated VALUES ('first')`);
      await replica.waitForReplay();
      assert.deepEqual(await replica.query('SELECT value FROM replicated'), [{ value: 'first' }]);
      await replica.stop();
      await cluster.query(`INSERT INTO replicated VALUES ('while stopped')`);
      await replica.start();
      await replica.waitForReplay();
      assert.deepEqual(await replica.query('SELECT value FROM replicated ORDER BY value'), [{ value: 'first' }, { value: 'while stopped' }]);
    } finally {
      await replica.destroy();
    }
  });

  it('puts PgBouncer in transaction mode in front, which refuses statement_timeout as a startup parameter', async () => {
    const bouncer = await startPgBouncer(cluster.url, { poolSize: 1 });
    const lenient = await startPgBouncer(cluster.url, { ignoreStartupParameters: ['statement_timeout'] });
    const first = new pg.Client({ connectionString: bouncer.url });
    const second = new pg.Client({ connectionString: bouncer.url });
    try {
      await first.connect();
      await second.connect();
      const backendOf = async (client: pg.Client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      // Two open client sessions served by one server connection: only transaction (or statement) pooling does that.
      assert.equal(await backendOf(first), await backendOf(second));

      const withTimeout = new pg.Client({ connectionString: bouncer.url, statement_timeout: 1000 });
      await assert.rejects(withTimeout.connect(), /unsupported startup parameter: statement_timeout/);

      const ignored = new pg.Client({ connectionString: lenient.url, statement_timeout: 1000 });
      await ignored.connect();
      try {
        assert.deepEqual((await ignored.query('SHOW statement_timeout')).rows, [{ statement_timeout: '0' }], 'ignored means dropped, not applied');
      } finally {
        await ignored.end();
      }
    } finally {
      await first.end();
      await second.end();
      await bouncer.stop();
      await lenient.stop();
    }
  });
});
