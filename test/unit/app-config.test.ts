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
  ] as const) {
    it(`stops start-up on ${name}=${value} with a message naming ${name}`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (error: unknown) => error instanceof ConfigError && error.message.includes(name));
    });
  }

  it('gives a frozen object: settings cannot drift after boot', () => {
    const config = loadConfig({});
    assert.throws(() => Object.assign(config, { port: 1 }), TypeError);
  });
});
