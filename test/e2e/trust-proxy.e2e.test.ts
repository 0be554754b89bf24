import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { waitUntil } from '../support/poll.js';
import { startTestApp, TestApp } from '../support/test-app.js';

interface Answer {
  status: number;
  requestId: string;
}

/** One request from loopback that says, in X-Forwarded-For, it came from `forwardedFor` (through one proxy). */
function send(port: number, forwardedFor: string, method = 'GET', path = '/api/v1/mentor-statuses', body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const sent = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { 'x-forwarded-for': forwardedFor, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, requestId: String(response.headers['x-request-id']) }));
      },
    );
    sent.on('error', reject);
    sent.end(payload);
  });
}

/** The process has one logger and the first app decides where it writes: every app of this file logs here. */
const written: string[] = [];
const logDestination = { write: (line: string) => void written.push(line) };
const clientAddressLogged = (requestId: string): string | undefined => {
  const line = written
    .map((text) => JSON.parse(text) as { request_id?: string; req?: { client_address?: string } })
    .find((entry) => entry.request_id === requestId && entry.req);
  return line?.req?.client_address;
};

async function listening(env: Record<string, string>): Promise<{ t: TestApp; port: number }> {
  const t = await startTestApp({ LOG_LEVEL: 'info', ...env }, { logDestination });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return { t, port: (t.app.getHttpServer().address() as AddressInfo).port };
}

describe('without TRUST_PROXY, X-Forwarded-For is never believed', () => {
  let t: TestApp;
  let port: number;
  before(async () => ({ t, port } = await listening({ RATE_LIMIT_PER_MINUTE: '2' })));
  after(() => t.close());

  it('the rate limit counts the connection’s own address, whatever the header claims', async () => {
    const answers = [await send(port, '203.0.113.1'), await send(port, '203.0.113.2'), await send(port, '203.0.113.3')];
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200, 429],
    );
  });

  it('the log names the connection’s address', async () => {
    const { requestId } = await send(port, '198.51.100.7', 'GET', '/health');
    await waitUntil(() => clientAddressLogged(requestId) !== undefined, 'the request is logged');
    assert.match(clientAddressLogged(requestId)!, /^(::ffff:)?127\.0\.0\.1$/);
  });
});

for (const trustProxy of ['127.0.0.1/8,::1', '1']) {
  describe(`with TRUST_PROXY=${trustProxy}, the forwarded client address counts`, () => {
    let t: TestApp;
    let port: number;
    before(async () => ({ t, port } = await listening({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: trustProxy })));
    after(() => t.close());

    it('each forwarded client has a budget of its own', async () => {
      const answers = [await send(port, '203.0.113.1'), await send(port, '203.0.113.1'), await send(port, '203.0.113.1'), await send(port, '203.0.113.2')];
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [200, 200, 429, 200],
      );
    });

    it('the client beyond the proxies is the one counted: earlier entries of the header are the client’s own claim', async () => {
      // The proxy appends what it saw; whatever the client wrote before that is not trusted.
      const answers = [await send(port, '10.9.9.9, 203.0.113.5'), await send(port, '10.9.9.8, 203.0.113.5'), await send(port, '203.0.113.5')];
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [200, 200, 429],
      );
    });

    it('the log names the forwarded client', async () => {
      const { requestId } = await send(port, '198.51.100.7', 'GET', '/health');
      await waitUntil(() => clientAddressLogged(requestId) !== undefined, 'the request is logged');
      assert.equal(clientAddressLogged(requestId), '198.51.100.7');
    });
  });
}

describe('with TRUST_PROXY, CLIENT_CONCURRENCY tells forwarded clients apart', () => {
  const MENTOR = 'mntr_proxied';
  let t: TestApp;
  let port: number;
  before(async () => {
    ({ t, port } = await listening({ CLIENT_CONCURRENCY: '1', DB_POOL_SIZE: '4', TRUST_PROXY: '127.0.0.1/8,::1' }));
    assert.equal((await send(port, '203.0.113.9', 'PUT', `/api/v1/mentors/${MENTOR}`, { full_name: 'Proxied', chapter_id: 'chpt_proxy' })).status, 201);
  });
  after(() => t.close());

  it('one forwarded client waits for its own slot while another forwarded client is served', async () => {
    const release = await holdMentorHistory(t.db, MENTOR);
    let held: Promise<Answer>;
    let queued: Promise<Answer>;
    let queuedSettled = false;
    try {
      held = send(port, '203.0.113.10', 'POST', '/api/v1/mentor-statuses', { mentor_id: MENTOR, status: 'paused', changed_by: 'user_proxy', reason: 'Away' });
      await waitUntil(
        async () =>
          Number((await t.db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n) >=
          1,
        'the POST waits for the lock',
      );
      queued = send(port, '203.0.113.10').finally(() => (queuedSettled = true));
      // Same connection address (loopback), another forwarded client: not behind the first one.
      assert.equal((await send(port, '203.0.113.11')).status, 200);
      assert.equal(queuedSettled, false, 'the first client’s second request still waits for its slot');
    } finally {
      await release();
    }
    assert.equal((await held).status, 201);
    assert.equal((await queued).status, 200);
  });
});
