import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { ConfigError, loadConfig, SERVICE_NAME } from '../../src/common/config/app-config.js';

describe('loadConfig', () => {
  it('fills every default when nothing is set, and picks the embedded database with demo data', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.dbPoolSize, 10);
    assert.equal(config.dataDir, '.data');
    assert.equal(config.embeddedPgPort, 54329);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.demoData, true);
    assert.equal(config.bodyLimitBytes, 102400);
    assert.equal(config.certSweepIntervalSeconds, 300);
    assert.equal(config.resumeSweepIntervalSeconds, 60);
    assert.deepEqual(config.apiKeys, []);
    assert.deepEqual(config.corsOrigins, []);
    assert.equal(config.rateLimitPerMinute, 1000);
    assert.equal(config.dbStatementTimeoutMs, 10_000);
    assert.equal(config.dbConnectTimeoutMs, 3_000);
    assert.equal(config.shutdownGraceMs, 10_000);
    assert.equal(config.shutdownDrainMs, 5_000);
    assert.equal(config.requestTimeoutMs, 30_000);
    assert.equal(config.maxConnections, 1024);
    assert.equal(config.keepAliveTimeoutMs, 65_000);
    assert.equal(config.dbQueryTimeoutMs, 11_000);
    assert.equal(config.clientConcurrency, 5);
    assert.equal(config.metricsPort, 9464);
    assert.equal(config.metricsHost, '127.0.0.1');
    assert.equal(config.otelExporterOtlpEndpoint, undefined);
    assert.equal(config.otelServiceName, 'mentor-status-service');
  });

  it('names the service in traces after the package unless OTEL_SERVICE_NAME is set', async () => {
    const packageJson = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { name: string };
    assert.equal(SERVICE_NAME, packageJson.name);
    assert.equal(loadConfig({ OTEL_SERVICE_NAME: 'mss-eu-1' }).otelServiceName, 'mss-eu-1');
  });

  it('takes the metrics listener and the trace collector', () => {
    const config = loadConfig({ METRICS_PORT: '9100', METRICS_HOST: '0.0.0.0', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    assert.deepEqual([config.metricsPort, config.metricsHost, config.otelExporterOtlpEndpoint], [9100, '0.0.0.0', 'http://collector:4318']);
    assert.equal(loadConfig({ METRICS_PORT: '0' }).metricsPort, 0);
  });

  it('never serves the metrics on the API port', () => {
    assert.throws(
      () => loadConfig({ PORT: '8080', METRICS_PORT: '8080' }),
      (error: unknown) => error instanceof ConfigError && /METRICS_PORT must differ from PORT/.test(error.message),
    );
    assert.equal(loadConfig({ PORT: '0', METRICS_PORT: '0' }).metricsPort, 0);
  });

  it('lets one client run half the pool at once unless told otherwise; 0 turns the limit off', () => {
    assert.equal(loadConfig({ DB_POOL_SIZE: '30' }).clientConcurrency, 15);
    assert.equal(loadConfig({ DB_POOL_SIZE: '1' }).clientConcurrency, 1);
    assert.equal(loadConfig({ CLIENT_CONCURRENCY: '0' }).clientConcurrency, 0);
  });

  it('takes the shutdown grace period and the limits on slow clients and connections', () => {
    const config = loadConfig({ SHUTDOWN_GRACE_MS: '2500', REQUEST_TIMEOUT_MS: '1500', MAX_CONNECTIONS: '3', KEEP_ALIVE_TIMEOUT_MS: '75000' });
    assert.deepEqual([config.shutdownGraceMs, config.requestTimeoutMs, config.maxConnections, config.keepAliveTimeoutMs], [2500, 1500, 3, 75_000]);
  });

  it('takes a shutdown drain, 0 meaning none', () => {
    assert.equal(loadConfig({ SHUTDOWN_DRAIN_MS: '2000' }).shutdownDrainMs, 2000);
    assert.equal(loadConfig({ SHUTDOWN_DRAIN_MS: '0' }).shutdownDrainMs, 0);
  });

  it('bounds each query a second beyond the statement timeout unless told otherwise, and not at all when there is no statement timeout', () => {
    assert.equal(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '2500' }).dbQueryTimeoutMs, 3500);
    assert.equal(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '0' }).dbQueryTimeoutMs, 0);
    assert.equal(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '0', DB_QUERY_TIMEOUT_MS: '5000' }).dbQueryTimeoutMs, 5000);
    assert.equal(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '1000', DB_QUERY_TIMEOUT_MS: '1500' }).dbQueryTimeoutMs, 1500);
    assert.equal(loadConfig({ DB_QUERY_TIMEOUT_MS: '0' }).dbQueryTimeoutMs, 0);
  });

  it('refuses a query timeout that would fire before the statement timeout', () => {
    for (const queryTimeout of ['10000', '9999']) {
      assert.throws(
        () => loadConfig({ DB_QUERY_TIMEOUT_MS: queryTimeout }),
        (error: unknown) => error instanceof ConfigError && /DB_QUERY_TIMEOUT_MS must be greater than DB_STATEMENT_TIMEOUT_MS \(10000\)/.test(error.message),
      );
    }
  });

  it('keeps events 30 days by default and prunes hourly; both can be set', () => {
    assert.deepEqual([loadConfig({}).eventsRetentionDays, loadConfig({}).eventsPruneIntervalSeconds], [30, 3600]);
    const config = loadConfig({ EVENTS_RETENTION_DAYS: '7', EVENTS_PRUNE_INTERVAL_SECONDS: '0' });
    assert.deepEqual([config.eventsRetentionDays, config.eventsPruneIntervalSeconds], [7, 0]);
  });

  it('delivers webhooks to https only and to no refused address by default, and publishes to JetStream only with NATS_URL', () => {
    const config = loadConfig({});
    assert.deepEqual(
      [
        config.webhookAllowHttp,
        config.webhookAllowedHosts,
        config.webhookWorkers,
        config.webhookLeaseSeconds,
        config.webhookConnectTimeoutMs,
        config.webhookTimeoutMs,
      ],
      [false, [], 4, 60, 5_000, 10_000],
    );
    assert.deepEqual([config.webhookRetryForSeconds, config.webhookDisableAfterSeconds], [86_400, 259_200]);
    assert.deepEqual(
      [config.natsUrl, config.natsStream, config.natsSubjectPrefix, config.natsDuplicateWindowSeconds],
      [undefined, 'MENTOR_EVENTS', 'mentor-status.events', 7200],
    );
    assert.deepEqual(loadConfig({ WEBHOOK_ALLOWED_HOSTS: 'Hooks.Internal, [::1],10.0.0.5' }).webhookAllowedHosts, ['hooks.internal', '::1', '10.0.0.5']);
  });

  it('takes CERT_SWEEP_INTERVAL_SECONDS, where 0 turns the scheduled sweep off', () => {
    assert.equal(loadConfig({ CERT_SWEEP_INTERVAL_SECONDS: '0' }).certSweepIntervalSeconds, 0);
    assert.equal(loadConfig({ CERT_SWEEP_INTERVAL_SECONDS: '3600' }).certSweepIntervalSeconds, 3600);
  });

  it('takes RESUME_SWEEP_INTERVAL_SECONDS, where 0 turns the resume sweep off', () => {
    assert.equal(loadConfig({ RESUME_SWEEP_INTERVAL_SECONDS: '0' }).resumeSweepIntervalSeconds, 0);
    assert.equal(loadConfig({ RESUME_SWEEP_INTERVAL_SECONDS: '15' }).resumeSweepIntervalSeconds, 15);
  });

  it('takes the write-safety settings: named API keys, CORS origins, rate limit and database timeouts', () => {
    const config = loadConfig({
      API_KEYS: 'frontend:frontend-key-0123456789',
      CORS_ORIGINS: 'https://app.example.org, http://localhost:5173',
      RATE_LIMIT_PER_MINUTE: '0',
      DB_STATEMENT_TIMEOUT_MS: '2500',
      DB_CONNECT_TIMEOUT_MS: '750',
    });
    assert.deepEqual(
      config.apiKeys.map((key) => key.name),
      ['frontend'],
    );
    assert.deepEqual(config.corsOrigins, ['https://app.example.org', 'http://localhost:5173']);
    assert.deepEqual([config.rateLimitPerMinute, config.dbStatementTimeoutMs, config.dbConnectTimeoutMs], [0, 2500, 750]);
  });

  it('refuses bad API_KEYS naming the variable but never the key', () => {
    assert.throws(
      () => loadConfig({ API_KEYS: 'frontend:too-short' }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('API_KEYS') && !error.message.includes('too-short'),
    );
  });

  it('takes API_KEYS with scopes, and keeps an entry without scopes at full access', () => {
    const config = loadConfig({ API_KEYS: 'frontend:frontend-key-0123456789:statuses:write+suppressions:write,ops:ops-key-0123456789abcdef' });
    assert.deepEqual(
      config.apiKeys.map((key) => [key.name, [...key.scopes].sort()]),
      [
        ['frontend', ['statuses:write', 'suppressions:write']],
        ['ops', ['admin', 'mentors:write', 'statuses:write', 'suppressions:write']],
      ],
    );
  });

  it('refuses an unknown scope in API_KEYS at boot, naming the variable and the entry but never the key', () => {
    assert.throws(
      () => loadConfig({ API_KEYS: 'frontend:frontend-key-0123456789:statuses:write+status:write' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /^Invalid configuration: API_KEYS entry 1 \(frontend\) names an unknown scope \("status:write"\); scopes are statuses:write, suppressions:write, mentors:write, admin/.test(
          error.message,
        ) &&
        !error.message.includes('frontend-key-0123456789'),
    );
  });

  it('converts the values it is given', () => {
    const config = loadConfig({ PORT: '8080', DB_POOL_SIZE: '25', LOG_LEVEL: 'warn', DEMO_DATA: 'false', BODY_LIMIT_BYTES: '2048' });
    assert.deepEqual([config.port, config.dbPoolSize, config.logLevel, config.demoData, config.bodyLimitBytes], [8080, 25, 'warn', false, 2048]);
  });

  it('never seeds a database given by DATABASE_URL unless asked', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).demoData, false);
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://u@h/db', DEMO_DATA: 'true' }).demoData, true);
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ PORT: '', DATABASE_URL: '' }).port, 3000);
  });

  for (const [name, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DB_POOL_SIZE', '0'],
    ['LOG_LEVEL', 'loud'],
    ['DEMO_DATA', 'maybe'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['EMBEDDED_PG_PORT', '1.5'],
    ['BODY_LIMIT_BYTES', '-1'],
    ['CERT_SWEEP_INTERVAL_SECONDS', '-5'],
    ['CERT_SWEEP_INTERVAL_SECONDS', '86401'],
    ['CERT_SWEEP_INTERVAL_SECONDS', '1.5'],
    ['RESUME_SWEEP_INTERVAL_SECONDS', '-1'],
    ['RESUME_SWEEP_INTERVAL_SECONDS', '86401'],
    ['API_KEYS', 'no-colon-here-0123456789'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://app.example.org/path'],
    ['RATE_LIMIT_PER_MINUTE', '-1'],
    ['DB_STATEMENT_TIMEOUT_MS', 'soon'],
    ['DB_CONNECT_TIMEOUT_MS', '0'],
    ['SHUTDOWN_GRACE_MS', '0'],
    ['SHUTDOWN_GRACE_MS', 'ten seconds'],
    ['SHUTDOWN_DRAIN_MS', '-1'],
    ['SHUTDOWN_DRAIN_MS', '5 s'],
    ['REQUEST_TIMEOUT_MS', '0'],
    ['REQUEST_TIMEOUT_MS', '600001'],
    ['MAX_CONNECTIONS', '0'],
    ['MAX_CONNECTIONS', '1.5'],
    ['KEEP_ALIVE_TIMEOUT_MS', '-1'],
    ['KEEP_ALIVE_TIMEOUT_MS', '0'],
    ['DB_QUERY_TIMEOUT_MS', '-1'],
    ['DB_QUERY_TIMEOUT_MS', 'soon'],
    ['CLIENT_CONCURRENCY', '-1'],
    ['CLIENT_CONCURRENCY', 'many'],
    ['EVENTS_RETENTION_DAYS', '0'],
    ['EVENTS_RETENTION_DAYS', '3651'],
    ['EVENTS_RETENTION_DAYS', 'month'],
    ['EVENTS_PRUNE_INTERVAL_SECONDS', '-1'],
    ['WEBHOOK_ALLOW_HTTP', 'yes'],
    ['WEBHOOK_ALLOWED_HOSTS', 'hooks internal'],
    ['WEBHOOK_WORKERS', '65'],
    ['WEBHOOK_LEASE_SECONDS', '0'],
    ['WEBHOOK_RETRY_FOR_SECONDS', '0'],
    ['NATS_URL', 'http://127.0.0.1:4222'],
    ['NATS_STREAM', 'has space'],
    ['NATS_SUBJECT_PREFIX', 'a..b'],
    ['NATS_DUPLICATE_WINDOW_SECONDS', '5'],
    ['METRICS_PORT', '-1'],
    ['METRICS_PORT', '65536'],
    ['METRICS_PORT', '3000'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://collector:4317'],
    ['DATABASE_DIRECT_URL', 'http://db.example.org/app'],
    ['DATABASE_POOLER', 'pgpool'],
    ['DATABASE_REPLICA_URLS', 'replica.example.org'],
    ['REPLICA_MAX_LAG_MS', '-1'],
    ['REPLICA_MAX_LAG_MS', 'a second'],
    ['REDIS_URL', 'localhost:6379'],
    ['REDIS_KEY_PREFIX', 'has space'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '101'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'loadbalancer.internal'],
  ] as const) {
    it(`stops start-up on ${name}=${value} with a message naming ${name}`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(name),
      );
    });
  }

  it('reaches the database directly unless DATABASE_DIRECT_URL says otherwise, finding out at start whether a pooler stands in between, with no replicas, Redis or trusted proxies', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app@db.internal/app' });
    assert.equal(config.databaseDirectUrl, 'postgres://app@db.internal/app');
    assert.equal(config.databasePooler, 'auto');
    assert.deepEqual(config.databaseReplicaUrls, []);
    assert.equal(config.replicaMaxLagMs, 1000);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.redisKeyPrefix, 'mss:');
    assert.equal(config.trustProxy, false);
    assert.equal(loadConfig({}).databaseDirectUrl, undefined);
    assert.equal(loadConfig({}).withDatabaseUrl('postgres://embedded/db').databaseDirectUrl, 'postgres://embedded/db');
  });

  it('takes PgBouncer set explicitly only with the DATABASE_URL that leads to it, with or without a direct connection', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app@pgbouncer.internal:6432/app',
      DATABASE_DIRECT_URL: 'postgres://app@db.internal:5432/app',
      DATABASE_POOLER: 'pgbouncer',
    });
    assert.deepEqual(
      [config.databaseUrl, config.databaseDirectUrl, config.databasePooler],
      ['postgres://app@pgbouncer.internal:6432/app', 'postgres://app@db.internal:5432/app', 'pgbouncer'],
    );
    const alone = loadConfig({ DATABASE_URL: 'postgres://app@pgbouncer.internal:6432/app', DATABASE_POOLER: 'pgbouncer' });
    assert.deepEqual([alone.databaseDirectUrl, alone.databasePooler], ['postgres://app@pgbouncer.internal:6432/app', 'pgbouncer']);
    assert.throws(
      () => loadConfig({ DATABASE_POOLER: 'pgbouncer' }),
      (error: unknown) => error instanceof ConfigError && /DATABASE_POOLER set to pgbouncer needs DATABASE_URL/.test(error.message),
    );
    assert.equal(loadConfig({ DATABASE_POOLER: 'none' }).databasePooler, 'none');
    assert.equal(loadConfig({}).withDatabaseUrl('postgres://embedded/db').databasePooler, 'none');
  });

  it('takes replicas and a direct connection only beside a DATABASE_URL', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app@db.internal/app',
      DATABASE_REPLICA_URLS: 'postgres://app@replica-1.internal/app, postgresql://app@replica-2.internal:5433/app',
      REPLICA_MAX_LAG_MS: '250',
    });
    assert.deepEqual(config.databaseReplicaUrls, ['postgres://app@replica-1.internal/app', 'postgresql://app@replica-2.internal:5433/app']);
    assert.equal(config.replicaMaxLagMs, 250);
    for (const name of ['DATABASE_REPLICA_URLS', 'DATABASE_DIRECT_URL']) {
      assert.throws(
        () => loadConfig({ [name]: 'postgres://app@replica.internal/app' }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(`${name} needs DATABASE_URL`),
      );
    }
  });

  it('takes Redis for the rate limit, with a key prefix of its own', () => {
    const config = loadConfig({ REDIS_URL: 'redis://:secret@cache.internal:6380/2', REDIS_KEY_PREFIX: 'mss-staging:' });
    assert.deepEqual([config.redisUrl, config.redisKeyPrefix], ['redis://:secret@cache.internal:6380/2', 'mss-staging:']);
    assert.equal(loadConfig({ REDIS_URL: 'rediss://cache.internal' }).redisUrl, 'rediss://cache.internal');
  });

  it('takes TRUST_PROXY as a hop count or as proxy addresses and CIDR ranges; 0 trusts no one', () => {
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.equal(loadConfig({ TRUST_PROXY: '0' }).trustProxy, false);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1, fd00::/8' }).trustProxy, ['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8']);
  });

  it('gives a frozen object: settings cannot drift after boot', () => {
    const config = loadConfig({});
    assert.throws(() => Object.assign(config, { port: 1 }), TypeError);
  });
});
