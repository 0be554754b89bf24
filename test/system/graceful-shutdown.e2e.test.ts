import assert from 'node:assert/strict';
import { Agent, IncomingHttpHeaders, request } from 'node:http';
import { connect, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { freePort } from '../../tools/free-port.js';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { logLines, ServiceProcess, startService, waitForHealth, waitUntil } from '../support/service-process.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

const API_KEY = 'graceful-key-7c1d93e0a4b25f68';
const WRITERS = 16;

type Outcome = { answer: { status: number; headers: IncomingHttpHeaders; body: Record<string, unknown> } } | { error: string };

/** One POST on the writer's own kept-alive connection; a cut or refused connection is an outcome too, by its error code. */
function post(port: number, agent: Agent, path: string, body: object, headers: Record<string, string> = {}): Promise<Outcome> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ answer: { status: response.statusCode ?? 0, headers: response.headers, body: text ? JSON.parse(text) : {} } }));
        response.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    outgoing.end(payload);
  });
}

async function put(base: string, path: string, body: object): Promise<number> {
  const response = await fetch(`${base}${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

/** A connection that has had one answer and now sits idle, kept alive. */
async function idleKeptAliveConnection(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  await waitUntil('the health answer arrived', () => /\r\n\r\n\{.*\}$/s.test(received));
  return { socket, closed: () => closed };
}

async function waitingForAdvisoryLock(db: pg.Pool): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows[0].n > 0;
}

interface Attempt {
  key: string;
  startedAt: number;
  outcome?: Outcome;
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  describe(`${signal} during a write storm, with DATABASE_URL`, () => {
    let database: TestDatabase;
    let db: pg.Pool;
    before(async () => {
      database = await createTestDatabase();
      db = new pg.Pool({ connectionString: database.url, max: 2 });
      db.on('error', () => undefined);
    });
    after(async () => {
      await db.end();
      await database.drop();
    });

    it('answers every request that reached it, closes idle connections, keeps every answered write and exits 0', async (t) => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const service: ServiceProcess = startService({
        DATABASE_URL: database.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        API_KEYS: `storm:${API_KEY}`,
        CERT_SWEEP_INTERVAL_SECONDS: '0',
        RATE_LIMIT_PER_MINUTE: '0',
        SHUTDOWN_GRACE_MS: '60000',
      });
      let exited = false;
      void service.exited.then(() => (exited = true));
      const attempts: Attempt[] = [];
      const agents = Array.from({ length: WRITERS + 1 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
      let release: (() => Promise<void>) | undefined;
      try {
        await waitForHealth(base, service);
        for (let w = 0; w <= WRITERS; w++) {
          assert.equal(await put(base, `/api/v1/mentors/mntr_grace_${w}`, { full_name: `Grace ${w}`, chapter_id: 'chpt_grace' }), 201);
        }

        // Each writer flips its own mentor between active and paused, one POST after another on its own connection.
        const writer = async (w: number) => {
          let paused = false;
          const deadline = Date.now() + 120_000;
          for (let i = 0; !exited && Date.now() < deadline; i++) {
            const attempt: Attempt = { key: `grace-${signal}-${w}-${i}`, startedAt: Date.now() };
            attempts.push(attempt);
            const body = paused
              ? { mentor_id: `mntr_grace_${w}`, status: 'active', changed_by: 'user_grace' }
              : { mentor_id: `mntr_grace_${w}`, status: 'paused', reason: 'Storm', changed_by: 'user_grace' };
            attempt.outcome = await post(port, agents[w], '/api/v1/mentor-statuses', body, { 'idempotency-key': attempt.key });
            if ('answer' in attempt.outcome && attempt.outcome.answer.status === 201) paused = !paused;
            if ('error' in attempt.outcome && attempt.outcome.error === 'ECONNREFUSED') return;
          }
        };
        const answered = () => attempts.filter((attempt) => attempt.outcome && 'answer' in attempt.outcome && attempt.outcome.answer.status === 201).length;
        const workers = Array.from({ length: WRITERS }, (_, w) => writer(w));
        await waitUntil('the storm has 150 answered writes', () => answered() >= 150, 60_000);

        const idle = await idleKeptAliveConnection(port);
        // One write is held inside its transaction by a lock taken from outside, so it is surely in flight at the signal.
        release = await holdMentorHistory(db, `mntr_grace_${WRITERS}`);
        const held = post(port, agents[WRITERS], '/api/v1/mentor-statuses', {
          mentor_id: `mntr_grace_${WRITERS}`,
          status: 'paused',
          reason: `In flight at ${signal}`,
          changed_by: 'user_grace',
        });
        await waitUntil('the held write waits for its lock', () => waitingForAdvisoryLock(db));

        service.process.kill(signal);
        const inFlight = attempts.filter((attempt) => !attempt.outcome);

        await waitUntil('the idle kept-alive connection is closed', idle.closed);
        assert.equal(exited, false, 'the service waits for the request in flight');
        await release();
        release = undefined;
        const releasedAt = Date.now();
        const heldOutcome = await held;
        assert.ok('answer' in heldOutcome, `the held write was answered: ${JSON.stringify(heldOutcome)}`);
        assert.equal(heldOutcome.answer.status, 201, JSON.stringify(heldOutcome.answer.body));
        assert.equal(heldOutcome.answer.headers.connection, 'close', 'an answer written while closing closes its connection');

        assert.equal(await service.exited, 0, `${signal} ends the service cleanly`);
        const exitedAt = Date.now();
        await Promise.all(workers);

        const lines = logLines(service.output());
        assert.deepEqual(
          lines.filter((line) => line.level === 'error' || line.level === 'fatal'),
          [],
          'a clean shutdown logs no error',
        );

        const keys = new Map(
          (await db.query<{ key: string; state: string }>('SELECT key, state FROM idempotency_keys')).rows.map((row) => [row.key, row.state]),
        );
        assert.deepEqual(
          [...keys].filter(([, state]) => state !== 'completed'),
          [],
          'no idempotency key is left in progress',
        );
        const created = new Set<string>();
        for (const attempt of attempts) {
          const outcome = attempt.outcome!;
          if ('error' in outcome) {
            assert.ok(!keys.has(attempt.key), `${attempt.key} reached the app, yet its connection failed with ${outcome.error}`);
            continue;
          }
          const { status, headers, body } = outcome.answer;
          if (status === 201) {
            created.add(String(body.mentor_status_id));
            continue;
          }
          assert.equal(status, 503, `only refusals besides successes: ${attempt.key} got ${status} ${JSON.stringify(body)}`);
          assert.match(String(headers['content-type']), /^application\/problem\+json/);
          assert.equal(headers.connection, 'close');
        }
        created.add(String(heldOutcome.answer.body.mentor_status_id));
        const stored = new Set((await db.query<{ id: string }>('SELECT id FROM mentor_status_records')).rows.map((row) => row.id));
        assert.deepEqual(
          [...stored].filter((id) => !created.has(id)),
          [],
          'no write was committed without its 201 reaching the client',
        );
        assert.deepEqual(
          [...created].filter((id) => !stored.has(id)),
          [],
          'every write answered 201 is stored',
        );

        const ended = (kind: (outcome: Outcome) => boolean) => inFlight.filter((attempt) => kind(attempt.outcome!)).length;
        t.diagnostic(
          `${signal}: ${attempts.length} writes, ${created.size} answered 201; in flight at the signal: ${inFlight.length + 1} ` +
            `(${ended((o) => 'answer' in o && o.answer.status === 201) + 1} answered 201, ${ended((o) => 'answer' in o && o.answer.status === 503)} refused 503, ` +
            `${ended((o) => 'error' in o)} never reached the app); exit ${exitedAt - releasedAt} ms after the held write was let go`,
        );
        assert.ok(inFlight.length > 0, 'the storm had writes in flight at the signal');
      } finally {
        await release?.();
        service.process.kill('SIGKILL');
        for (const agent of agents) agent.destroy();
      }
    });
  });
}

describe('a request that outlives SHUTDOWN_GRACE_MS', () => {
  let database: TestDatabase;
  let db: pg.Pool;
  before(async () => {
    database = await createTestDatabase();
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    db.on('error', () => undefined);
  });
  after(async () => {
    await db.end();
    await database.drop();
  });

  it('makes the process exit non-zero once the grace period is over, saying so at error level', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const graceMs = 1500;
    const service = startService({
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      API_KEYS: `grace:${API_KEY}`,
      CERT_SWEEP_INTERVAL_SECONDS: '0',
      SHUTDOWN_GRACE_MS: String(graceMs),
      // The held statement must outlast the grace period rather than be cancelled first.
      DB_STATEMENT_TIMEOUT_MS: '120000',
    });
    let release: (() => Promise<void>) | undefined;
    const agent = new Agent({ keepAlive: true });
    try {
      await waitForHealth(base, service);
      assert.equal(await put(base, '/api/v1/mentors/mntr_overdue', { full_name: 'Overdue', chapter_id: 'chpt_grace' }), 201);
      release = await holdMentorHistory(db, 'mntr_overdue');
      const held = post(port, agent, '/api/v1/mentor-statuses', { mentor_id: 'mntr_overdue', status: 'active', changed_by: 'user_grace' });
      await waitUntil('the write waits for its lock', () => waitingForAdvisoryLock(db));

      const signalledAt = Date.now();
      service.process.kill('SIGTERM');
      const code = await service.exited;
      const elapsed = Date.now() - signalledAt;
      assert.notEqual(code, 0, 'an unfinished shutdown is not a clean exit');
      assert.ok(elapsed >= graceMs, `it waited the grace period first (exited after ${elapsed} ms)`);
      const errors = logLines(service.output()).filter((line) => line.level === 'error');
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.match(String(errors[0].msg), /SHUTDOWN_GRACE_MS/);
      assert.ok('error' in (await held), 'the overdue request was cut off with the process');
    } finally {
      await release?.();
      service.process.kill('SIGKILL');
      agent.destroy();
    }
  });
});
