import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { waitUntil } from '../support/poll.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * Every answer the service gives before a route runs (a limit, a gate, a header rule, the HTTP
 * parser itself) carries what every other answer carries: the security headers, the request's id
 * and a problem+json body. Each refusal is provoked for real, on a listening app, and read off the
 * wire: the raw-socket answers (408, 431) are written by no Fastify reply at all.
 */

/** The headers @fastify/helmet sets, as this service configures it. */
const SECURITY_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The first answer in what a socket received (status line, headers, body up to Content-Length). */
function parseAnswer(text: string): Answer {
  const headEnd = text.indexOf('\r\n\r\n');
  assert.ok(headEnd > 0, `an HTTP answer, not ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const rest = text.slice(headEnd + 4);
  const length = headers['content-length'] === undefined ? rest.length : Number(headers['content-length']);
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.slice(0, length) };
}

interface RawConnection {
  socket: Socket;
  received: () => string;
  closed: () => boolean;
}

async function open(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => received, closed: () => closed };
}

/** One request written byte for byte (`Connection: close`, so the answer ends with the connection). */
async function exchange(port: number, head: string[], body = ''): Promise<Answer> {
  const connection = await open(port);
  connection.socket.write(`${[...head, 'Connection: close'].join('\r\n')}\r\n\r\n${body}`);
  await waitUntil(connection.closed, 'the server answered and closed the connection');
  return parseAnswer(connection.received());
}

/** One request through node:http, for the many-at-once refusals. */
function send(port: number, agent: Agent, path: string, requestId: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest({ host: '127.0.0.1', port, path, agent, headers: { 'x-request-id': requestId } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        const headers = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, [value].flat().join(', ')]));
        resolve({ status: response.statusCode ?? 0, headers, body });
      });
    });
    sent.on('error', reject);
    sent.end();
  });
}

const listeningPort = (t: TestApp) => (t.app.getHttpServer().address() as AddressInfo).port;

async function listening(env: Record<string, string>): Promise<TestApp> {
  const t = await startTestApp(env);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return t;
}

/** The security headers of an ordinary answer of this app, to hold every refusal to. */
async function securityHeadersOf(port: number): Promise<Record<string, string>> {
  const served = await exchange(port, ['GET /health HTTP/1.1', 'Host: 127.0.0.1']);
  assert.equal(served.status, 200);
  const headers = Object.fromEntries(SECURITY_HEADERS.map((name) => [name, served.headers[name]]));
  for (const [name, value] of Object.entries(headers)) assert.ok(value, `an ordinary answer carries ${name}`);
  return headers;
}

function assertRefusal(answer: Answer, status: number, security: Record<string, string>, requestId?: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer));
  assert.match(answer.headers['content-type'] ?? '', /^application\/problem\+json/, `the ${status} is problem+json`);
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  assert.equal(problem.status, status);
  assert.equal(typeof problem.type, 'string');
  if (requestId) assert.equal(answer.headers['x-request-id'], requestId, `the ${status} names the request`);
  else assert.match(answer.headers['x-request-id'] ?? '', /^[\w.:-]+$/, `the ${status} carries a request id`);
  for (const [name, value] of Object.entries(security)) assert.equal(answer.headers[name], value, `the ${status} carries ${name}`);
}

describe('refusals before a route runs: limits, media types, timeouts and header rules', () => {
  const timeoutMs = 1500;
  let t: TestApp;
  let port: number;
  let security: Record<string, string>;
  before(async () => {
    t = await listening({ BODY_LIMIT_BYTES: '2048', BULK_BODY_LIMIT_BYTES: '8192', REQUEST_TIMEOUT_MS: String(timeoutMs) });
    port = listeningPort(t);
    security = await securityHeadersOf(port);
  });
  after(() => t.close());

  const post = (path: string, id: string, contentType: string, body: string) => [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    `X-Request-Id: ${id}`,
    `Content-Type: ${contentType}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];

  it('413: a body over BODY_LIMIT_BYTES', async () => {
    const body = JSON.stringify({ mentor_id: 'mntr_early', status: 'paused', changed_by: 'user_early', reason: 'x'.repeat(4096) });
    assertRefusal(await exchange(port, post('/api/v1/mentor-statuses', 'refusal-413', 'application/json', body), body), 413, security, 'refusal-413');
  });

  it('413: a bulk body over BULK_BODY_LIMIT_BYTES', async () => {
    const item = { mentor_id: 'mntr_early', status: 'active', changed_by: 'user_early' };
    const body = JSON.stringify({ items: Array.from({ length: 200 }, () => item) });
    assert.ok(body.length > 8192);
    assertRefusal(
      await exchange(port, post('/api/v1/mentor-statuses/bulk', 'refusal-413-bulk', 'application/json', body), body),
      413,
      security,
      'refusal-413-bulk',
    );
  });

  it('415: a body that is not JSON', async () => {
    assertRefusal(await exchange(port, post('/api/v1/mentor-statuses', 'refusal-415', 'text/plain', 'paused'), 'paused'), 415, security, 'refusal-415');
  });

  it('400: a repeated singleton header', async () => {
    const answer = await exchange(port, ['GET /api/v1/mentors HTTP/1.1', 'Host: 127.0.0.1', 'Host: evil.example', 'X-Request-Id: refusal-400']);
    assertRefusal(answer, 400, security, 'refusal-400');
  });

  it('414: a path parameter too long for the router (answered before any hook)', async () => {
    const answer = await exchange(port, [`GET /api/v1/mentors/${'m'.repeat(200)} HTTP/1.1`, 'Host: 127.0.0.1', 'X-Request-Id: refusal-414']);
    assertRefusal(answer, 414, security, 'refusal-414');
  });

  it('431: headers over the size limit (answered on the socket: there is no request)', async () => {
    const answer = await exchange(port, ['GET /api/v1/mentors HTTP/1.1', 'Host: 127.0.0.1', `X-Padding: ${'p'.repeat(20_000)}`]);
    assertRefusal(answer, 431, security);
  });

  it('408: a body that does not arrive within REQUEST_TIMEOUT_MS (answered on the socket)', async () => {
    const connection = await open(port);
    connection.socket.write(post('/api/v1/mentor-statuses', 'refusal-408', 'application/json', ' '.repeat(1000)).join('\r\n') + '\r\n\r\n{');
    // A slow client's traffic, not a wait: one more byte every 200 ms for as long as the server takes it.
    const trickle = setInterval(() => connection.socket.writable && connection.socket.write(' '), 200);
    try {
      await waitUntil(connection.closed, 'the server cut the request off', timeoutMs + 20_000);
    } finally {
      clearInterval(trickle);
    }
    assertRefusal(parseAnswer(connection.received()), 408, security, 'refusal-408');
  });
});

describe('refusals before a route runs: the per-client queue', () => {
  let t: TestApp;
  let port: number;
  let security: Record<string, string>;
  before(async () => {
    t = await listening({ CLIENT_CONCURRENCY: '1' });
    port = listeningPort(t);
    security = await securityHeadersOf(port);
    const profile = JSON.stringify({ full_name: 'Queue', chapter_id: 'chpt_queue' });
    const head = ['PUT /api/v1/mentors/mntr_queue HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', `Content-Length: ${profile.length}`];
    assert.equal((await exchange(port, head, profile)).status, 201);
  });
  after(() => t.close());

  it('429: a client with its one slot taken and its queue full', async () => {
    const release = await holdMentorHistory(t.db, 'mntr_queue');
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    let held: Promise<Answer>;
    const answers: Answer[] = [];
    let everyone: Promise<unknown>;
    try {
      // The client's one slot: a POST that waits inside its transaction for the mentor's lock.
      held = new Promise((resolve, reject) => {
        const body = JSON.stringify({ mentor_id: 'mntr_queue', status: 'active', changed_by: 'user_queue' });
        const sent = httpRequest(
          { host: '127.0.0.1', port, path: '/api/v1/mentor-statuses', method: 'POST', agent, headers: { 'content-type': 'application/json' } },
          (response) => {
            response.resume().on('end', () => resolve({ status: response.statusCode ?? 0, headers: {}, body: '' }));
          },
        );
        sent.on('error', reject);
        sent.end(body);
      });
      await waitUntil(
        async () =>
          (await t.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n >= 1,
        'the POST holds the slot, waiting for the lock',
      );
      // More than the queue takes (256): while the slot stays taken, the only answers are refusals.
      everyone = Promise.all(
        Array.from({ length: 300 }, (_, index) => send(port, agent, '/api/v1/mentors', `refusal-429-queue-${index}`).then((answer) => answers.push(answer))),
      );
      await waitUntil(() => answers.length > 0, 'a queued request was refused');
    } finally {
      await release();
    }
    const [refused] = answers;
    assertRefusal(refused, 429, security);
    assert.match(refused.headers['x-request-id'], /^refusal-429-queue-\d+$/);
    assert.match(refused.body, /too-many-concurrent-requests/);
    await everyone;
    assert.equal((await held).status, 201);
    agent.destroy();
  });
});

describe('refusals before a handler runs: the rate limit', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await listening({ RATE_LIMIT_PER_MINUTE: '2' });
    port = listeningPort(t);
  });
  after(() => t.close());

  it('429: a client over RATE_LIMIT_PER_MINUTE', async () => {
    const agent = new Agent({ keepAlive: false });
    const first = await send(port, agent, '/api/v1/mentors', 'rate-1');
    assert.equal(first.status, 200);
    const security = Object.fromEntries(SECURITY_HEADERS.map((name) => [name, first.headers[name]]));
    assert.equal((await send(port, agent, '/api/v1/mentors', 'rate-2')).status, 200);
    assertRefusal(await send(port, agent, '/api/v1/mentors', 'refusal-429-rate'), 429, security, 'refusal-429-rate');
    agent.destroy();
  });
});

describe('refusals while the service closes', () => {
  it('503: a request that arrives once the app has started closing', async () => {
    const t = await listening({});
    const server = t.app.getHttpServer();
    const port = listeningPort(t);
    const security = await securityHeadersOf(port);
    let closing: Promise<void> | undefined;
    try {
      // A request whose head is still arriving: the server does not close its connection as idle.
      let serverSide: Socket | undefined;
      server.once('connection', (socket: Socket) => (serverSide = socket));
      const connection = await open(port);
      const start = 'GET /api/v1/mentors HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: refusal-503\r\n';
      connection.socket.write(start);
      await waitUntil(() => serverSide !== undefined && serverSide.bytesRead >= start.length, 'the server has read the start of the request');
      closing = t.app.close();
      const refusesConnections = () =>
        new Promise<boolean>((resolve) => {
          const probe = connect(port, '127.0.0.1');
          probe.once('connect', () => resolve(false)).once('error', () => resolve(true));
          probe.once('connect', () => probe.destroy());
        });
      await waitUntil(refusesConnections, 'the server has stopped taking connections');
      connection.socket.write('\r\n');
      await waitUntil(connection.closed, 'the server answered the request and closed the connection');
      const answer = parseAnswer(connection.received());
      assertRefusal(answer, 503, security, 'refusal-503');
      assert.match(answer.body, /shutting-down/);
      assert.equal(answer.headers.connection, 'close');
    } finally {
      await closing;
      await t.close();
    }
  });
});
