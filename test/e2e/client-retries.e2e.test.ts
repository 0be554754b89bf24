import { createMentorStatusClient, type MentorStatusClient, type RetryEvent } from '@mentor-status/client';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startTestApp, TestApp } from '../support/test-app.js';

/**
 * A proxy in front of the app that can lose answers: the request reaches the app and is served
 * in full, but the proxy then drops the caller's connection instead of passing the answer on,
 * which is what a caller sees when a network fails on the way back.
 */
class LossyProxy {
  /** Answers still to lose, and what was asked through the proxy. */
  lose = 0;
  readonly seen: { method: string; idempotencyKey: string | undefined; lost: boolean }[] = [];
  private readonly server: Server;

  constructor(private readonly upstreamPort: number) {
    this.server = createServer((incoming, outgoing) => {
      const forwarded = httpRequest(
        { host: '127.0.0.1', port: this.upstreamPort, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          const lost = this.lose > 0;
          if (lost) this.lose--;
          this.seen.push({ method: incoming.method ?? '', idempotencyKey: incoming.headers['idempotency-key'] as string | undefined, lost });
          if (lost) {
            answer.resume();
            answer.on('end', () => incoming.socket.destroy());
            return;
          }
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      incoming.pipe(forwarded);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('the client package over a network that loses answers', () => {
  const apiKey = randomBytes(24).toString('base64url');
  const mentorId = 'mntr_lost_answers';
  const retries: RetryEvent[] = [];
  let t: TestApp;
  let proxy: LossyProxy;
  let client: MentorStatusClient;

  before(async () => {
    t = await startTestApp({ API_KEYS: `retries:${apiKey}` });
    await t.app.listen(0, '127.0.0.1');
    proxy = new LossyProxy((t.http.address() as AddressInfo).port);
    client = createMentorStatusClient(await proxy.listen(), { apiKey, retry: { baseDelayMs: 10, onRetry: (event) => retries.push(event) } });
    const { response } = await client.PUT('/api/v1/mentors/{mentor_id}', {
      params: { path: { mentor_id: mentorId } },
      body: { full_name: 'Lou Lost', chapter_id: 'chpt_lost' },
    });
    assert.equal(response.status, 201);
  });
  beforeEach(() => {
    proxy.seen.length = 0;
    retries.length = 0;
  });
  after(async () => {
    await proxy?.close();
    await t?.close();
  });

  it("retries a POST whose answer was lost with the same Idempotency-Key, and gets the first attempt's answer: one record", async () => {
    proxy.lose = 1;
    const { data, response } = await client.POST('/api/v1/mentor-statuses', {
      body: { mentor_id: mentorId, status: 'paused', reason: 'Travel', changed_by: 'retry_test' },
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(
      proxy.seen.map((seen) => [seen.method, seen.lost]),
      [
        ['POST', true],
        ['POST', false],
      ],
    );
    assert.ok(proxy.seen[0]?.idempotencyKey);
    assert.equal(proxy.seen[1]?.idempotencyKey, proxy.seen[0].idempotencyKey);
    assert.deepEqual(
      retries.map((event) => [event.method, event.attempt, event.reason]),
      [['POST', 1, 'network']],
    );
    const { rows } = await t.db.query<{ id: string }>(`SELECT id FROM mentor_status_records WHERE mentor_id = $1 AND status = 'paused'`, [mentorId]);
    assert.deepEqual(
      rows.map((row) => row.id),
      [data?.mentor_status_id],
    );
  });

  it('retries a PUT whose answer was lost: the repeat sets the same state', async () => {
    proxy.lose = 1;
    const { data, response } = await client.PUT('/api/v1/mentors/{mentor_id}', {
      params: { path: { mentor_id: mentorId } },
      body: { full_name: 'Lou Found', chapter_id: 'chpt_lost' },
    });
    assert.equal(response.status, 200);
    assert.equal(data?.full_name, 'Lou Found');
    assert.equal(proxy.seen.length, 2);
    const { rows } = await t.db.query<{ full_name: string }>('SELECT full_name FROM mentors WHERE mentor_id = $1', [mentorId]);
    assert.deepEqual(rows, [{ full_name: 'Lou Found' }]);
  });

  it('does not retry a DELETE whose answer was lost: the caller gets the network error, and the record was deleted once', async () => {
    const created = await client.POST('/api/v1/mentor-statuses', { body: { mentor_id: mentorId, status: 'active', changed_by: 'retry_test' } });
    assert.ok(created.data);
    proxy.seen.length = 0;
    proxy.lose = 1;
    await assert.rejects(client.DELETE('/api/v1/mentor-statuses/{id}', { params: { path: { id: created.data.mentor_status_id } } }), TypeError);
    assert.deepEqual(
      proxy.seen.map((seen) => [seen.method, seen.lost]),
      [['DELETE', true]],
    );
    assert.deepEqual(retries, []);
    const { rows } = await t.db.query('SELECT deleted_at IS NOT NULL AS deleted FROM mentor_status_records WHERE id = $1', [created.data.mentor_status_id]);
    assert.deepEqual(rows, [{ deleted: true }]);
  });
});
