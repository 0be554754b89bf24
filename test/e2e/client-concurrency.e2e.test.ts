import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { waitUntil } from '../support/poll.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const LIMIT = 2;
const MENTORS = ['mntr_busy_1', 'mntr_busy_2', 'mntr_busy_3', 'mntr_busy_4'];

/** One request from a chosen source address, so that the app sees distinct clients on loopback. */
function send(port: number, from: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const sent = httpRequest(
      { host: '127.0.0.1', port, localAddress: from, method, path, headers: payload ? { 'content-type': 'application/json' } : {} },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    sent.on('error', reject);
    sent.end(payload);
  });
}

describe('CLIENT_CONCURRENCY: one client cannot hold the whole pool', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp({ CLIENT_CONCURRENCY: String(LIMIT), DB_POOL_SIZE: '4' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    for (const mentor of MENTORS) {
      assert.equal((await send(port, '127.0.0.1', 'PUT', `/api/v1/mentors/${mentor}`, { full_name: 'Busy', chapter_id: 'chpt_busy' })).status, 201);
    }
  });
  after(() => t.close());

  const waitingOnLocks = async () =>
    Number((await t.db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n);

  it(`runs at most ${LIMIT} requests of one address at a time; the rest wait their turn while other clients and /health are served`, async () => {
    const release = await holdMentorHistory(t.db, MENTORS);
    let answers: Promise<{ status: number; body: string }[]>;
    try {
      // Four POSTs of one client, each of which would wait inside its transaction for its mentor's lock.
      answers = Promise.all(
        MENTORS.map((mentor) =>
          send(port, '127.0.0.1', 'POST', '/api/v1/mentor-statuses', { mentor_id: mentor, status: 'paused', changed_by: 'user_busy', reason: 'Away' }),
        ),
      );
      await waitUntil(async () => (await waitingOnLocks()) >= LIMIT, `${LIMIT} POSTs wait for the lock`);
      // Another address is not queued behind them, and health checks never are.
      assert.equal((await send(port, '127.0.0.2', 'GET', '/api/v1/mentor-statuses')).status, 200);
      assert.equal((await send(port, '127.0.0.1', 'GET', '/health')).status, 200);
      assert.equal(await waitingOnLocks(), LIMIT, 'the first client still has only its share running');
    } finally {
      await release();
    }
    const statuses = (await answers).map((answer) => answer.status);
    assert.deepEqual(statuses, [201, 201, 201, 201], 'the queued requests ran once a slot was free');
  });
});
