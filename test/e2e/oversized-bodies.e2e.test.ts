import assert from 'node:assert/strict';
import { AddressInfo, connect, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * A body over the limit is answered 413 problem+json before the service has read it, while the
 * client is still sending. Every such client must be able to read that answer: were the server to
 * close its socket with the rest of the body unread, its kernel would answer the incoming bytes
 * with a reset, which can throw the client's unread answer away. Raw sockets, so that nothing
 * between the test and the server reads, buffers or retries on its behalf.
 */

const BODY_LIMIT = 16 * 1024;
/** More than the kernel's buffers on both ends of a loopback connection take in: the client is still sending when the answer comes. */
const OVERSIZED = 4 * 1024 * 1024;
const ROUNDS = 100;
const AT_ONCE = 6;

interface Outcome {
  status?: number;
  contentType?: string;
  problemStatus?: number;
  error?: string;
}

function head(path: string, headers: Record<string, string | number>): string {
  return `${[`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n')}\r\n\r\n`;
}

/** Reads answers off a socket: status line, headers, body by Content-Length. */
class Reader {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  error: string | undefined;
  ended = false;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error ??= error.code ?? error.message;
      this.waiting?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiting?.();
    });
  }

  async answer(): Promise<{ status: number; headers: Record<string, string>; body: string } | undefined> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine, ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
        const length = Number(headers['content-length'] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
          this.buffer = this.buffer.subarray(end + 4 + length);
          return { status: Number(statusLine.split(' ')[1]), headers, body };
        }
      }
      if (this.ended || this.error) return undefined;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }
}

/** Half-open allowed: like most HTTP clients, it goes on sending its body after the server has ended its side. */
async function opened(port: number): Promise<{ socket: Socket; reader: Reader }> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const reader = new Reader(socket);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, reader };
}

type Framing = 'content-length' | 'chunked';

/**
 * Sends the request and its whole oversized body, 64 KiB at a time as the socket takes them, as
 * most HTTP clients do: they read the answer once the body is sent. Resolves to the error that
 * stopped the sending, if one did.
 */
async function sendOversized(socket: Socket, framing: Framing, keepAlive: boolean): Promise<string | undefined> {
  const connection = keepAlive ? 'keep-alive' : 'close';
  const chunked = framing === 'chunked';
  const parts: (string | Buffer)[] = [
    head('/api/v1/mentor-statuses', {
      'Content-Type': 'application/json',
      Connection: connection,
      ...(chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': OVERSIZED }),
    }),
  ];
  const piece = Buffer.alloc(64 * 1024, 'a');
  for (let sent = 0; sent < OVERSIZED; sent += piece.length) parts.push(...(chunked ? [`${piece.length.toString(16)}\r\n`, piece, '\r\n'] : [piece]));
  if (chunked) parts.push('0\r\n\r\n');
  let failed: string | undefined;
  socket.on('error', (error: NodeJS.ErrnoException) => (failed ??= error.code ?? error.message));
  for (const part of parts) {
    if (failed || socket.destroyed) break;
    if (!socket.write(part)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
  }
  return failed ?? (socket.destroyed ? 'closed while sending' : undefined);
}

async function oversizedRequest(port: number, framing: Framing, keepAlive: boolean): Promise<Outcome> {
  const { socket, reader } = await opened(port);
  try {
    const sendingFailed = await sendOversized(socket, framing, keepAlive);
    if (sendingFailed) return { error: `sending the body failed: ${sendingFailed}` };
    const answer = await reader.answer();
    if (!answer) return { error: reader.error ?? 'closed without an answer' };
    const outcome: Outcome = { status: answer.status, contentType: answer.headers['content-type'] };
    try {
      outcome.problemStatus = (JSON.parse(answer.body) as { status?: number }).status;
    } catch {
      outcome.error = `not JSON: ${answer.body.slice(0, 100)}`;
    }
    return outcome;
  } finally {
    socket.destroy();
  }
}

async function rounds(port: number, framing: Framing, keepAlive: boolean): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      while (next < ROUNDS) {
        next++;
        outcomes.push(await oversizedRequest(port, framing, keepAlive));
      }
    }),
  );
  return outcomes;
}

function assertAll413(outcomes: Outcome[]): void {
  const failed = outcomes.filter(
    (outcome) => outcome.status !== 413 || outcome.problemStatus !== 413 || !/^application\/problem\+json/.test(outcome.contentType ?? ''),
  );
  assert.equal(failed.length, 0, `${failed.length} of ${outcomes.length} got no 413 problem+json: ${JSON.stringify(failed.slice(0, 5))}`);
}

describe('a body over the limit gets its 413 problem+json every time, never a reset', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  after(() => t.close());

  for (const framing of ['content-length', 'chunked'] as const) {
    it(`${framing}, Connection: close`, { timeout: 120_000 }, async () => {
      assertAll413(await rounds(port, framing, false));
    });

    it(`${framing}, Connection: keep-alive`, { timeout: 120_000 }, async () => {
      assertAll413(await rounds(port, framing, true));
    });
  }
});
