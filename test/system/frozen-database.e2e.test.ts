import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { AppConfig, loadConfig } from '../../src/common/config/app-config.js';
import { isDatabaseUnavailable, QueryTimeoutError } from '../../src/common/errors/postgres-error.js';
import { BoundedClient } from '../../src/database/bounded-client.js';
import pg from 'pg';
import { Sql } from '../../src/database/sql.js';
import { PgCluster, startPrivateCluster } from '../../tools/pg-cluster.js';

/** Small timeouts, so that a frozen database shows quickly; the statement timeout is below the query timeout, as the config requires. */
const STATEMENT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 1500;
const CONNECT_TIMEOUT_MS = 1000;
/** For a busy 2-core machine. */
const MARGIN_MS = 1500;
/** A request waits at most once for a connection and once for a query that does not answer, then fails. */
const ANSWER_WITHIN_MS = QUERY_TIMEOUT_MS + CONNECT_TIMEOUT_MS + MARGIN_MS;
const HEALTH_WITHIN_MS = 3000;
const FROZEN_FOR_MS = 20_000;
/** The service is meant to recover within about 1 s of the database answering; generous for the machine. */
const RECOVERED_WITHIN_MS = 3000;
/** Once the outage is known (from 5 s into it), requests fail fast... */
const FAIL_FAST_AFTER_MS = 5000;
const FAIL_FAST_WITHIN_MS = 2500;
/** ...for this long, until the thaw. */
const FAIL_FAST_OBSERVED_MS = 6000;
/** From the database answering again to a request answered 2xx. */
const RECOVERED_AFTER_ANSWER_MS = 1000;

interface Answer {
  startedAt: number;
  endedAt: number;
  /** 0: no answer before the client gave up. */
  status: number;
  contentType: string | null;
  retryAfter: string | null;
}

type Traffic = Record<string, Answer[]>;

const ms = (value: number) => Math.round(value);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** How many answers of each status each loop got, for failure messages. */
function summary(traffic: Traffic): string {
  return Object.entries(traffic)
    .map(([name, answers]) => {
      const byStatus = new Map<number, number>();
      for (const { status } of answers) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      return `${name}: ${[...byStatus].map(([status, count]) => `${count}× ${status}`).join(', ')}`;
    })
    .join('; ');
}

/**
 * Runs `count` loops of each named request, each asking again once answered (after `pauseMs`), and
 * records every answer, a request that got none as status 0, until `stop()`.
 */
function driveTraffic(requests: Record<string, () => Promise<Response>>, loops: [string, number][], pauseMs = 0) {
  const traffic: Traffic = Object.fromEntries(loops.map(([name]) => [name, []]));
  let running = true;
  const loop = async (name: string) => {
    while (running) {
      const startedAt = performance.now();
      const answer = await requests[name]().then(
        async (response) => {
          await response.arrayBuffer();
          return { status: response.status, contentType: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after') };
        },
        () => ({ status: 0, contentType: null, retryAfter: null }),
      );
      traffic[name].push({ startedAt, endedAt: performance.now(), ...answer });
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  const loopsRunning = loops.flatMap(([name, count]) => Array.from({ length: count }, () => loop(name)));
  return {
    traffic,
    stop: async () => {
      running = false;
      await Promise.all(loopsRunning);
    },
  };
}

/** Polls `condition` until it holds; past `withinMs` fails with what the traffic got so far. */
async function pollUntil(traffic: Traffic, what: string, condition: () => boolean | Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`${what} did not happen within ${withinMs} ms: ${summary(traffic)}`);
    await sleep(20);
  }
}

const is2xx = (answer: Answer) => answer.status >= 200 && answer.status < 300;

describe('when the database freezes (stops answering without refusing connections) and thaws', () => {
  let cluster: PgCluster;
  let env: Record<string, string>;
  let config: AppConfig;
  let app: NestFastifyApplication;
  let base: string;
  let recordId: string;

  before(async () => {
    cluster = await startPrivateCluster();
    const url = await cluster.createDatabase('frozen');
    env = {
      DATABASE_URL: url,
      DB_POOL_SIZE: '4',
      DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      LOG_LEVEL: 'fatal',
      DEMO_DATA: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
      CERT_SWEEP_INTERVAL_SECONDS: '0',
      METRICS_PORT: '0',
    };
    config = loadConfig(env);
    app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    // Mentors for the POST loop: each POST is the first record of a mentor of its own, so every one that reaches the database is a 201.
    await cluster.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id) SELECT 'mntr_frozen_' || i, 'Frozen ' || i, 'chpt_frozen' FROM generate_series(0, 99999) AS i`,
      [],
      'frozen',
    );
    const created = await fetch(`${base}/api/v1/mentor-statuses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mentor_id: 'mntr_frozen_0', status: 'active', changed_by: 'user_frozen' }),
    });
    assert.equal(created.status, 201);
    recordId = ((await created.json()) as { mentor_status_id: string }).mentor_status_id;
  });
  after(async () => {
    cluster?.thaw();
    await app?.close();
    await cluster?.destroy();
  });

  it("gives up on a query after DB_QUERY_TIMEOUT_MS and discards its connection; connecting and a transaction's ROLLBACK are bounded too", async () => {
    // The bounded client on its own: with the fail-fast breaker, the breaker would answer the later queries for it.
    const { sql, close } = await Sql.open(loadConfig({ ...env, DB_FAIL_FAST_PROBE_MS: '0' }));
    const pool = sql.pool;
    const backend = async () => (await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0].pid;
    const failureOf = async (work: () => Promise<unknown>) => {
      const startedAt = performance.now();
      const error = await work().then(
        () => assert.fail('a frozen database answered'),
        (error: unknown) => error,
      );
      return { error, took: performance.now() - startedAt };
    };
    try {
      const before = await backend();
      await cluster.freeze();
      // The pool's open connection: the query goes out, nothing comes back.
      const query = await failureOf(() => sql.query('SELECT 1'));
      assert.ok(query.error instanceof QueryTimeoutError, String(query.error));
      assert.ok(isDatabaseUnavailable(query.error));
      assert.ok(query.took >= QUERY_TIMEOUT_MS - 20 && query.took < QUERY_TIMEOUT_MS + MARGIN_MS, `the query failed after ${ms(query.took)} ms`);
      assert.equal(pool.totalCount, 0, 'the connection that timed out left the pool');
      // A new connection: the kernel accepts it, the startup is never answered.
      const connect = await failureOf(() => sql.query('SELECT 1'));
      assert.ok(isDatabaseUnavailable(connect.error), String(connect.error));
      assert.ok(connect.took < CONNECT_TIMEOUT_MS + MARGIN_MS, `connecting failed after ${ms(connect.took)} ms`);
      cluster.thaw();

      // Frozen inside a transaction: the statement times out and the ROLLBACK on the dead connection fails at once.
      const transaction = await failureOf(() =>
        sql.tx(async (tx) => {
          await tx.query('SELECT 1');
          await cluster.freeze();
          await tx.query('SELECT 2');
        }),
      );
      assert.ok(transaction.error instanceof QueryTimeoutError, String(transaction.error));
      assert.ok(transaction.took < QUERY_TIMEOUT_MS + MARGIN_MS, `the transaction failed after ${ms(transaction.took)} ms`);
      cluster.thaw();
      assert.notEqual(await backend(), before, 'a new connection serves once the database answers');
    } finally {
      cluster.thaw();
      await close();
    }
  });

  it("bounds every form of pg's query(): a promise, a callback, and a config object that carries its callback", async () => {
    const clients = await Promise.all(
      [1, 2, 3].map(async () => {
        const client = new BoundedClient({ connectionString: cluster.urlFor('frozen'), queryTimeoutMillis: QUERY_TIMEOUT_MS });
        await client.connect();
        return client;
      }),
    );
    const [promised, called, configured] = clients;
    const ended = clients.map((client) => new Promise((resolve) => client.once('end', resolve)));
    try {
      await cluster.freeze();
      const startedAt = performance.now();
      const failures = await Promise.race([
        Promise.all([
          promised.query('SELECT 1').then(
            () => undefined,
            (error: unknown) => error,
          ),
          new Promise((resolve) => called.query('SELECT 1', [], (error: Error | null) => resolve(error))),
          // pg's types do not know this form; pg itself does, and answers it through the callback alone.
          new Promise((resolve) => void configured.query({ text: 'SELECT 1', callback: (error: Error | null) => resolve(error) } as pg.QueryConfig)),
        ]),
        sleep(2 * ANSWER_WITHIN_MS).then(() => assert.fail('a query on the frozen database was never given up')),
      ]);
      const took = performance.now() - startedAt;
      for (const failure of failures) assert.ok(failure instanceof QueryTimeoutError, String(failure));
      assert.ok(took < QUERY_TIMEOUT_MS + MARGIN_MS, `the queries failed after ${ms(took)} ms`);
      await Promise.all(ended);
    } finally {
      cluster.thaw();
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    }
  });

  it('answers every request within the bound: 503 problem+json with Retry-After while frozen, 2xx again within seconds of the thaw', async () => {
    let posted = 0;
    const requests: Record<string, () => Promise<Response>> = {
      'GET /api/v1/mentor-statuses/:id': () => fetch(`${base}/api/v1/mentor-statuses/${recordId}`, { signal: AbortSignal.timeout(2 * ANSWER_WITHIN_MS) }),
      'GET /health': () => fetch(`${base}/health`, { signal: AbortSignal.timeout(2 * ANSWER_WITHIN_MS) }),
      'POST /api/v1/mentor-statuses': () =>
        fetch(`${base}/api/v1/mentor-statuses`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ mentor_id: `mntr_frozen_${++posted}`, status: 'active', changed_by: 'user_frozen' }),
          signal: AbortSignal.timeout(2 * ANSWER_WITHIN_MS),
        }),
    };
    const loops: [string, number][] = [
      ['GET /api/v1/mentor-statuses/:id', 3],
      ['GET /health', 1],
      ['POST /api/v1/mentor-statuses', 1],
    ];
    const { traffic, stop } = driveTraffic(requests, loops);

    let frozenAt = 0;
    let stoppedAt = 0;
    let thawedAt = 0;
    try {
      await pollUntil(traffic, 'steady 2xx traffic', () => Object.values(traffic).every((answers) => answers.filter(is2xx).length >= 3), 20_000);
      frozenAt = performance.now();
      await cluster.freeze();
      stoppedAt = performance.now();
      // The outage itself, not a synchronisation: the loops keep asking all along.
      await sleep(FROZEN_FOR_MS);
      thawedAt = performance.now();
      cluster.thaw();
      const recovered = (answers: Answer[]) => {
        const after = answers.filter((answer) => answer.startedAt > thawedAt);
        return after.length >= 3 && after.slice(-3).every(is2xx);
      };
      await pollUntil(traffic, '2xx traffic after the thaw', () => Object.values(traffic).every(recovered), 20_000);
    } finally {
      cluster.thaw();
      await stop();
    }

    const report: Record<string, unknown> = {};
    for (const [name, answers] of Object.entries(traffic)) {
      const within = name === 'GET /health' ? HEALTH_WITHIN_MS : ANSWER_WITHIN_MS;
      for (const answer of answers) {
        const took = answer.endedAt - answer.startedAt;
        const at = `${name} started ${ms(answer.startedAt - frozenAt)} ms after the freeze`;
        assert.ok(took <= within, `${at} took ${ms(took)} ms (bound ${within} ms), status ${answer.status}`);
        if (is2xx(answer)) continue;
        assert.equal(answer.status, 503, `${at}: every failure is a 503, got ${answer.status}`);
        assert.match(String(answer.contentType), /^application\/problem\+json/, `${at}: problem+json`);
        assert.match(String(answer.retryAfter), /^[1-9]\d*$/, `${at}: Retry-After in seconds`);
      }
      const whileFrozen = answers.filter((answer) => answer.startedAt > frozenAt && answer.endedAt < thawedAt);
      assert.ok(whileFrozen.length > 0, `${name} was asked while frozen`);
      // A request that started once every process was stopped cannot have reached the database.
      const afterStop = whileFrozen.filter((answer) => answer.startedAt > stoppedAt);
      assert.deepEqual([...new Set(afterStop.map((answer) => answer.status))], [503], `${name} answers while frozen`);
      const first503 = answers.find((answer) => answer.status === 503 && answer.endedAt > frozenAt);
      const firstBack = answers.find((answer) => is2xx(answer) && answer.endedAt > thawedAt);
      assert.ok(first503 && firstBack);
      const backAfter = firstBack.endedAt - thawedAt;
      assert.ok(backAfter < RECOVERED_WITHIN_MS, `${name} answered 2xx ${ms(backAfter)} ms after the thaw (bound ${RECOVERED_WITHIN_MS} ms)`);
      const lateFailures = answers.filter((answer) => answer.startedAt > firstBack.endedAt && !is2xx(answer));
      assert.deepEqual(lateFailures, [], `${name}: every request after the first 2xx since the thaw is 2xx`);
      report[name] = {
        requests: answers.length,
        while_frozen: whileFrozen.length,
        freeze_to_first_503_ms: ms(first503.endedAt - frozenAt),
        median_answer_while_frozen_ms: ms(median(whileFrozen.map((answer) => answer.endedAt - answer.startedAt))),
        worst_answer_while_frozen_ms: ms(Math.max(...whileFrozen.map((answer) => answer.endedAt - answer.startedAt))),
        thaw_to_first_2xx_ms: ms(backAfter),
      };
    }
    console.log(`frozen database, measured: ${JSON.stringify(report, null, 2)}`);
  });

  it('fails fast once the outage is known: requests 5 s into the freeze answer 503 within 2.5 s, and a request succeeds within 1 s of the database answering again', async () => {
    // Bounds as long as a deployment's, so that waiting them out is told apart from failing fast.
    const slow = await createApp(loadConfig({ ...env, DB_STATEMENT_TIMEOUT_MS: '5000', DB_QUERY_TIMEOUT_MS: '6000', DB_CONNECT_TIMEOUT_MS: '3000' }));
    await slow.listen(0, '127.0.0.1');
    const slowBase = `http://127.0.0.1:${(slow.getHttpServer().address() as AddressInfo).port}`;
    let posted = 50_000;
    const requests: Record<string, () => Promise<Response>> = {
      'GET /api/v1/mentor-statuses/:id': () => fetch(`${slowBase}/api/v1/mentor-statuses/${recordId}`, { signal: AbortSignal.timeout(15_000) }),
      'GET /health/ready': () => fetch(`${slowBase}/health/ready`, { signal: AbortSignal.timeout(15_000) }),
      'POST /api/v1/mentor-statuses': () =>
        fetch(`${slowBase}/api/v1/mentor-statuses`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ mentor_id: `mntr_frozen_${++posted}`, status: 'active', changed_by: 'user_frozen' }),
          signal: AbortSignal.timeout(15_000),
        }),
    };
    const loops: [string, number][] = [
      ['GET /api/v1/mentor-statuses/:id', 3],
      ['GET /health/ready', 1],
      ['POST /api/v1/mentor-statuses', 1],
    ];
    // Paced, as a client retrying would: answers that come at once must not spin the machine.
    const { traffic, stop } = driveTraffic(requests, loops, 25);
    /** Whether the database answers a connection of the test's own, bounded so that a frozen one says no. */
    const databaseAnswers = async () => {
      const client = new pg.Client({ connectionString: cluster.urlFor('frozen'), connectionTimeoutMillis: 500, query_timeout: 500 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    };

    let stoppedAt = 0;
    let thawedAt = 0;
    let answeredAt: number;
    try {
      await pollUntil(traffic, 'steady 2xx traffic', () => Object.values(traffic).every((answers) => answers.filter(is2xx).length >= 3), 20_000);
      await cluster.freeze();
      stoppedAt = performance.now();
      // The outage itself, not a synchronisation: the loops keep asking all along.
      await sleep(FAIL_FAST_AFTER_MS + FAIL_FAST_OBSERVED_MS);
      thawedAt = performance.now();
      cluster.thaw();
      await pollUntil(traffic, 'the database answering after the thaw', databaseAnswers, 10_000);
      answeredAt = performance.now();
      await pollUntil(
        traffic,
        '2xx traffic after the thaw',
        () => Object.values(traffic).every((answers) => answers.some((answer) => is2xx(answer) && answer.startedAt > thawedAt)),
        10_000,
      );
    } finally {
      cluster.thaw();
      await stop();
      await slow.close();
    }

    const report: Record<string, unknown> = {};
    for (const [name, answers] of Object.entries(traffic)) {
      const known = answers.filter((answer) => answer.startedAt >= stoppedAt + FAIL_FAST_AFTER_MS && answer.startedAt < thawedAt);
      assert.ok(known.length >= 3, `${name} was asked 5 s or more into the freeze: ${summary(traffic)}`);
      for (const answer of known) {
        const at = `${name} started ${ms(answer.startedAt - stoppedAt)} ms into the freeze`;
        const took = answer.endedAt - answer.startedAt;
        assert.ok(took <= FAIL_FAST_WITHIN_MS, `${at} took ${ms(took)} ms (bound ${FAIL_FAST_WITHIN_MS} ms), status ${answer.status}`);
        if (answer.endedAt > thawedAt && is2xx(answer)) continue;
        assert.equal(answer.status, 503, `${at}: 503, got ${answer.status}`);
        assert.match(String(answer.contentType), /^application\/problem\+json/, `${at}: problem+json`);
        assert.match(String(answer.retryAfter), /^[1-9]\d*$/, `${at}: Retry-After in seconds`);
      }
      const firstBack = answers.find((answer) => is2xx(answer) && answer.startedAt > thawedAt);
      assert.ok(firstBack);
      const backAfter = firstBack.endedAt - answeredAt;
      assert.ok(
        backAfter < RECOVERED_AFTER_ANSWER_MS,
        `${name} answered 2xx ${ms(backAfter)} ms after the database answered (bound ${RECOVERED_AFTER_ANSWER_MS} ms)`,
      );
      report[name] = {
        requests_5s_into_freeze: known.length,
        worst_answer_5s_into_freeze_ms: ms(Math.max(...known.map((answer) => answer.endedAt - answer.startedAt))),
        database_answered_to_first_2xx_ms: ms(backAfter),
      };
    }
    console.log(`frozen database, failing fast, measured: ${JSON.stringify(report, null, 2)}`);
  });
});
