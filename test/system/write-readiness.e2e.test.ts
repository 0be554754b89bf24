import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { PgCluster, startPrivateCluster } from '../../tools/pg-cluster.js';
import { PgReplica, startReplica } from '../../tools/pg-replica.js';
import { waitUntil } from '../support/poll.js';
import { startTcpSwitch, TcpSwitch } from '../support/tcp-switch.js';
import { TEST_SETTINGS } from '../support/test-app.js';

const POOL_SIZE = 3;

type Line = Record<string, unknown>;
interface Checks {
  details: Record<string, { status: string; message?: string }>;
}

/**
 * What a failover leaves behind, on real servers: a primary that answers reads but whose commits
 * wait for a synchronous standby that is not there, and a proxy that sends the service's new
 * connections to a standby. Readiness must say 503 while a write would fail, the writes must get
 * 503 (never 500), and the log must tell it in warnings, once per change, not in error lines.
 */
describe('readiness asks whether a write would succeed', () => {
  let primary: PgCluster;
  let replica: PgReplica;
  let proxy: TcpSwitch;
  let app: NestFastifyApplication;
  let base: string;
  let posted = 0;
  const written: string[] = [];
  const lines = (): Line[] => written.map((line) => JSON.parse(line) as Line);

  before(async () => {
    primary = await startPrivateCluster();
    await primary.createDatabase('ready');
    replica = await startReplica(primary);
    proxy = await startTcpSwitch(primary.port);
    app = await createApp(
      loadConfig({
        ...TEST_SETTINGS,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/ready`,
        DB_POOL_SIZE: String(POOL_SIZE),
        LOG_LEVEL: 'info',
      }),
      { logDestination: { write: (line: string) => void written.push(line) } },
    );
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    await primary.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id) SELECT 'mntr_ready_' || i, 'Ready ' || i, 'chpt_ready' FROM generate_series(0, 999) AS i`,
      [],
      'ready',
    );
    await replica.waitForReplay();
  });
  after(async () => {
    await app?.close();
    await proxy?.close();
    await replica?.destroy();
    await primary?.destroy();
  });

  const get = (path: string) => fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  const post = () =>
    fetch(`${base}/api/v1/mentor-statuses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mentor_id: `mntr_ready_${posted++}`, status: 'active', changed_by: 'user_ready' }),
      signal: AbortSignal.timeout(10_000),
    });
  const readiness = async () => {
    const response = await get('/health/ready');
    return { status: response.status, body: (await response.json()) as { checks?: Checks } };
  };
  const reconfigure = async (settings: string[]) => {
    for (const setting of settings) await primary.query(`ALTER SYSTEM ${setting}`);
    await primary.query('SELECT pg_reload_conf()');
  };

  it('is 200 while a write succeeds', async () => {
    assert.equal((await readiness()).status, 200);
    assert.equal((await post()).status, 201);
  });

  it('is 503 while the primary answers reads but its commits wait for a synchronous standby that is not there, and 200 once they do not', async () => {
    await reconfigure(["SET synchronous_commit = 'on'", "SET synchronous_standby_names = 'missing_standby'"]);
    try {
      let found: Awaited<ReturnType<typeof readiness>> | undefined;
      await waitUntil(async () => (found = await readiness()).status === 503, 'readiness turns 503');
      assert.equal(found!.body.checks!.details.database.status, 'down');
      assert.match(String(found!.body.checks!.details.database.message), /not confirmed/);
      assert.equal((await get('/health')).status, 200, 'the database still answers reads');
      assert.equal((await get('/health/live')).status, 200);
      // The check bounded its commit on the server too: no backend of it stays behind waiting for the standby.
      await waitUntil(
        async () =>
          (
            await primary.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE '%health' AND wait_event = 'SyncRep'`,
            )
          )[0].n === 0,
        "the check's commit stopped waiting",
      );
    } finally {
      await reconfigure(['RESET synchronous_standby_names', 'RESET synchronous_commit']);
    }
    await waitUntil(async () => (await readiness()).status === 200, 'readiness turns 200 again');
  });

  it('is 503 while new connections reach a standby (the proxy moved), writes get 503 and not 500, and a connection to the standby is not lent out again for writes once the proxy is back', async () => {
    proxy.switchTo(replica.port);
    // As a demotion restarts the old primary: the service's sessions end, and it reconnects through the proxy.
    await primary.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'ready' AND application_name LIKE 'mentor-status-service%'`);
    await waitUntil(async () => (await readiness()).status === 503, 'readiness turns 503');
    const found = await readiness();
    assert.match(String(found.body.checks!.details.database.message), /read-only|recovery/);
    assert.equal((await get('/health/live')).status, 200);
    for (let i = 0; i < POOL_SIZE + 2; i++) {
      const refused = await post();
      assert.equal(refused.status, 503, 'a write refused by a standby is a 503');
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(((await refused.json()) as { type: string }).type, '/problems/database-unavailable');
    }

    proxy.switchTo(primary.port);
    // Each connection to the standby is discarded with the write it refused: within as many writes as the pool holds, one reaches the primary.
    const statuses: number[] = [];
    for (let i = 0; i <= POOL_SIZE && statuses.at(-1) !== 201; i++) statuses.push((await post()).status);
    assert.equal(statuses.at(-1), 201, `writes once the proxy is back: ${statuses.join(', ')}`);
    await waitUntil(async () => (await readiness()).status === 200, 'readiness turns 200 again');
  });

  it('told each outage in one warning as readiness changed, and wrote no error line', () => {
    const errors = lines().filter((line) => line.level === 'error' || line.level === 'fatal');
    assert.deepEqual(errors, []);
    const health = lines().filter((line) => line.context === 'Health');
    assert.deepEqual(
      health.map((line) => [line.level, String(line.msg).split(':')[0]]),
      [
        ['warn', '/health/ready'],
        ['info', '/health/ready'],
        ['warn', '/health/ready'],
        ['info', '/health/ready'],
      ],
    );
    const refusedWrites = lines().filter((line) => line.context === 'ProblemDetails');
    assert.ok(refusedWrites.length >= 1 && refusedWrites.every((line) => line.level === 'warn'), JSON.stringify(refusedWrites));
    assert.ok(refusedWrites.length < POOL_SIZE + 2, 'the refused writes are told once per interval, not one line each');
  });
});
