import assert from 'node:assert/strict';
import type { IncomingMessage, Server } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { waitUntil } from '../support/service-process.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const API_KEY = 'logging-key-3f9a0c6e1b7d5528';
const CORE_FIELDS = ['level', 'time', 'pid', 'hostname', 'msg'];

type Line = Record<string, unknown>;

/** A raw connection to the server, and the server's side of it. */
async function rawConnection(server: Server): Promise<{ client: Socket; accepted: Socket; received: () => string }> {
  const sockets: Socket[] = [];
  const onConnection = (socket: Socket) => void sockets.push(socket);
  server.on('connection', onConnection);
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  let received = '';
  client.on('data', (chunk: Buffer) => (received += chunk.toString()));
  client.on('error', () => undefined);
  await new Promise((resolve) => client.once('connect', resolve));
  let accepted: Socket | undefined;
  await waitUntil('the server accepted the connection', () => (accepted = sockets.find((socket) => socket.remotePort === client.localPort)) !== undefined);
  server.off('connection', onConnection);
  return { client, accepted: accepted!, received: () => received };
}

/**
 * One app for the whole file, whose log is captured line by line: the process has one logger,
 * and the first app to start decides where it writes (see rootLogger).
 */
describe('the log', () => {
  let t: TestApp;
  let base: string;
  const written: string[] = [];
  const lines = (): Line[] => written.map((line) => JSON.parse(line) as Line);
  const linesOf = (requestId: string) => lines().filter((line) => line.request_id === requestId);

  before(async () => {
    t = await startTestApp(
      { LOG_LEVEL: 'info', API_KEYS: `logging:${API_KEY}`, DB_STATEMENT_TIMEOUT_MS: '300' },
      { logDestination: { write: (line: string) => void written.push(line) } },
    );
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  after(async () => {
    await t.db.end();
    await t.database.drop();
  });

  it("writes Nest's, Fastify's and the request lines in one JSON shape, each line of a request with its request_id, and never the API key", async () => {
    const put = await fetch(`${base}/api/v1/mentors/mntr_logged`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'x-request-id': 'log-put-1' },
      body: JSON.stringify({ full_name: 'Logged Lee', chapter_id: 'chpt_log' }),
    });
    assert.equal(put.status, 201);
    // The sweep's service writes a line of its own, through Nest's Logger, while it handles the request.
    const sweep = await fetch(`${base}/api/v1/certification-sweeps`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` } });
    assert.equal(sweep.status, 200);
    const sweepId = sweep.headers.get('x-request-id')!;

    await waitUntil('both requests are logged', () => linesOf('log-put-1').length > 0 && linesOf(sweepId).length > 1);
    for (const line of lines()) {
      for (const field of CORE_FIELDS) assert.ok(field in line, `${field} in ${JSON.stringify(line)}`);
      assert.ok(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(String(line.level)), JSON.stringify(line));
      assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    assert.ok(
      lines().some((line) => line.context === 'NestApplication'),
      "Nest's own lines",
    );
    assert.ok(
      lines().some((line) => String(line.msg).startsWith('Server listening at')),
      "Fastify's own lines",
    );
    assert.deepEqual(
      linesOf('log-put-1').map((line) => line.msg),
      ['request completed'],
    );
    assert.deepEqual(linesOf('log-put-1')[0].req, { method: 'PUT', url: '/api/v1/mentors/mntr_logged', client_address: '127.0.0.1' });
    const sweepLines = linesOf(sweepId);
    assert.ok(
      sweepLines.some((line) => line.context === 'CertificationSweep' && String(line.msg).startsWith('sweep as of')),
      `the service's line carries the request id: ${JSON.stringify(sweepLines)}`,
    );
    assert.equal(sweepLines.at(-1)?.msg, 'request completed');
    assert.ok(!written.join('').includes(API_KEY), 'the API key never reaches the log');
  });

  it('logs each request once, the health probes outside the /api/v1 prefix too', async () => {
    const ids = ['/health', '/health/live', '/health/ready', '/api/v1/mentor-statuses'].map((path) => ({ path, id: `once${path.replaceAll('/', '.')}` }));
    for (const { path, id } of ids) assert.equal((await fetch(`${base}${path}`, { headers: { 'x-request-id': id } })).status, 200);
    await waitUntil('the requests are logged', () => ids.every(({ id }) => linesOf(id).length > 0));
    for (const { path, id } of ids) {
      assert.deepEqual(
        linesOf(id).map((line) => line.msg),
        ['request completed'],
        path,
      );
    }
  });

  it('logs a client fault (4xx) at info and without a stack', async () => {
    const response = await fetch(`${base}/api/v1/mentor-statuses/not-an-id`, { headers: { 'x-request-id': 'log-400' } });
    assert.equal(response.status, 400);
    await waitUntil('the request is logged', () => linesOf('log-400').length > 0);
    assert.deepEqual(
      linesOf('log-400').map((line) => [line.level, line.msg, line.res]),
      [['info', 'request completed', { statusCode: 400 }]],
    );
    assert.ok(!JSON.stringify(linesOf('log-400')).includes('stack'));
  });

  it('logs a 503 the database caused (an outage, a failover) as a warning with the cause and its stack once, and its request line at info: no error line', async () => {
    const release = await holdMentorHistory(t.db, 'mntr_logged');
    try {
      // The POST waits for the lock past DB_STATEMENT_TIMEOUT_MS: the database gives up, and the answer is 503.
      const response = await fetch(`${base}/api/v1/mentor-statuses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'x-request-id': 'log-503' },
        body: JSON.stringify({ mentor_id: 'mntr_logged', status: 'active', changed_by: 'user_log' }),
      });
      assert.equal(response.status, 503);
    } finally {
      await release();
    }
    await waitUntil('the request is logged', () => linesOf('log-503').some((line) => line.msg === 'request failed' && 'res' in line));
    const failed = linesOf('log-503');
    assert.deepEqual(
      failed.map((line) => [line.level, line.msg]),
      [
        ['warn', 'the database is unavailable: requests get 503 with Retry-After'],
        ['info', 'request failed'],
      ],
    );
    assert.match(String((failed[0].err as { stack: string }).stack), /statement timeout/);
  });

  it('logs an upload the client gave up on at info, with no stack', async () => {
    const server = t.app.getHttpServer();
    const arrived = new Promise<void>((resolve) => {
      const onRequest = (request: IncomingMessage) => {
        if (request.headers['x-request-id'] !== 'log-aborted') return;
        server.off('request', onRequest);
        resolve();
      };
      server.on('request', onRequest);
    });
    const { client } = await rawConnection(server);
    client.write(
      'POST /api/v1/mentor-statuses HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: log-aborted\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"mentor_id":',
    );
    await arrived;
    client.destroy();
    await waitUntil('the aborted request is logged', () => linesOf('log-aborted').length > 0);
    assert.deepEqual(
      linesOf('log-aborted').map((line) => [line.level, line.msg]),
      [['info', 'request closed before its answer was sent']],
    );
    assert.ok(!JSON.stringify(linesOf('log-aborted')).includes('stack'));
    assert.deepEqual(
      lines().filter((line) => line.level === 'error' && line.request_id === 'log-aborted'),
      [],
    );
  });

  it('redacts secrets given in the query, in the log and in the problem instance', async () => {
    const secrets = ['tok-SECRET-111', 'key-SECRET-222', 'api-SECRET-333', 'acc-SECRET-444'];
    const response = await fetch(
      `${base}/api/v1/mentor-statuses/not-an-id?Token=${secrets[0]}&key=${secrets[1]}&API_KEY=${secrets[2]}&access_token=${secrets[3]}&page=1`,
      {
        headers: { 'x-request-id': 'log-secret' },
      },
    );
    assert.equal(response.status, 400);
    const problem = (await response.json()) as { instance: string };
    assert.equal(problem.instance, '/api/v1/mentor-statuses/not-an-id?Token=[REDACTED]&key=[REDACTED]&API_KEY=[REDACTED]&access_token=[REDACTED]&page=1');
    await waitUntil('the request is logged', () => linesOf('log-secret').length > 0);
    assert.equal((linesOf('log-secret')[0].req as { url: string }).url, problem.instance);
    for (const secret of secrets) assert.ok(!written.join('').includes(secret), `${secret} never reaches the log`);
  });

  it('logs the 503s it answers while shutting down at info, not as errors', async () => {
    // A request under way when the app starts closing keeps its connection open; it is then refused.
    const server = t.app.getHttpServer();
    const { client, accepted, received } = await rawConnection(server);
    const head = 'GET /api/v1/mentor-statuses HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: log-closing\r\n';
    client.write(head);
    await waitUntil('the server has read the start of the request', () => accepted.bytesRead >= head.length);
    const closed = t.app.close();
    await waitUntil('the server no longer listens', () => !server.listening);
    client.write('\r\n');
    await closed;
    await waitUntil('the refusal arrived', () => received().includes('/problems/shutting-down'));
    assert.match(received(), /^HTTP\/1\.1 503 /);
    assert.match(received(), /\r\nconnection: close\r\n/i);
    await waitUntil('the refusal is logged', () => linesOf('log-closing').length > 0);
    assert.deepEqual(
      linesOf('log-closing').map((line) => [line.level, line.msg]),
      [['info', 'request failed']],
    );
    assert.ok(!JSON.stringify(linesOf('log-closing')).includes('stack'));
  });
});
