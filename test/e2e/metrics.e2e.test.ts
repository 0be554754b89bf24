import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebhookDeliveryWorker } from '../../src/webhooks/webhook-delivery.worker.js';
import { freePort } from '../../tools/free-port.js';
import { waitUntil } from '../support/poll.js';
import { counted, MetricFamily, sample, scrape } from '../support/prometheus-text.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const POOL_SIZE = 3;
const UNKNOWN_RECORD = 'msr_01KK9T4N2H8Q6V3X7C5D1F0G2J';

describe('GET /metrics on the metrics listener', () => {
  let t: TestApp;
  let api: string;
  let metricsUrl: string;

  before(async () => {
    const metricsPort = await freePort();
    t = await startTestApp({ METRICS_PORT: String(metricsPort), DB_POOL_SIZE: String(POOL_SIZE), RATE_LIMIT_PER_MINUTE: '40' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    api = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  });
  after(() => t.close());

  it('is not served on the API port', async () => {
    const response = await fetch(`${api}/metrics`);
    assert.equal(response.status, 404);
    assert.match(String(response.headers.get('content-type')), /^application\/problem\+json/);
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/'))).status, 404, 'the metrics listener serves /metrics only');
  });

  it('labels request durations by route template, method and status, never by URL', async () => {
    const unmatched = { method: 'GET', route: 'unmatched', status_code: '404' };
    const unmatchedBefore = (await scrape(metricsUrl))
      .get('http_server_request_duration_seconds')!
      .samples.filter((s) => s.name === 'http_server_request_duration_seconds_count' && Object.entries(unmatched).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${api}/api/v1/mentor-statuses/${UNKNOWN_RECORD}`)).status, 404);
    assert.equal((await fetch(`${api}/api/v1/mentors/mntr_metrics_a`)).status, 404);
    assert.equal((await fetch(`${api}/api/v1/mentors/mntr_metrics_b`)).status, 404);
    assert.equal((await fetch(`${api}/no/such/route/${UNKNOWN_RECORD}`)).status, 404);

    const families = await scrape(metricsUrl);
    const duration = families.get('http_server_request_duration_seconds');
    assert.equal(duration?.type, 'histogram');
    const byRecord = { method: 'GET', route: '/api/v1/mentor-statuses/:id', status_code: '404' };
    assert.equal(sample(duration, 'http_server_request_duration_seconds_count', byRecord), 3);
    assert.ok(sample(duration, 'http_server_request_duration_seconds_sum', byRecord) > 0);
    assert.equal(sample(duration, 'http_server_request_duration_seconds_bucket', { ...byRecord, le: '+Inf' }), 3);
    assert.equal(sample(duration, 'http_server_request_duration_seconds_count', { method: 'GET', route: '/api/v1/mentors/:mentor_id', status_code: '404' }), 2);
    assert.equal(sample(duration, 'http_server_request_duration_seconds_count', unmatched), unmatchedBefore + 1);
    const routes = new Set(duration.samples.map((s) => s.labels.route));
    assert.ok(![...routes].some((route) => route.includes(UNKNOWN_RECORD) || route.includes('mntr_metrics')), `no URL as a label: ${[...routes].join(', ')}`);
    assert.equal(families.get('http_server_active_requests')?.type, 'gauge');
  });

  it("shows the pool's connections and the queries' durations", async () => {
    assert.equal((await fetch(`${api}/api/v1/mentor-statuses`)).status, 200);
    const families = await scrape(metricsUrl);
    const connections = families.get('db_pool_connections');
    const total = sample(connections, 'db_pool_connections', { pool: 'primary', state: 'total' });
    const idle = sample(connections, 'db_pool_connections', { pool: 'primary', state: 'idle' });
    assert.ok(total >= 1 && total <= POOL_SIZE, `total ${total}`);
    assert.ok(idle >= 0 && idle <= total, `idle ${idle}`);
    assert.equal(sample(families.get('db_pool_max_connections'), 'db_pool_max_connections', { pool: 'primary' }), POOL_SIZE);
    assert.equal(sample(families.get('db_pool_waiting_requests'), 'db_pool_waiting_requests', { pool: 'primary' }), 0);
    assert.equal(sample(families.get('db_primary_available'), 'db_primary_available', {}), 1, 'the primary answers: its fail-fast breaker is closed');
    const queries = families.get('db_query_duration_seconds');
    assert.equal(queries?.type, 'histogram');
    assert.ok(sample(queries, 'db_query_duration_seconds_count', { pool: 'primary', outcome: 'ok' }) > 0);
  });

  it('counts idempotent replays, certification sweeps and what they changed, and rate-limit refusals', async () => {
    const put = await fetch(`${api}/api/v1/mentors/mntr_metrics`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ full_name: 'Metric Mo', chapter_id: 'chpt_metrics', certification_expires_at: '2020-01-01T00:00:00.000Z' }),
    });
    assert.equal(put.status, 201);
    const post = () =>
      fetch(`${api}/api/v1/mentor-statuses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'metrics-key-1' },
        body: JSON.stringify({ mentor_id: 'mntr_metrics', status: 'active', changed_by: 'user_metrics' }),
      });
    assert.equal((await post()).status, 201);
    const replayed = await post();
    assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
    assert.equal((await fetch(`${api}/api/v1/certification-sweeps`, { method: 'POST' })).status, 200);

    let families = await scrape(metricsUrl);
    const outcomes = families.get('idempotency_key_outcomes_total');
    assert.equal(sample(outcomes, 'idempotency_key_outcomes_total', { outcome: 'reserved' }), 1);
    assert.equal(sample(outcomes, 'idempotency_key_outcomes_total', { outcome: 'replay' }), 1);
    assert.equal(sample(families.get('certification_sweep_runs_total'), 'certification_sweep_runs_total', { outcome: 'completed' }), 1);
    const changes = families.get('certification_sweep_changes_total');
    assert.equal(sample(changes, 'certification_sweep_changes_total', { action: 'paused' }), 1);
    assert.equal(sample(changes, 'certification_sweep_changes_total', { action: 'suppressed' }), 1);
    assert.equal(sample(changes, 'certification_sweep_changes_total', { action: 'restored' }), 0);
    assert.equal(sample(families.get('certification_sweep_duration_seconds'), 'certification_sweep_duration_seconds_count'), 1);
    const completedAt = sample(families.get('certification_sweep_last_completed_timestamp_seconds'), 'certification_sweep_last_completed_timestamp_seconds');
    assert.ok(Math.abs(completedAt - Date.now() / 1000) < 600, `a recent Unix time: ${completedAt}`);

    // RATE_LIMIT_PER_MINUTE=40 over the whole file: keep asking until the limit answers.
    let status = 0;
    for (let i = 0; i < 60 && status !== 429; i++) status = (await fetch(`${api}/api/v1/mentor-statuses`)).status;
    assert.equal(status, 429);
    families = await scrape(metricsUrl);
    assert.equal(sample(families.get('http_server_rate_limited_requests_total'), 'http_server_rate_limited_requests_total', { limiter: 'rate_limit' }), 1);
  });

  it("includes the process's own metrics", async () => {
    const families = await scrape(metricsUrl);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.ok(families.has(name), `${name} is scraped`);
    }
  });
});

describe('webhook metrics on the metrics listener', () => {
  const apiKey = randomBytes(24).toString('base64url');
  const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const clock = new TestClock(new Date().toISOString());
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let api: string;
  let hooks: string;
  let metricsUrl: string;
  const call = (method: string, path: string, body: unknown) => fetch(`${api}${path}`, { method, headers: auth, body: JSON.stringify(body) });
  const deliveries = (families: Map<string, MetricFamily>, outcome: string, statusClass: string) =>
    counted(families, 'webhook_deliveries_total', { outcome, status_class: statusClass });
  const scrapedCount = async (name: string, labels: Record<string, string> = {}) => counted(await scrape(metricsUrl), name, labels);

  before(async () => {
    hooks = await receiver.start();
    const metricsPort = await freePort();
    t = await startTestApp(
      {
        API_KEYS: `admin:${apiKey}`,
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        WEBHOOK_RETRY_BASE_MS: '60000',
        WEBHOOK_RETRY_MAX_MS: '60000',
        WEBHOOK_RETRY_FOR_SECONDS: '86400',
        WEBHOOK_DISABLE_AFTER_SECONDS: '7200',
      },
      { clock },
    );
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    api = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  });
  after(async () => {
    await t.close();
    await receiver.stop();
  });

  it('count deliveries by outcome and status class and time them, show the backlog while a receiver fails, and count a subscription disabled', async () => {
    const worker = t.app.get(WebhookDeliveryWorker);
    let families = await scrape(metricsUrl);
    assert.equal(families.get('webhook_deliveries_total')?.type, 'counter');
    assert.equal(families.get('webhook_delivery_duration_seconds')?.type, 'histogram');
    assert.equal(sample(families.get('webhook_backlog_events'), 'webhook_backlog_events'), 0);
    assert.equal(sample(families.get('webhook_backlog_age_seconds'), 'webhook_backlog_age_seconds'), 0);
    assert.ok(!families.has('jetstream_backlog_events'), 'no JetStream backlog without NATS_URL');

    // /flaky answers 503 once, /gone always 410; both only want status changes, /ok takes everything.
    receiver.behaviour = (path, count) => (path === '/gone' ? { status: 410 } : path === '/flaky' && count === 0 ? { status: 503 } : { status: 204 });
    for (const [path, types] of [
      ['/ok', undefined],
      ['/flaky', ['mentor.status.changed']],
      ['/gone', ['mentor.status.changed']],
    ] as const) {
      assert.equal((await call('POST', '/api/v1/webhook-subscriptions', { url: `${hooks}${path}`, event_types: types })).status, 201);
    }
    assert.equal((await call('PUT', '/api/v1/mentors/mntr_hook_metrics', { full_name: 'Hook Metrics', chapter_id: 'chpt_metrics' })).status, 201);
    const post = { mentor_id: 'mntr_hook_metrics', status: 'active', changed_by: 'user_metrics' };
    assert.equal((await call('POST', '/api/v1/mentor-statuses', post)).status, 201);

    // profile, status and eligibility events to /ok; the status change to /flaky (503: waits a minute on the clock) and to /gone (410: given up).
    await waitUntil(async () => {
      families = await scrape(metricsUrl);
      return deliveries(families, 'delivered', '2xx') === 3 && deliveries(families, 'retrying', '5xx') === 1 && deliveries(families, 'gave_up', '4xx') === 1;
    }, 'three deliveries, a retry and a give-up are counted');
    // Counted as they are answered; booked (the backlog moves) when the round ends.
    await worker.whenIdle();
    families = await scrape(metricsUrl);
    const duration = families.get('webhook_delivery_duration_seconds');
    assert.equal(sample(duration, 'webhook_delivery_duration_seconds_count', { status_class: '2xx' }), 3);
    assert.equal(sample(duration, 'webhook_delivery_duration_seconds_count', { status_class: '5xx' }), 1);
    assert.ok(sample(duration, 'webhook_delivery_duration_seconds_sum', { status_class: '2xx' }) > 0);
    assert.equal(sample(families.get('webhook_backlog_events'), 'webhook_backlog_events'), 1, 'the status change /flaky waits to retry');
    assert.ok(sample(families.get('webhook_backlog_age_seconds'), 'webhook_backlog_age_seconds') > 0);
    const subscriptions = families.get('webhook_subscriptions');
    assert.deepEqual(
      ['healthy', 'failing', 'disabled'].map((state) => sample(subscriptions, 'webhook_subscriptions', { state })),
      [1, 2, 0],
      '/ok healthy; /flaky and /gone failing',
    );

    clock.advance(60_000);
    worker.wake();
    await waitUntil(
      async () => (await scrapedCount('webhook_deliveries_total', { outcome: 'delivered', status_class: '2xx' })) === 4,
      'the retry is delivered',
    );
    await worker.whenIdle();
    families = await scrape(metricsUrl);
    assert.equal(sample(families.get('webhook_backlog_events'), 'webhook_backlog_events'), 0);
    assert.equal(sample(families.get('webhook_backlog_age_seconds'), 'webhook_backlog_age_seconds'), 0);
    assert.equal(sample(families.get('webhook_subscriptions'), 'webhook_subscriptions', { state: 'failing' }), 1, 'only /gone');

    // Two hours on, /gone fails once more: it has failed for WEBHOOK_DISABLE_AFTER_SECONDS and is disabled.
    clock.advance(7_200_000);
    assert.equal((await call('POST', '/api/v1/mentor-statuses', { ...post, status: 'paused', reason: 'Leave' })).status, 201);
    await waitUntil(async () => (await scrapedCount('webhook_subscriptions_disabled_total')) === 1, 'the disabling is counted');
    families = await scrape(metricsUrl);
    assert.equal(deliveries(families, 'gave_up', '4xx'), 2);
    assert.equal(sample(families.get('webhook_subscriptions'), 'webhook_subscriptions', { state: 'disabled' }), 1);
  });
});
