import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { WebhookDeliveryWorker } from '../../src/webhooks/webhook-delivery.worker.js';
import { WebhooksRepository } from '../../src/webhooks/webhooks.repository.js';
import { FeedEvent, FeedFollower } from '../support/event-feed.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';
import { verifyDelivery, WebhookReceiver } from '../support/webhook-receiver.js';
import { waitUntil } from '../support/poll.js';

const apiKey = randomBytes(24).toString('base64url');
const auth = { authorization: `Bearer ${apiKey}` };
const LOOPBACK = { API_KEYS: `admin:${apiKey}`, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };

async function subscribe(http: Server, url: string, extra: Record<string, unknown> = {}): Promise<{ subscription_id: string; secret: string }> {
  const answer = await request(http)
    .post('/api/v1/webhook-subscriptions')
    .set(auth)
    .send({ url, ...extra });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body;
}

async function writeStatuses(http: Server, mentorId: string, count: number): Promise<void> {
  await request(http).put(`/api/v1/mentors/${mentorId}`).set(auth).send({ full_name: mentorId, chapter_id: 'chpt_hooks' }).expect(201);
  for (let i = 0; i < count; i++) {
    await request(http)
      .post('/api/v1/mentor-statuses')
      .set(auth)
      .send({ mentor_id: mentorId, status: i % 2 === 0 ? 'paused' : 'active', reason: 'Hook', changed_by: 'user_hooks' })
      .expect(201);
  }
}

describe('managing webhook subscriptions', () => {
  it('is refused with 403 where no API key is configured, even for reads', async () => {
    const t = await startTestApp();
    try {
      for (const answer of [
        await request(t.http).get('/api/v1/webhook-subscriptions'),
        await request(t.http).post('/api/v1/webhook-subscriptions').send({ url: 'https://hooks.example.org/x' }),
      ]) {
        assertProblem(answer, 403);
        assert.match(answer.body.detail, /API_KEYS/);
      }
    } finally {
      await t.close();
    }
  });

  describe('with API keys', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ API_KEYS: `admin:${apiKey}`, WEBHOOK_WORKERS: '0', WEBHOOK_ALLOWED_HOSTS: 'hooks.example.invalid' });
    });
    after(() => t.close());

    it('needs the key for reads too (401), and refuses a wrong one', async () => {
      assertProblem(await request(t.http).get('/api/v1/webhook-subscriptions'), 401);
      assertProblem(await request(t.http).get('/api/v1/webhook-subscriptions').set('authorization', 'Bearer wrong-key-0123456789abc'), 401);
    });

    it('refuses loopback, private, link-local and metadata addresses, plain http and credentials, with 400 naming url', async () => {
      for (const url of [
        'http://hooks.example.org/events',
        'https://127.0.0.1/hook',
        'https://127.1/hook',
        'https://0x7f000001/hook',
        'https://localhost:8443/hook',
        'https://[::1]/hook',
        'https://10.1.2.3/hook',
        'https://172.20.0.1/hook',
        'https://192.168.1.10/hook',
        'https://100.64.0.1/hook',
        'https://169.254.169.254/latest/meta-data',
        'https://[fd00:ec2::254]/latest',
        'https://[fe80::1]/hook',
        'https://[::ffff:127.0.0.1]/hook',
        'https://0.0.0.0/hook',
        'https://user:secret@hooks.example.org/hook',
        'ftp://hooks.example.org/hook',
        'not a url',
      ]) {
        assertProblem(await request(t.http).post('/api/v1/webhook-subscriptions').set(auth).send({ url }), 400, ['url']);
      }
      assertProblem(
        await request(t.http)
          .post('/api/v1/webhook-subscriptions')
          .set(auth)
          .send({ url: 'https://hooks.example.invalid/hook', event_types: ['mentor.nothing'] }),
        400,
        ['event_types'],
      );
      const { body } = await request(t.http).get('/api/v1/webhook-subscriptions').set(auth);
      assert.equal(body.pagination.total, 0);
    });

    it('creates (the secret shown once), reads, lists, replaces, rotates and deletes a subscription', async () => {
      const created = await request(t.http)
        .post('/api/v1/webhook-subscriptions')
        .set(auth)
        .send({ url: 'https://hooks.example.invalid/hook', event_types: ['mentor.eligibility.changed'], description: 'Matching' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.body.secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
      assert.equal(created.body.enabled, true);
      assert.deepEqual(created.body.event_types, ['mentor.eligibility.changed']);
      const id = created.body.subscription_id;

      const got = await request(t.http).get(`/api/v1/webhook-subscriptions/${id}`).set(auth);
      assert.equal(got.status, 200);
      assert.equal(got.body.secret, undefined);
      assert.ok(!JSON.stringify(got.body).includes(created.body.secret));
      const list = await request(t.http).get('/api/v1/webhook-subscriptions').set(auth).query({ limit: 1 });
      assert.deepEqual(
        list.body.data.map((subscription: { subscription_id: string }) => subscription.subscription_id),
        [id],
      );

      const replaced = await request(t.http)
        .put(`/api/v1/webhook-subscriptions/${id}`)
        .set(auth)
        .set('if-match', got.headers.etag)
        .send({ url: 'https://hooks.example.invalid/other', enabled: false });
      assert.equal(replaced.status, 200);
      assert.deepEqual(
        [replaced.body.url, replaced.body.enabled, replaced.body.event_types, replaced.body.description],
        ['https://hooks.example.invalid/other', false, null, null],
      );
      assertProblem(
        await request(t.http)
          .put(`/api/v1/webhook-subscriptions/${id}`)
          .set(auth)
          .set('if-match', got.headers.etag)
          .send({ url: 'https://hooks.example.invalid/other' }),
        412,
      );
      assertProblem(await request(t.http).put(`/api/v1/webhook-subscriptions/${id}`).set(auth).send({ url: 'https://10.0.0.1/hook' }), 400, ['url']);

      const rotated = await request(t.http).post(`/api/v1/webhook-subscriptions/${id}/secret`).set(auth);
      assert.equal(rotated.status, 200);
      assert.match(rotated.body.secret, /^whsec_/);
      assert.notEqual(rotated.body.secret, created.body.secret);

      assert.equal((await request(t.http).delete(`/api/v1/webhook-subscriptions/${id}`).set(auth)).status, 200);
      assertProblem(await request(t.http).get(`/api/v1/webhook-subscriptions/${id}`).set(auth), 404);
      assertProblem(await request(t.http).get('/api/v1/webhook-subscriptions/not-a-uuid').set(auth), 400, ['id']);
    });
  });
});

/** A loopback receiver and an app with these settings, started before the suite's tests and stopped after them. */
function appWithReceiver(env: Record<string, string>): { t: TestApp; receiver: WebhookReceiver; base: string } {
  const suite = {} as { t: TestApp; receiver: WebhookReceiver; base: string };
  before(async () => {
    suite.receiver = new WebhookReceiver();
    suite.base = await suite.receiver.start();
    suite.t = await startTestApp(env);
  });
  after(async () => {
    await suite.t.close();
    await suite.receiver.stop();
  });
  return suite;
}

describe('webhook delivery', () => {
  const suite = appWithReceiver({ ...LOOPBACK, WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_RETRY_MAX_MS: '200' });

  it('POSTs every event, in feed order, signed: the receiver verifies each with the secret, and webhook-id is the event id', async () => {
    const { secret } = await subscribe(suite.t.http, `${suite.base}/signed`);
    const follower = new FeedFollower(suite.t.http, auth);
    await follower.skipToEnd();
    await writeStatuses(suite.t.http, 'mntr_hook_signed', 6);
    const feed = (await follower.next()).filter((event) => event.subject === 'mntr_hook_signed');
    await waitUntil(() => suite.receiver.accepted('/signed').length >= feed.length + 1, 'every event delivered');
    const delivered = suite.receiver.accepted('/signed').map((delivery) => {
      assert.equal(delivery.headers['content-type'], 'application/cloudevents+json; charset=utf-8');
      const event = verifyDelivery(delivery, secret);
      assert.equal(delivery.headers['webhook-id'], event.id);
      return event as unknown as FeedEvent;
    });
    assert.deepEqual(
      delivered.filter((event) => event.subject === 'mntr_hook_signed'),
      feed,
    );
    assert.throws(() => verifyDelivery(suite.receiver.accepted('/signed')[0], `whsec_${randomBytes(32).toString('base64')}`), /signature/i);
  });

  it('retries a receiver that fails (503, 500, 429 with Retry-After, 502, 408) and then recovers: it gets everything, in order', async () => {
    const failures = [503, 500, 429, 502, 408];
    suite.receiver.behaviour = (path, count) =>
      path === '/flaky' && count < failures.length
        ? { status: failures[count], headers: failures[count] === 429 ? { 'retry-after': '0' } : undefined }
        : { status: 200, body: 'ok' };
    const { subscription_id: id } = await subscribe(suite.t.http, `${suite.base}/flaky`, { event_types: ['mentor.status.changed'] });
    const follower = new FeedFollower(suite.t.http, auth);
    await follower.skipToEnd();
    await writeStatuses(suite.t.http, 'mntr_hook_flaky', 8);
    const feed = (await follower.next()).filter((event) => event.type === 'mentor.status.changed');
    assert.equal(feed.length, 8);
    await waitUntil(() => suite.receiver.accepted('/flaky').length >= 8, 'all eight delivered');
    assert.deepEqual(
      suite.receiver.accepted('/flaky').map((delivery) => (JSON.parse(delivery.body) as FeedEvent).id),
      feed.map((event) => event.id),
    );
    assert.equal(suite.receiver.received.filter((delivery) => delivery.path === '/flaky').length, 8 + failures.length);
    // The receiver has them; the worker books the outcome of its round just after.
    let deliveries: { data: { event_id: string; status: string; attempts: number; response_status: number; response_body: string }[] } = { data: [] };
    await waitUntil(async () => {
      deliveries = (await request(suite.t.http).get(`/api/v1/webhook-subscriptions/${id}/deliveries`).set(auth).query({ limit: 100 })).body;
      return deliveries.data.length === 8 && deliveries.data.every((delivery) => delivery.status === 'succeeded');
    }, 'every delivery booked as succeeded');
    const first = deliveries.data[deliveries.data.length - 1];
    assert.deepEqual([first.event_id, first.status, first.attempts, first.response_status], [feed[0].id, 'succeeded', failures.length + 1, 200]);
    assert.equal(first.response_body, 'ok');
    suite.receiver.behaviour = () => ({ status: 204 });
  });

  it('gives up at once on a 4xx other than 408 and 429, keeps at most 1 KB of the answer, and moves on to the next event', async () => {
    suite.receiver.behaviour = (path, count) => (path === '/gone' && count === 0 ? { status: 410, body: 'x'.repeat(5000) } : { status: 204 });
    const { subscription_id: id } = await subscribe(suite.t.http, `${suite.base}/gone`, { event_types: ['mentor.status.changed'] });
    await writeStatuses(suite.t.http, 'mntr_hook_gone', 2);
    await waitUntil(() => suite.receiver.accepted('/gone').length >= 1, 'the second event delivered');
    // The receiver has the event before the worker books the round.
    let deliveries: { delivery_id: string; status: string; attempts: number; response_status: number; error: string; response_body: string }[] = [];
    await waitUntil(async () => {
      deliveries = (await request(suite.t.http).get(`/api/v1/webhook-subscriptions/${id}/deliveries`).set(auth)).body.data;
      return deliveries.length === 2;
    }, 'both attempts booked');
    const [second, first] = deliveries;
    assert.deepEqual([first.status, first.attempts, first.response_status, first.error], ['failed', 1, 410, 'HTTP 410']);
    assert.equal(first.response_body.length, 1024);
    assert.equal(second.status, 'succeeded');

    const retried = await request(suite.t.http).post(`/api/v1/webhook-subscriptions/${id}/deliveries/${first.delivery_id}/retry`).set(auth);
    assert.equal(retried.status, 202);
    assert.equal(retried.body.status, 'pending');
    await waitUntil(async () => {
      const { body } = await request(suite.t.http).get(`/api/v1/webhook-subscriptions/${id}/deliveries`).set(auth);
      return body.data.every((delivery: { status: string }) => delivery.status === 'succeeded');
    }, 'the retried delivery succeeds');
    assert.equal(suite.receiver.accepted('/gone').length, 2);
    assertProblem(await request(suite.t.http).post(`/api/v1/webhook-subscriptions/${id}/deliveries/${crypto.randomUUID()}/retry`).set(auth), 404);
  });
});

describe('webhook delivery without an enabled subscription', () => {
  const suite = appWithReceiver(LOOPBACK);

  it('answers the wake of every commit with one look for a subscription, and claims nothing until one is enabled', async () => {
    const repository = suite.t.app.get(WebhooksRepository);
    const worker = suite.t.app.get(WebhookDeliveryWorker);
    const calls = { looks: 0, claims: 0 };
    const anyEnabled = repository.anyEnabled.bind(repository);
    const claim = repository.claim.bind(repository);
    repository.anyEnabled = () => (calls.looks++, anyEnabled());
    repository.claim = (...args) => (calls.claims++, claim(...args));

    await writeStatuses(suite.t.http, 'mntr_hook_quiet', 3);
    await waitUntil(() => calls.looks > 0, 'the commits woke the worker');
    await worker.whenIdle();
    assert.equal(calls.claims, 0, 'no claim without a subscription');

    const { subscription_id } = await subscribe(suite.t.http, `${suite.base}/quiet`);
    await request(suite.t.http)
      .put(`/api/v1/webhook-subscriptions/${subscription_id}`)
      .set(auth)
      .send({ url: `${suite.base}/quiet`, enabled: false })
      .expect(200);
    const looked = calls.looks;
    await writeStatuses(suite.t.http, 'mntr_hook_quiet_disabled', 2);
    await waitUntil(() => calls.looks > looked, 'the commits woke the worker again');
    await worker.whenIdle();
    assert.equal(calls.claims, 0, 'no claim with only a disabled subscription');

    await request(suite.t.http)
      .put(`/api/v1/webhook-subscriptions/${subscription_id}`)
      .set(auth)
      .send({ url: `${suite.base}/quiet`, enabled: true })
      .expect(200);
    await writeStatuses(suite.t.http, 'mntr_hook_heard', 1);
    await waitUntil(
      () => suite.receiver.accepted('/quiet').some((delivery) => String(delivery.body).includes('mntr_hook_heard')),
      'the enabled subscription gets the event',
    );
    assert.ok(calls.claims > 0);
  });
});

describe('webhook delivery from two instances', () => {
  let t: TestApp;
  let second: NestFastifyApplication;
  let receiver: WebhookReceiver;
  let base: string;
  before(async () => {
    receiver = new WebhookReceiver();
    base = await receiver.start();
    t = await startTestApp(LOOPBACK);
    second = await createApp(
      loadConfig({
        ...LOOPBACK,
        DATABASE_URL: t.database.url,
        LOG_LEVEL: 'fatal',
        METRICS_PORT: '0',
        RATE_LIMIT_PER_MINUTE: '0',
        CERT_SWEEP_INTERVAL_SECONDS: '0',
      }),
    );
  });
  after(async () => {
    await second.close();
    await t.close();
    await receiver.stop();
  });

  it('never has two deliveries to one subscription in flight, and delivers each event once, in order', async () => {
    receiver.behaviour = () => ({ status: 200, delayMs: 3 });
    const paths = ['/one', '/two', '/three'];
    for (const path of paths) await subscribe(t.http, `${base}${path}`);
    const follower = new FeedFollower(t.http, auth);
    await follower.skipToEnd();
    await Promise.all([writeStatuses(t.http, 'mntr_pair_a', 15), writeStatuses(second.getHttpServer(), 'mntr_pair_b', 15)]);
    const feed = await follower.next();
    const ids = feed.map((event) => event.id);
    for (const path of paths) {
      await waitUntil(() => {
        const got = new Set(receiver.accepted(path).map((delivery) => delivery.headers['webhook-id']));
        return ids.every((id) => got.has(id));
      }, `${path} has every event`);
    }
    for (const path of paths) {
      assert.equal(receiver.maxInFlight.get(path), 1, `${path}: one delivery at a time`);
      const order = receiver.accepted(path).map((delivery) => String(delivery.headers['webhook-id']));
      assert.deepEqual(
        order.filter((id) => ids.includes(id)),
        ids,
        `${path}: in feed order, each once`,
      );
    }
  });
});

describe('webhook delivery refused after DNS resolution', () => {
  let t: TestApp;
  let deliverer: NestFastifyApplication;
  let receiver: WebhookReceiver;
  let port: string;
  before(async () => {
    receiver = new WebhookReceiver();
    port = new URL(await receiver.start()).port;
    // This instance may create subscriptions for localhost and 127.0.0.1 but delivers nothing; the other refuses both.
    t = await startTestApp({ ...LOOPBACK, WEBHOOK_ALLOWED_HOSTS: 'localhost,127.0.0.1', WEBHOOK_WORKERS: '0' });
    deliverer = await createApp(
      loadConfig({
        API_KEYS: `admin:${apiKey}`,
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_RETRY_BASE_MS: '600000',
        DATABASE_URL: t.database.url,
        LOG_LEVEL: 'fatal',
        METRICS_PORT: '0',
        RATE_LIMIT_PER_MINUTE: '0',
        CERT_SWEEP_INTERVAL_SECONDS: '0',
      }),
    );
  });
  after(async () => {
    await deliverer.close();
    await t.close();
    await receiver.stop();
  });

  it('does not connect to a name that resolves to loopback, nor to a loopback literal, where the host is not allowed', async () => {
    const byName = await subscribe(t.http, `http://localhost:${port}/by-name`);
    const byLiteral = await subscribe(t.http, `http://127.0.0.1:${port}/by-literal`);
    await writeStatuses(t.http, 'mntr_hook_refused', 1);
    for (const [subscription, refusal] of [
      [byName, /resolves to (127\.0\.0\.1|::1)/],
      [byLiteral, /refused address 127\.0\.0\.1/],
    ] as const) {
      let error = '';
      await waitUntil(async () => {
        const { body } = await request(t.http).get(`/api/v1/webhook-subscriptions/${subscription.subscription_id}/deliveries`).set(auth);
        error = body.data[0]?.error ?? '';
        return body.data.length > 0;
      }, 'the attempt recorded');
      assert.match(error, refusal);
    }
    assert.deepEqual(receiver.received, []);
  });
});

describe('webhook retries on the clock', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let base: string;
  const clock = new TestClock(new Date().toISOString());
  before(async () => {
    receiver = new WebhookReceiver();
    base = await receiver.start();
    t = await startTestApp(
      {
        ...LOOPBACK,
        WEBHOOK_RETRY_BASE_MS: '1000',
        WEBHOOK_RETRY_MAX_MS: '60000',
        WEBHOOK_RETRY_FOR_SECONDS: '3600',
        WEBHOOK_DISABLE_AFTER_SECONDS: '36000',
      },
      { clock },
    );
  });
  after(async () => {
    await t.close();
    await receiver.stop();
  });

  const deliveriesOf = async (id: string) =>
    (await request(t.http).get(`/api/v1/webhook-subscriptions/${id}/deliveries`).set(auth).query({ limit: 100 })).body.data;
  const subscriptionOf = async (id: string) => (await request(t.http).get(`/api/v1/webhook-subscriptions/${id}`).set(auth)).body;

  it("waits out a 429's Retry-After, then backs off exponentially, gives an event up after the retry window, and disables a subscription failing that long", async () => {
    receiver.behaviour = (_path, count) => (count === 0 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 500 });
    const { subscription_id: id } = await subscribe(t.http, `${base}/down`, { event_types: ['mentor.status.changed'] });
    const follower = new FeedFollower(t.http, auth);
    await follower.skipToEnd();
    await writeStatuses(t.http, 'mntr_hook_down', 8);
    const worker = t.app.get(WebhookDeliveryWorker);

    await waitUntil(async () => (await deliveriesOf(id)).length === 1, 'the first attempt');
    const [limited] = await deliveriesOf(id);
    assert.equal(limited.response_status, 429);
    assert.equal(Date.parse(limited.next_attempt_at) - clock.now().getTime(), 120_000, 'Retry-After: 120 (longer than the backoff) is honoured');

    clock.advance(119_000);
    worker.wake();
    await worker.whenIdle();
    assert.equal((await deliveriesOf(id))[0].attempts, 1, 'not before Retry-After');
    clock.advance(1_000);
    worker.wake();
    await waitUntil(async () => (await deliveriesOf(id))[0].attempts === 2, 'the second attempt');
    const [backedOff] = await deliveriesOf(id);
    const delay = Date.parse(backedOff.next_attempt_at) - clock.now().getTime();
    assert.ok(delay >= 1_000 && delay <= 2_000, `the second retry waits 1-2 s (base 1 s, doubled, half jittered): ${delay}`);

    // Two hours a step, each outlasting the one-hour retry window: the event in hand is given up and the next one tried, until ten hours of failing disable the subscription.
    const attempts = async () => (await deliveriesOf(id)).reduce((sum: number, delivery: { attempts: number }) => sum + delivery.attempts, 0);
    for (let step = 0; (await subscriptionOf(id)).enabled; step++) {
      assert.ok(step < 20, 'disabled within 20 steps');
      const before = await attempts();
      clock.advance(2 * 3_600_000);
      worker.wake();
      await waitUntil(async () => (await attempts()) > before, 'another attempt');
      await worker.whenIdle();
    }
    const disabled = await subscriptionOf(id);
    assert.ok(disabled.disabled_at);
    assert.ok(Date.parse(disabled.disabled_at) - Date.parse(disabled.failing_since) >= 36_000_000);
    const failed = (await deliveriesOf(id)).filter((delivery: { status: string }) => delivery.status === 'failed').length;
    assert.ok(failed >= 4 && failed < 8, `${failed} events given up`);
    const events = (await follower.next()).filter((event) => event.type === 'webhook.subscription.disabled');
    assert.equal(events.length, 1);
    assert.equal(events[0].subject, id);
    assert.equal(events[0].data.subscription_id, id);
    assert.equal(events[0].data.last_error, 'HTTP 500');

    // Enabled again, it resumes where it stopped: every event not given up arrives.
    receiver.behaviour = () => ({ status: 204 });
    const resumed = await request(t.http)
      .put(`/api/v1/webhook-subscriptions/${id}`)
      .set(auth)
      .send({ url: `${base}/down`, event_types: ['mentor.status.changed'] });
    assert.equal(resumed.body.enabled, true);
    assert.equal(resumed.body.failing_since, null);
    await waitUntil(async () => {
      const settled = await deliveriesOf(id);
      return settled.length === 8 && settled.every((delivery: { status: string }) => delivery.status !== 'pending');
    }, 'the rest delivered');
    const succeeded = (await deliveriesOf(id)).filter((delivery: { status: string }) => delivery.status === 'succeeded').length;
    assert.equal(succeeded, 8 - failed);
  });
});
