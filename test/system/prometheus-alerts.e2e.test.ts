import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { freePort } from '../../tools/free-port.js';
import { PgCluster, startPrivateCluster } from '../../tools/pg-cluster.js';
import { PgReplica, startReplica } from '../../tools/pg-replica.js';
import { type Prometheus, startPrometheus } from '../../tools/prometheus.js';
import {
  alertRules,
  alertRulesWithShorterFor,
  dashboard,
  dashboardExpressions,
  declaredSeriesNames,
  durationMs,
  PROMETHEUS_MADE,
  SCRAPE_JOB,
} from '../support/operator-kit.js';
import { waitUntil } from '../support/poll.js';
import { metricNames } from '../support/promql.js';

/** Small timeouts, so that a frozen database shows quickly; the statement timeout is below the query timeout, as the config requires. */
const STATEMENT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 1500;
const CONNECT_TIMEOUT_MS = 1000;
/**
 * A scrape reads the backlog gauges from the database: against a frozen one it may wait for a
 * connection, then for a query. A scrape timeout above both (what the rules ask of production)
 * keeps the instance scraped, and its gauges telling, during the outage; the rest is for a busy machine.
 */
const SCRAPE_TIMEOUT_MS = CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS + 2500;
const EVALUATION_INTERVAL_MS = 1000;
/** The rules' `for:` durations, minutes read as seconds. */
const FOR_DIVISOR = 60;
const DATABASE = 'mss_alerts';

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

interface RuleGroups {
  groups: { rules: { name: string; type: string; duration: number; health: string; lastError?: string }[] }[];
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('the alert rules in a real Prometheus that scrapes a running instance', () => {
  let cluster: PgCluster;
  let replica: PgReplica;
  let app: NestFastifyApplication;
  let api: string;
  let instance: string;
  let rulesDir: string;
  let prometheus: Prometheus;

  const alerts = async () => (await prometheus.api<{ alerts: Alert[] }>('alerts')).alerts;
  const query = (expr: string) => prometheus.api<{ result: Sample[] }>('query', { query: expr }).then((data) => data.result);
  const firing = async (name: string) => (await alerts()).filter((alert) => alert.labels.alertname === name && alert.state === 'firing');

  before(async () => {
    cluster = await startPrivateCluster();
    const url = await cluster.createDatabase(DATABASE);
    replica = await startReplica(cluster);
    await replica.waitForReplay();
    const metricsPort = await freePort();
    app = await createApp(
      loadConfig({
        DATABASE_URL: url,
        DATABASE_REPLICA_URLS: replica.urlFor(DATABASE),
        // Registers the JetStream metrics; nothing needs to answer there.
        NATS_URL: `nats://127.0.0.1:${await freePort()}`,
        METRICS_PORT: String(metricsPort),
        DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
        DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
        DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        LOG_LEVEL: 'fatal',
        DEMO_DATA: 'false',
        RATE_LIMIT_PER_MINUTE: '0',
        CERT_SWEEP_INTERVAL_SECONDS: '0',
        RESUME_SWEEP_INTERVAL_SECONDS: '0',
      }),
    );
    await app.listen(0, '127.0.0.1');
    api = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    instance = `127.0.0.1:${metricsPort}`;
    rulesDir = await mkdtemp(join(tmpdir(), 'mss-alert-rules-'));
    await writeFile(join(rulesDir, 'alerts.yml'), await alertRulesWithShorterFor(FOR_DIVISOR));
    prometheus = await startPrometheus({
      targets: [instance],
      job: SCRAPE_JOB,
      ruleFiles: [join(rulesDir, 'alerts.yml')],
      scrapeIntervalMs: SCRAPE_TIMEOUT_MS,
      scrapeTimeoutMs: SCRAPE_TIMEOUT_MS,
      evaluationIntervalMs: EVALUATION_INTERVAL_MS,
    });
  });
  after(async () => {
    cluster?.thaw();
    await prometheus?.stop();
    await app?.close();
    await replica?.destroy();
    await cluster?.destroy();
    if (rulesDir) await rm(rulesDir, { recursive: true, force: true });
  });

  it('loads every rule of alerts.yml, with its for: shortened, and evaluates each without an error', async () => {
    const expected = await alertRules();
    const loaded = () => prometheus.api<RuleGroups>('rules').then((data) => data.groups.flatMap((group) => group.rules));
    assert.deepEqual(
      (await loaded()).map((rule) => [rule.name, rule.duration]),
      expected.map((rule) => [rule.alert, Math.max(1, Math.ceil(durationMs(rule.for!) / FOR_DIVISOR / 1000))]),
    );
    await waitUntil(async () => (await loaded()).every((rule) => rule.health !== 'unknown'), 'every rule has been evaluated');
    for (const rule of await loaded()) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
  });

  it('scrapes from the instance every metric the rules and the dashboard read: each declared, and each the rules read with series', async () => {
    // A request, so that the request histogram has series.
    assert.equal((await fetch(`${api}/api/v1/mentor-statuses`)).status, 200);
    const namesOf = (expressions: string[]) => new Set(expressions.flatMap((expr) => [...metricNames(expr)]));
    const byRules = namesOf((await alertRules()).map((rule) => rule.expr));
    const byDashboard = namesOf(dashboardExpressions(await dashboard()).map(({ expr }) => expr));
    let undeclared: string[] = [];
    let withoutSeries: string[] = [];
    await waitUntil(async () => {
      // What the target's scrapes declared (# TYPE), counters that have not counted yet included.
      const metadata = await prometheus.api<{ metric: string; type: string }[]>('targets/metadata', { match_target: `{job="${SCRAPE_JOB}"}` });
      const declared = declaredSeriesNames(metadata.map(({ metric, type }) => ({ name: metric, type })));
      undeclared = [...byRules, ...byDashboard].filter((name) => !declared.has(name) && !PROMETHEUS_MADE.has(name));
      const series = new Set(await prometheus.api<string[]>('label/__name__/values'));
      withoutSeries = [...byRules].filter((name) => !series.has(name));
      return undeclared.length === 0 && withoutSeries.length === 0;
    }, 'Prometheus has scraped every metric the rules and the dashboard read').catch(() => undefined);
    assert.deepEqual(undeclared, [], 'read by the rules or the dashboard, and not declared by the scraped instance');
    assert.deepEqual(withoutSeries, [], 'read by the rules, and no series scraped from the instance');
  });

  it("follows the replica's lag: lagging while its replay is paused and the primary writes, MentorStatusReplicaLagging firing, up again once it replays", async () => {
    const condition = async (name: string) => (await query(`db_replica_condition{condition="${name}"} == 1`)).length === 1;
    await waitUntil(() => condition('up'), 'the replica is up');
    await replica.query('SELECT pg_wal_replay_pause()');
    try {
      const created = await fetch(`${api}/api/v1/mentors/mntr_alerts_lag`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ full_name: 'Lag Lee', chapter_id: 'chpt_alerts' }),
      });
      assert.equal(created.status, 201);
      await waitUntil(() => condition('lagging'), 'Prometheus sees the replica lagging');
      const [lag] = await query('db_replica_lag_seconds');
      assert.ok(Number(lag.value[1]) > 1, `lag ${lag.value[1]} s, beyond REPLICA_MAX_LAG_MS`);
      await waitUntil(async () => (await firing('MentorStatusReplicaLagging')).length === 1, 'MentorStatusReplicaLagging fires');
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()');
    }
    await waitUntil(() => condition('up'), 'Prometheus sees the replica up again');
  });

  it('fires MentorStatusDatabaseUnavailable and MentorStatusDatabaseFailoverInProgress while the database is frozen, keeps the instance scraped, and resolves them after the thaw', async () => {
    const databaseAlerts = async () => (await alerts()).filter((alert) => alert.labels.alertname.startsWith('MentorStatusDatabase'));
    assert.deepEqual(await databaseAlerts(), [], 'no database alert before the freeze');
    const frozenAt = Date.now();
    await cluster.freeze();
    try {
      await waitUntil(
        async () => (await firing('MentorStatusDatabaseUnavailable')).length > 0 && (await firing('MentorStatusDatabaseFailoverInProgress')).length > 0,
        'both database alerts fire',
        60_000,
      );
      const [unavailable] = await firing('MentorStatusDatabaseUnavailable');
      assert.deepEqual(unavailable.labels, { alertname: 'MentorStatusDatabaseUnavailable', severity: 'critical', job: SCRAPE_JOB, instance });
      assert.equal(unavailable.annotations.summary, `${instance} cannot query its database`);
      const frozenForSeconds = Math.ceil((Date.now() - frozenAt) / 1000);
      const [up] = await query(`min_over_time(up{job="${SCRAPE_JOB}"}[${frozenForSeconds}s])`);
      assert.equal(up?.value[1], '1', 'every scrape while frozen succeeded: the instance never looked down');
      assert.deepEqual(await firing('MentorStatusInstanceDown'), []);
      console.log(`frozen database: both alerts firing ${Date.now() - frozenAt} ms after the freeze`);
    } finally {
      cluster.thaw();
    }
    await waitUntil(async () => (await databaseAlerts()).length === 0, 'the database alerts resolve after the thaw', 60_000);
  });
});
