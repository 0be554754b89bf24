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
import { sample, scrape } from '../support/prometheus-text.js';
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

interface StreamMessage {
  id: string;
  subject: string;
  traceparent: string | undefined;
  body: Record<string, unknown>;
}

/** Every message in the stream, from its first, with its Nats-Msg-Id and traceparent headers. */
async function streamMessages(nc: NatsConnection, stream: string, count: number): Promise<StreamMessage[]> {
  const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const messages: StreamMessage[] = [];
  while (messages.length < count) {
    const message = await consumer.next({ expires: 2_000 });
    if (!message) break;
    messages.push({
      id: message.headers?.get('Nats-Msg-Id') ?? '',
      subject: message.subject,
      traceparent: message.headers?.has('traceparent') ? message.headers.get('traceparent') : undefined,
      body: message.json(),
    });
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
  const measuredStream = `${stream}_MEASURED`;
  const instance = (natsUrl: string, env: Record<string, string> = natsEnv) =>
    createApp(
      loadConfig({
        DATABASE_URL: t.database.url,
        LOG_LEVEL: 'fatal',
        METRICS_PORT: '0',
        RATE_LIMIT_PER_MINUTE: '0',
        CERT_SWEEP_INTERVAL_SECONDS: '0',
        NATS_URL: natsUrl,
        ...env,
      }),
    );

  before(async () => {
    nc = await natsOrSkip();
    t = await startTestApp({ NATS_URL: `nats://127.0.0.1:${await freePort()}`, ...natsEnv });
  });
  after(async () => {
    await t.close();
    if (nc) {
      for (const name of [stream, measuredStream]) await (await jetstreamManager(nc)).streams.delete(name).catch(() => undefined);
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

  it("counts what it publishes, shows the backlog while NATS is away, and carries the writer's traceparent as a header", async (context) => {
    if (!nc) return context.skip(`no NATS at ${NATS_URL}`);
    const manager = await jetstreamManager(nc);
    // A stream of its own: its publisher has published nothing, so the whole outbox is its backlog.
    const env = { NATS_STREAM: measuredStream, NATS_SUBJECT_PREFIX: `${prefix}-measured`, METRICS_PORT: String(await freePort()) };
    const metricsUrl = `http://127.0.0.1:${env.METRICS_PORT}/metrics`;
    const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const { rows: traced } = await t.db.query(
      `INSERT INTO event_outbox (id, type, subject, time, data, traceparent)
       VALUES (gen_random_uuid(), 'mentor.profile.upserted', 'mntr_js_traced', clock_timestamp(), '{}', $1) RETURNING id`,
      [traceparent],
    );
    const { rows: outbox } = await t.db.query('SELECT count(*)::int AS n FROM event_outbox');
    const events: number = outbox[0].n;

    let app = await instance(`nats://127.0.0.1:${await freePort()}`, env);
    try {
      const families = await scrape(metricsUrl);
      assert.equal(sample(families.get('jetstream_backlog_events'), 'jetstream_backlog_events'), events);
      assert.ok(sample(families.get('jetstream_backlog_age_seconds'), 'jetstream_backlog_age_seconds') > 0);
      assert.equal(sample(families.get('jetstream_published_events_total'), 'jetstream_published_events_total', { result: 'stored' }), 0);
    } finally {
      await app.close();
    }

    app = await instance(NATS_URL, env);
    try {
      await waitUntil(
        () =>
          manager.streams.info(measuredStream).then(
            (info) => info.state.messages === events,
            () => false,
          ),
        'every event in the stream',
      );
      await waitUntil(async () => sample((await scrape(metricsUrl)).get('jetstream_backlog_events'), 'jetstream_backlog_events') === 0, 'no backlog');
      const families = await scrape(metricsUrl);
      assert.equal(sample(families.get('jetstream_backlog_age_seconds'), 'jetstream_backlog_age_seconds'), 0);
      const published = families.get('jetstream_published_events_total');
      assert.equal(sample(published, 'jetstream_published_events_total', { result: 'stored' }), events);
      assert.equal(sample(published, 'jetstream_published_events_total', { result: 'duplicate' }), 0);
      const messages = await streamMessages(nc, measuredStream, events);
      assert.equal(messages.find((message) => message.id === traced[0].id)?.traceparent, traceparent);
      assert.ok(
        messages.filter((message) => message.id !== traced[0].id).every((message) => message.traceparent === undefined),
        'none for untraced writers',
      );
    } finally {
      await app.close();
    }
  });
});
