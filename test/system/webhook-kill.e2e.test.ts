import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../../tools/free-port.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';
import { verifyDelivery, WebhookReceiver } from '../support/webhook-receiver.js';
import { waitUntil } from '../support/poll.js';

const mainJs = join(dirname(fileURLToPath(import.meta.url)), '../../src/main.js');
const apiKey = randomBytes(24).toString('base64url');
const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

/** The compiled service, as `npm start` runs it, on the suite's database. */
async function startService(env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [mainJs], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      CERT_SWEEP_INTERVAL_SECONDS: '0',
      RATE_LIMIT_PER_MINUTE: '0',
      SHUTDOWN_DRAIN_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    return fetch(`${base}/health`).then(
      (response) => response.ok,
      () => false,
    );
  }, 'the service to answer /health');
  return { child, base };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = (await response.json()) as Record<string, unknown>;
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

describe('webhook delivery survives kill -9 of the delivering instance', () => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  let receiverUrl: string;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];
  before(async () => {
    database = await createTestDatabase();
    receiver = new WebhookReceiver();
    receiverUrl = await receiver.start();
    env = {
      DATABASE_URL: database.url,
      API_KEYS: `admin:${apiKey}`,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_LEASE_SECONDS: '3',
      WEBHOOK_TIMEOUT_MS: '1000',
    };
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map(exited));
    await receiver.stop();
    await database.drop();
  });

  it(
    'delivers every event after a restart; what the killed instance had sent comes again with the same webhook-id and body',
    { timeout: 180_000 },
    async () => {
      // Events first, with no worker running, so that the killed instance is certain to be in the middle of one round of them.
      const writer = await startService({ ...env, WEBHOOK_WORKERS: '0' });
      children.push(writer.child);
      const subscription = await call(writer.base, 'POST', '/api/v1/webhook-subscriptions', {
        url: `${receiverUrl}/killed`,
        event_types: ['mentor.status.changed'],
      });
      await call(writer.base, 'PUT', '/api/v1/mentors/mntr_killed', { full_name: 'Killed Kim', chapter_id: 'chpt_kill' });
      for (let i = 0; i < 100; i++) {
        await call(writer.base, 'POST', '/api/v1/mentor-statuses', {
          mentor_id: 'mntr_killed',
          status: i % 2 === 0 ? 'paused' : 'active',
          reason: `Change ${i}`,
          changed_by: 'user_kill',
        });
      }
      writer.child.kill('SIGTERM');
      await exited(writer.child);

      const db = new pg.Client({ connectionString: database.url });
      await db.connect();
      const { rows } = await db.query(`SELECT id FROM event_outbox WHERE type = 'mentor.status.changed' ORDER BY xid, seq`);
      await db.end();
      const eventIds = rows.map((row: { id: string }) => row.id);
      assert.equal(eventIds.length, 100);

      receiver.behaviour = () => ({ status: 200, delayMs: 30 });
      const victim = await startService(env);
      children.push(victim.child);
      await waitUntil(() => receiver.accepted('/killed').length >= 20, 'the first 20 deliveries');
      victim.child.kill('SIGKILL');
      await exited(victim.child);
      const beforeRestart = receiver.accepted('/killed').length;
      assert.ok(beforeRestart < 100, 'killed in the middle of the deliveries');

      receiver.behaviour = () => ({ status: 200 });
      const successor = await startService(env);
      children.push(successor.child);
      await waitUntil(
        () => {
          const got = new Set(receiver.accepted('/killed').map((delivery) => delivery.headers['webhook-id']));
          return eventIds.every((id) => got.has(id));
        },
        'every event delivered',
        120_000,
      );

      const deliveries = receiver.accepted('/killed');
      const bodies = new Map<string, string>();
      for (const delivery of deliveries) {
        const event = verifyDelivery(delivery, String(subscription.secret));
        const id = String(delivery.headers['webhook-id']);
        assert.equal(event.id, id);
        if (bodies.has(id)) assert.equal(delivery.body, bodies.get(id), 'a duplicate carries the same event');
        bodies.set(id, delivery.body);
      }
      assert.ok(deliveries.length > eventIds.length, `what the killed instance sent but had not booked came again (${deliveries.length} deliveries)`);
      const firstSeen = [...new Set(deliveries.map((delivery) => String(delivery.headers['webhook-id'])))];
      assert.deepEqual(firstSeen, eventIds, 'first arrivals in event order');
      successor.child.kill('SIGTERM');
      await exited(successor.child);
    },
  );
});
