import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager, jetstream, DeliverPolicy } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { freePort } from '../../tools/free-port.js';
import { FeedFollower } from '../support/event-feed.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { waitUntil } from '../support/poll.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

async function natsOrSkip(): Promise<NatsConnection | undefined> {
  try {
    return await connect({ servers: NATS_URL, maxReconnectAttempts: 0 });
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`CI needs NATS with JetStream at ${NATS_URL}`, { cause: error });
    return undefined;
  }
}

/** Every message in the stream, from its first, with its Nats-Msg-Id. */
async function streamMessages(nc: NatsConnection, stream: string, count: number): Promise<{ id: string; subject: string; body: Record<string, unknown> }[]> {
  const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const messages: { id: string; subject: string; body: Record<string, unknown> }[] = [];
  while (messages.length < count) {
    const message = await consumer.next({ expires: 2_000 });
    if (!message) break;
    messages.push({ id: message.headers?.get('Nats-Msg-Id') ?? '', subject: message.subject, body: message.json() });
  }
  return messages;
}

describe('publication to JetStream', () => {
  let nc: NatsConnection | undefined;
  let t: TestApp;
  const suffix = randomBytes(4).toString('hex');
  const stream = `MENTOR_EVENTS_TEST_${suffix}`;
  const prefix = `mentor-status-test-${suffix}.events`;
  const natsEnv = { NATS_STREAM: stream, NATS_SUBJECT_PREFIX: prefix };
  const instance = (natsUrl: string) =>
    createApp(
      loadConfig({
        DATABASE_URL: t.database.url,
        LOG_LEVEL: 'fatal',
        METRICS_PORT: '0',
        RATE_LIMIT_PER_MINUTE: '0',
        CERT_SWEEP_INTERVAL_SECONDS: '0',
        NATS_URL: natsUrl,
        ...natsEnv,
      }),
    );

  before(async () => {
    nc = await natsOrSkip();
    t = await startTestApp({ NATS_URL: `nats://127.0.0.1:${await freePort()}`, ...natsEnv });
  });
  after(async () => {
    await t.close();
    if (nc) {
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  });

  it('publishes every event exactly once by Nats-Msg-Id, though NATS was unreachable when they were written and the publisher restarts', async (context) => {
    if (!nc) return context.skip(`no NATS at ${NATS_URL}`);
    // Written while the app's NATS_URL points at a closed port: the events wait in the outbox.
    for (const id of ['mntr_js_a', 'mntr_js_b']) {
      await request(t.http).put(`/api/v1/mentors/${id}`).send({ full_name: id, chapter_id: 'chpt_js' }).expect(201);
      await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: id, status: 'active', changed_by: 'user_js' }).expect(201);
    }
    const follower = new FeedFollower(t.http);
    const written = (await follower.next()).map((event) => event.id);
    assert.ok(written.length >= 6);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM event_positions WHERE name = $1', [`jetstream:${stream}`]);
    assert.equal(rows[0].n, 0, 'nothing was published');

    // The app restarted with the real NATS: everything arrives, in outbox order.
    await t.app.close();
    let app: NestFastifyApplication = await instance(NATS_URL);
    const { rows: all } = await t.db.query('SELECT id, type FROM event_outbox ORDER BY xid, seq');
    const manager = await jetstreamManager(nc);
    await waitUntil(async () => (await manager.streams.info(stream).catch(() => undefined))?.state.messages === all.length, 'every event in the stream');
    const published = await streamMessages(nc, stream, all.length);
    assert.deepEqual(
      published.map((message) => message.id),
      all.map((row: { id: string }) => row.id),
    );
    for (const message of published) {
      assert.equal(message.body.id, message.id);
      assert.equal(message.subject, `${prefix}.${String(message.body.type)}`);
      assert.equal(message.body.specversion, '1.0');
    }
    for (const id of written) assert.ok(published.some((message) => message.id === id));

    // The publisher forgets how far it got and publishes everything again: JetStream drops the duplicates by Nats-Msg-Id.
    await app.close();
    await t.db.query('DELETE FROM event_positions WHERE name = $1', [`jetstream:${stream}`]);
    app = await instance(NATS_URL);
    try {
      await waitUntil(async () => {
        const { rows: position } = await t.db.query('SELECT xid, seq FROM event_positions WHERE name = $1', [`jetstream:${stream}`]);
        return position.length === 1;
      }, 'the position caught up again');
      await request(app.getHttpServer()).put('/api/v1/mentors/mntr_js_c').send({ full_name: 'C', chapter_id: 'chpt_js' }).expect(201);
      await waitUntil(async () => (await manager.streams.info(stream)).state.messages === all.length + 1, 'the new event in the stream');
      const again = await streamMessages(nc, stream, all.length + 1);
      assert.equal(new Set(again.map((message) => message.id)).size, again.length, 'each event once');
      assert.equal(again.length, all.length + 1);
    } finally {
      await app.close();
    }
  });
});
