import assert from 'node:assert/strict';
import { AddressInfo, connect, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { waitUntil } from '../support/service-process.js';
import { startTestApp, TestApp } from '../support/test-app.js';

interface RawConnection {
  socket: Socket;
  received: () => string;
  closed: () => boolean;
  closedAt: () => number | undefined;
}

async function open(t: TestApp): Promise<RawConnection> {
  const socket = connect((t.app.getHttpServer().address() as AddressInfo).port, '127.0.0.1');
  let received = '';
  let closedAt: number | undefined;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  socket.on('close', () => (closedAt = Date.now()));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => received, closed: () => closedAt !== undefined, closedAt: () => closedAt };
}

/** Sends a GET /health on the connection and waits for its whole answer. */
async function health(connection: RawConnection): Promise<string> {
  const before = connection.received().length;
  connection.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await waitUntil('the health answer arrived', () => /\r\n\r\n\{.*\}$/s.test(connection.received().slice(before)));
  return connection.received().slice(before);
}

const base = (t: TestApp) => `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;

async function listening(env: Record<string, string>): Promise<TestApp> {
  const t = await startTestApp(env);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return t;
}

describe('REQUEST_TIMEOUT_MS', () => {
  const timeoutMs = 1500;
  let t: TestApp;
  before(async () => (t = await listening({ REQUEST_TIMEOUT_MS: String(timeoutMs) })));
  after(() => t.close());

  it('cuts off a body trickled in byte by byte with 408 problem+json, then closes the connection', async () => {
    const connection = await open(t);
    const startedAt = Date.now();
    connection.socket.write('POST /api/v1/mentor-statuses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    // A slow client's traffic, not a wait: one more byte every 200 ms for as long as the server takes it.
    const trickle = setInterval(() => connection.socket.writable && connection.socket.write(' '), 200);
    try {
      await waitUntil('the server closed the connection', connection.closed, timeoutMs + 20_000);
    } finally {
      clearInterval(trickle);
    }
    const elapsed = connection.closedAt()! - startedAt;
    assert.ok(elapsed >= timeoutMs, `not before REQUEST_TIMEOUT_MS (closed after ${elapsed} ms)`);
    assert.match(connection.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(connection.received(), /\r\nContent-Type: application\/problem\+json\r\n/i);
    assert.match(connection.received(), /"status":408/);
  });

  it('leaves a request that arrived in time alone, however long it is handled', async () => {
    const mentor = await fetch(`${base(t)}/api/v1/mentors/mntr_slow_handled`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ full_name: 'Slow Handled', chapter_id: 'chpt_limits' }),
    });
    assert.equal(mentor.status, 201);
    const release = await holdMentorHistory(t.db, 'mntr_slow_handled');
    const startedAt = Date.now();
    const answer = fetch(`${base(t)}/api/v1/mentor-statuses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mentor_id: 'mntr_slow_handled', status: 'active', changed_by: 'user_limits' }),
    });
    try {
      // Past the deadline and the next check of it, the request is still being handled.
      await waitUntil('the request has been handled longer than REQUEST_TIMEOUT_MS', () => Date.now() - startedAt > timeoutMs + 1500, timeoutMs + 5000);
    } finally {
      await release();
    }
    assert.equal((await answer).status, 201);
  });
});

describe('MAX_CONNECTIONS', () => {
  let t: TestApp;
  before(async () => (t = await listening({ MAX_CONNECTIONS: '3' })));
  after(() => t.close());

  it('closes connections beyond the cap at once, unserved, while the open ones keep working', async () => {
    const first = await Promise.all([open(t), open(t), open(t)]);
    for (const connection of first) assert.match(await health(connection), /^HTTP\/1\.1 200 /);

    const extra = await open(t);
    extra.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitUntil('the extra connection is closed', extra.closed);
    assert.equal(extra.received(), '', 'the extra connection got no answer');

    for (const connection of first) assert.match(await health(connection), /^HTTP\/1\.1 200 /);
    for (const connection of first) connection.socket.destroy();
    await waitUntil(
      'the server let go of them',
      async () => (await new Promise<number>((resolve) => t.app.getHttpServer().getConnections((_e, n) => resolve(n)))) === 0,
    );
    const later = await open(t);
    assert.match(await health(later), /^HTTP\/1\.1 200 /, 'a freed place is taken again');
    later.socket.destroy();
  });
});

describe('KEEP_ALIVE_TIMEOUT_MS', () => {
  const keepAliveMs = 1000;
  let t: TestApp;
  before(async () => (t = await listening({ KEEP_ALIVE_TIMEOUT_MS: String(keepAliveMs) })));
  after(() => t.close());

  it('closes a kept-alive connection that stays idle that long, and says so in Keep-Alive', async () => {
    const connection = await open(t);
    const answer = await health(connection);
    const idleSince = Date.now();
    assert.match(answer, /\r\nKeep-Alive: timeout=1\r\n/i);
    await waitUntil('the server closed the idle connection', connection.closed, keepAliveMs + 20_000);
    const idle = connection.closedAt()! - idleSince;
    assert.ok(idle >= keepAliveMs, `not before KEEP_ALIVE_TIMEOUT_MS (closed after ${idle} ms)`);
  });
});
