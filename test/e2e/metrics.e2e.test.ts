import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../tools/free-port.js';
import { MetricFamily, parsePrometheusText } from '../support/prometheus-text.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const POOL_SIZE = 3;
const UNKNOWN_RECORD = 'msr_01KK9T4N2H8Q6V3X7C5D1F0G2J';

/** The one sample of a family whose labels include these; fails when there is none or several. */
function sample(family: MetricFamily | undefined, name: string, labels: Record<string, string> = {}): number {
  assert.ok(family, `the ${name} family is scraped`);
  const found = family.samples.filter(
    (candidate) => candidate.name === name && Object.entries(labels).every(([key, value]) => candidate.labels[key] === value),
  );
  assert.equal(found.length, 1, `one ${name} sample with ${JSON.stringify(labels)}: ${JSON.stringify(family.samples.filter((s) => s.name === name))}`);
  return found[0].value;
}

describe('GET /metrics on the metrics listener', () => {
  let t: TestApp;
  let api: string;
  let metricsUrl: string;
  const scrape = async () => {
    const response = await fetch(metricsUrl);
    assert.equal(response.status, 200);
    assert.match(String(response.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  };

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
    const unmatchedBefore = (await scrape())
      .get('http_server_request_duration_seconds')!
      .samples.filter((s) => s.name === 'http_server_request_duration_seconds_count' && Object.entries(unmatched).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${api}/api/v1/mentor-statuses/${UNKNOWN_RECORD}`)).status, 404);
    assert.equal((await fetch(`${api}/api/v1/mentors/mntr_metrics_a`)).status, 404);
    assert.equal((await fetch(`${api}/api/v1/mentors/mntr_metrics_b`)).status, 404);
    assert.equal((await fetch(`${api}/no/such/route/${UNKNOWN_RECORD}`)).status, 404);

    const families = await scrape();
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
    const families = await scrape();
    const connections = families.get('db_pool_connections');
    const total = sample(connections, 'db_pool_connections', { pool: 'primary', state: 'total' });
    const idle = sample(connections, 'db_pool_connections', { pool: 'primary', state: 'idle' });
    assert.ok(total >= 1 && total <= POOL_SIZE, `total ${total}`);
    assert.ok(idle >= 0 && idle <= total, `idle ${idle}`);
    assert.equal(sample(families.get('db_pool_max_connections'), 'db_pool_max_connections', { pool: 'primary' }), POOL_SIZE);
    assert.equal(sample(families.get('db_pool_waiting_requests'), 'db_pool_waiting_requests', { pool: 'primary' }), 0);
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

    let families = await scrape();
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
    families = await scrape();
    assert.equal(sample(families.get('http_server_rate_limited_requests_total'), 'http_server_rate_limited_requests_total', { limiter: 'rate_limit' }), 1);
  });

  it("includes the process's own metrics", async () => {
    const families = await scrape();
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.ok(families.has(name), `${name} is scraped`);
    }
  });
});
