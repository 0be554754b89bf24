import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { PgCluster, startPrivateCluster } from '../../tools/pg-cluster.js';
import { PgBouncer, startPgBouncer } from '../../tools/pgbouncer.js';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { waitUntil } from '../support/poll.js';
import { TEST_SETTINGS } from '../support/test-app.js';

/** What issue 23 asks: a request whose connection breaks is answered within 2 s, not after the query bound (11 s here, the defaults'). */
const ANSWERED_WITHIN_MS = 2000;
const IN_FLIGHT = 3;
const STATEMENT_TIMEOUT_MS = 10_000;

interface Answer {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  body: string;
  /** When the answer came, on performance.now()'s clock. */
  at: number;
}

/**
 * Requests in flight when their database connection breaks, for real: each POST waits on its mentor's
 * history lock, held by the test, so that its transaction is open on a backend when the fault strikes.
 * The service runs with the default bounds (statement timeout 10 s, query bound 11 s, connect 3 s),
 * which it must not wait out.
 */
describe('requests in flight when their database connection breaks', () => {
  let cluster: PgCluster;
  let bouncer: PgBouncer;
  let holder: pg.Pool;
  let direct: NestFastifyApplication;
  let pooled: NestFastifyApplication;
  let mentors = 0;
  /** The locks still held, let go in `after` should a test fail before it lets them go itself. */
  const held = new Set<() => Promise<void>>();
  const baseOf = (app: NestFastifyApplication) => `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

  before(async () => {
    cluster = await startPrivateCluster();
    const url = await cluster.createDatabase('broken');
    // Behind a transaction pooler single statements take the database's own statement timeout (see Sql).
    await cluster.query(`ALTER DATABASE broken SET statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
    bouncer = await startPgBouncer(url, { poolSize: 6 });
    const env = {
      ...TEST_SETTINGS,
      DB_POOL_SIZE: '6',
      DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
    };
    direct = await createApp(loadConfig({ ...env, DATABASE_URL: url }));
    pooled = await createApp(loadConfig({ ...env, DATABASE_URL: bouncer.url, DATABASE_DIRECT_URL: url, DATABASE_POOLER: 'pgbouncer' }));
    await direct.listen(0, '127.0.0.1');
    await pooled.listen(0, '127.0.0.1');
    holder = new pg.Pool({ connectionString: url, max: 2 });
    holder.on('error', () => undefined);
    await cluster.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id) SELECT 'mntr_broken_' || i, 'Broken ' || i, 'chpt_broken' FROM generate_series(0, 999) AS i`,
      [],
      'broken',
    );
  });
  after(async () => {
    cluster?.thaw();
    await direct?.close();
    await pooled?.close();
    for (const release of held) await release();
    await holder?.end().catch(() => undefined);
    await bouncer?.stop();
    await cluster?.destroy();
  });

  const post = async (base: string, mentorId: string): Promise<Answer> => {
    const response = await fetch(`${base}/api/v1/mentor-statuses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mentor_id: mentorId, status: 'active', changed_by: 'user_broken' }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      retryAfter: response.headers.get('retry-after'),
      body,
      at: performance.now(),
    };
  };

  /** Backends of the service waiting on an advisory lock (the held mentors'), as the fault finds them. */
  const waitingBackends = async (): Promise<number[]> =>
    (
      await cluster.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = 'broken' AND application_name = 'mentor-status-service' AND wait_event_type = 'Lock'`,
      )
    ).map((row) => row.pid);

  /**
   * IN_FLIGHT POSTs to `app`, each waiting on a held lock when `fault` strikes; every one must be
   * answered 503 problem+json with Retry-After within ANSWERED_WITHIN_MS of it. Gives how long each
   * took, and the function that lets the locks go (once the database answers again).
   */
  async function breakInFlight(
    app: NestFastifyApplication,
    fault: (pids: number[]) => Promise<void>,
  ): Promise<{ tookMs: number[]; release: () => Promise<void> }> {
    const ids = Array.from({ length: IN_FLIGHT }, () => `mntr_broken_${mentors++}`);
    const unlock = await holdMentorHistory(holder, ids);
    const release = async () => {
      if (!held.delete(release)) return;
      // A holder the fault cut off has lost its locks with its session.
      await unlock().catch(() => undefined);
    };
    held.add(release);
    const answers = ids.map((id) => post(baseOf(app), id));
    let pids: number[] = [];
    await waitUntil(async () => (pids = await waitingBackends()).length === IN_FLIGHT, `the ${IN_FLIGHT} POSTs wait on their locks`);
    const struckAt = performance.now();
    await fault(pids);
    const answered = await Promise.all(answers);
    const tookMs = answered.map((answer) => Math.round(answer.at - struckAt));
    for (const [i, answer] of answered.entries()) {
      assert.equal(answer.status, 503, `a 503, not ${answer.status}: ${answer.body}`);
      assert.match(String(answer.contentType), /^application\/problem\+json/);
      assert.equal(answer.retryAfter, '1');
      assert.equal((JSON.parse(answer.body) as { type: string }).type, '/problems/database-unavailable');
      assert.ok(tookMs[i] <= ANSWERED_WITHIN_MS, `answered ${tookMs[i]} ms after the fault (bound ${ANSWERED_WITHIN_MS} ms)`);
    }
    return { tookMs, release };
  }

  /** The service writes again by itself, with no restart. */
  async function writesAgain(app: NestFastifyApplication): Promise<void> {
    const id = `mntr_broken_${mentors++}`;
    await waitUntil(async () => (await post(baseOf(app), id)).status === 201, 'a POST succeeds again', 30_000);
  }

  const measured: Record<string, number[]> = {};

  /**
   * IN_FLIGHT POSTs to `app`, each waiting on a held lock when `fault` ends its server session while
   * the server stays up: the transaction failed before its COMMIT, so the data seam runs it again on
   * a new session (it waits on the same lock there) within ANSWERED_WITHIN_MS, and once the locks
   * are let go every POST is answered 201, each written once.
   */
  async function retriedInFlight(app: NestFastifyApplication, fault: (pids: number[]) => Promise<void>): Promise<number> {
    const ids = Array.from({ length: IN_FLIGHT }, () => `mntr_broken_${mentors++}`);
    const unlock = await holdMentorHistory(holder, ids);
    let locked = true;
    try {
      const answers = ids.map((id) => post(baseOf(app), id));
      let pids: number[] = [];
      await waitUntil(async () => (pids = await waitingBackends()).length === IN_FLIGHT, `the ${IN_FLIGHT} POSTs wait on their locks`);
      const struckAt = performance.now();
      await fault(pids);
      await waitUntil(
        async () => (await waitingBackends()).filter((pid) => !pids.includes(pid)).length === IN_FLIGHT,
        `the ${IN_FLIGHT} POSTs wait on their locks again, in new sessions`,
        ANSWERED_WITHIN_MS,
      );
      const tookMs = Math.round(performance.now() - struckAt);
      locked = false;
      await unlock();
      for (const answer of await Promise.all(answers)) assert.equal(answer.status, 201, answer.body);
      const { rows } = await holder.query<{ n: number }>('SELECT count(*)::int AS n FROM mentor_status_records WHERE mentor_id = ANY($1)', [ids]);
      assert.equal(rows[0].n, IN_FLIGHT);
      return tookMs;
    } finally {
      if (locked) await unlock().catch(() => undefined);
    }
  }

  it('runs the transaction again, on a new session, when its backend is terminated (pg_terminate_backend, 57P01)', async () => {
    measured.terminated = [
      await retriedInFlight(direct, async (pids) => {
        await cluster.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
      }),
    ];
  });

  it("runs the transaction again when PgBouncer's server connection is killed (the backend behind it terminated)", async () => {
    measured.pgbouncerServerKilled = [
      await retriedInFlight(pooled, async (pids) => {
        await cluster.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
      }),
    ];
  });

  it('answers 503 within 2 s when the server stops answering without a word (frozen: no FIN, no RST), not after the query bound', async () => {
    try {
      const { tookMs, release } = await breakInFlight(direct, () => cluster.freeze());
      measured.frozen = tookMs;
      cluster.thaw();
      await release();
    } finally {
      cluster.thaw();
    }
    await writesAgain(direct);
  });

  it('answers 503 at once when the server behind PgBouncer is stopped in immediate mode (as in a crash), and writes again once it is back', async () => {
    const { tookMs, release } = await breakInFlight(pooled, () => cluster.stop('immediate'));
    measured.stoppedImmediately = tookMs;
    await release();
    await cluster.start();
    await writesAgain(pooled);
    await writesAgain(direct);
    console.log(`in-flight requests answered after the fault, ms: ${JSON.stringify(measured)}`);
  });
});
