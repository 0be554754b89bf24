import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../tools/free-port.js';
import { Haproxy, startHaproxy } from '../../tools/haproxy.js';
import { ServiceProcess, startService, waitUntil } from '../support/service-process.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

const API_KEY = 'rolling-key-3e9a51c07b4d28f6';
/** Above the time HAProxy takes to see readiness fail (a check every 200 ms, out after 2 failures). */
const DRAIN_MS = 2_000;
const REQUESTS_PER_SECOND = 40;
/** The load stops by itself past this, whatever happens to the restarts. */
const LOAD_BOUND_MS = 180_000;

type Outcome = { status: number; contentType?: string } | { error: string };

/** One request through the balancer on a kept-alive connection, never retried: its status (and whose answer it is, by its type), or the error that ended it. */
function send(port: number, agent: Agent, method: string, path: string, body?: object): Promise<Outcome> {
  const payload = body ? JSON.stringify(body) : undefined;
  return new Promise((resolve) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent,
        timeout: 15_000,
        headers: {
          authorization: `Bearer ${API_KEY}`,
          ...(payload && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'] }));
        response.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    outgoing.end(payload);
  });
}

describe('a rolling restart of two instances behind HAProxy, under a steady load', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database.drop());

  it('shows the callers no failed request: every answer 2xx, no connection reset', async (t) => {
    const instances = await Promise.all(['app1', 'app2'].map(async (name) => ({ name, port: await freePort() })));
    const env = (port: number) => ({
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      API_KEYS: `rolling:${API_KEY}`,
      CERT_SWEEP_INTERVAL_SECONDS: '0',
      RESUME_SWEEP_INTERVAL_SECONDS: '0',
      RATE_LIMIT_PER_MINUTE: '0',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
    });
    const running = new Map<string, ServiceProcess>();
    let balancer: Haproxy | undefined;
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const outcomes: Outcome[] = [];
    const pending: Promise<void>[] = [];
    let loading = true;
    try {
      // The first start applies the migrations: one instance first, then the other.
      for (const { name, port } of instances) {
        const service = startService(env(port));
        running.set(name, service);
        await waitUntil(
          `${name} is ready`,
          async () => {
            if (service.process.exitCode !== null) throw new Error(`${name} exited: ${service.output()}`);
            return fetch(`http://127.0.0.1:${port}/health/ready`).then(
              (response) => response.ok,
              () => false,
            );
          },
          60_000,
        );
      }
      balancer = await startHaproxy(instances, { checkPath: '/health/ready', checkIntervalMs: 200, fall: 2, rise: 2 });
      const haproxy = balancer;
      const up = async (name: string) => (await haproxy.states())[name] === 'UP';
      for (const { name } of instances) await waitUntil(`HAProxy sees ${name} up`, () => up(name), 30_000);
      const seeded = await send(haproxy.port, agent, 'PUT', '/api/v1/mentors/mntr_roll', { full_name: 'Rolling', chapter_id: 'chpt_roll' });
      assert.equal('status' in seeded && seeded.status, 201);

      // An open loop: requests leave at a steady pace whether or not the earlier ones were answered, writes and reads in turn.
      const startedAt = Date.now();
      const load = (async () => {
        for (let i = 0; loading && Date.now() - startedAt < LOAD_BOUND_MS; i++) {
          const sent =
            i % 2 === 0
              ? send(haproxy.port, agent, 'PUT', `/api/v1/mentors/mntr_roll_${i}`, { full_name: `Rolling ${i}`, chapter_id: 'chpt_roll' })
              : send(haproxy.port, agent, 'GET', '/api/v1/mentors/mntr_roll');
          pending.push(sent.then((outcome) => void outcomes.push(outcome)));
          await new Promise((resolve) => setTimeout(resolve, 1000 / REQUESTS_PER_SECOND));
        }
      })();
      await waitUntil('the load has 40 answers', () => outcomes.length >= 40, 30_000);

      const restarts: string[] = [];
      for (const { name, port } of instances) {
        const stoppingAt = Date.now();
        const answeredBefore = outcomes.length;
        const old = running.get(name)!;
        old.process.kill('SIGTERM');
        await waitUntil(`HAProxy takes ${name} out`, async () => !(await up(name)), 30_000);
        assert.equal(await old.exited, 0, `${name} stops cleanly: ${old.output()}`);
        const stoppedAt = Date.now();
        const service = startService(env(port));
        running.set(name, service);
        await waitUntil(
          `HAProxy puts the new ${name} back`,
          async () => {
            if (service.process.exitCode !== null) throw new Error(`${name} exited: ${service.output()}`);
            return up(name);
          },
          60_000,
        );
        restarts.push(
          `${name}: stopped ${stoppedAt - stoppingAt} ms after SIGTERM, back in ${Date.now() - stoppedAt} ms, ${outcomes.length - answeredBefore} answers meanwhile`,
        );
      }
      const settled = outcomes.length;
      await waitUntil('the load has answers after the restarts', () => outcomes.length >= settled + 40, 30_000);
      loading = false;
      await load;
      await Promise.all(pending);

      const failed = outcomes.filter((outcome) => !('status' in outcome) || outcome.status < 200 || outcome.status > 299);
      const tally = new Map<string, number>();
      for (const outcome of failed) {
        const key = 'status' in outcome ? `${outcome.status} ${outcome.contentType ?? ''}`.trim() : outcome.error;
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
      t.diagnostic(`${outcomes.length} requests through HAProxy; ${restarts.join('; ')}; failed: ${JSON.stringify(Object.fromEntries(tally))}`);
      assert.deepEqual(Object.fromEntries(tally), {}, 'no request failed: no non-2xx answer, no reset or other connection error');
    } finally {
      loading = false;
      await Promise.all(pending);
      for (const service of running.values()) service.process.kill('SIGKILL');
      agent.destroy();
      await balancer?.stop();
    }
  });
});
