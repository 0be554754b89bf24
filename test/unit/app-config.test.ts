import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/common/config/app-config.js';

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
    assert.deepEqual(config.apiKeys, []);
    assert.deepEqual(config.corsOrigins, []);
    assert.equal(config.rateLimitPerMinute, 1000);
    assert.equal(config.dbStatementTimeoutMs, 10_000);
    assert.equal(config.dbConnectTimeoutMs, 3_000);
  });

  it('takes CERT_SWEEP_INTERVAL_SECONDS, where 0 turns the scheduled sweep off', () => {
    assert.equal(loadConfig({ CERT_SWEEP_INTERVAL_SECONDS: '0' }).certSweepIntervalSeconds, 0);
    assert.equal(loadConfig({ CERT_SWEEP_INTERVAL_SECONDS: '3600' }).certSweepIntervalSeconds, 3600);
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
    ['API_KEYS', 'no-colon-here-0123456789'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://app.example.org/path'],
    ['RATE_LIMIT_PER_MINUTE', '-1'],
    ['DB_STATEMENT_TIMEOUT_MS', 'soon'],
    ['DB_CONNECT_TIMEOUT_MS', '0'],
  ] as const) {
    it(`stops start-up on ${name}=${value} with a message naming ${name}`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(name),
      );
    });
  }

  it('gives a frozen object: settings cannot drift after boot', () => {
    const config = loadConfig({});
    assert.throws(() => Object.assign(config, { port: 1 }), TypeError);
  });
});
