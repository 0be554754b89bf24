import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/common/config/app-config.js';
import { capConnections, serverLimits } from '../../src/common/http/server-limits.js';

describe('serverLimits', () => {
  it('gives the whole request, headers included, REQUEST_TIMEOUT_MS, and idle connections KEEP_ALIVE_TIMEOUT_MS', () => {
    const limits = serverLimits(loadConfig({ REQUEST_TIMEOUT_MS: '1500', KEEP_ALIVE_TIMEOUT_MS: '65000' }));
    assert.deepEqual(limits, {
      requestTimeout: 1500,
      keepAliveTimeout: 65_000,
      http: { requestTimeout: 1500, headersTimeout: 1500, keepAliveTimeout: 65_000, connectionsCheckingInterval: 1000 },
    });
  });

  it('checks deadlines at least as often as the request timeout', () => {
    assert.equal(serverLimits(loadConfig({ REQUEST_TIMEOUT_MS: '100' })).http.connectionsCheckingInterval, 100);
  });

  // Node refuses a headers timeout above the request timeout; no valid configuration may produce one.
  for (const [requestTimeout, keepAlive] of [
    ['100', '100'],
    ['100', '3600000'],
    ['600000', '100'],
    ['600000', '3600000'],
    ['30000', '65000'],
  ]) {
    it(`makes options Node's HTTP server accepts (REQUEST_TIMEOUT_MS=${requestTimeout}, KEEP_ALIVE_TIMEOUT_MS=${keepAlive})`, () => {
      const { http } = serverLimits(loadConfig({ REQUEST_TIMEOUT_MS: requestTimeout, KEEP_ALIVE_TIMEOUT_MS: keepAlive }));
      const server = createServer(http);
      assert.equal(server.requestTimeout, Number(requestTimeout));
      assert.equal(server.keepAliveTimeout, Number(keepAlive));
      server.close();
    });
  }
});

describe('capConnections', () => {
  it('sets the cap and reports the first drop at once, later ones in one line per ten seconds', (t) => {
    t.mock.timers.enable({ apis: ['Date'] });
    const server = createServer();
    const warnings: string[] = [];
    capConnections(server, 3, { warn: (message: string) => void warnings.push(message) });
    assert.equal(server.maxConnections, 3);
    server.emit('drop');
    server.emit('drop');
    server.emit('drop');
    assert.deepEqual(warnings, ['MAX_CONNECTIONS=3 reached: closed 1 new connection(s) unserved']);
    t.mock.timers.tick(10_000);
    server.emit('drop');
    assert.deepEqual(warnings.at(-1), 'MAX_CONNECTIONS=3 reached: closed 3 new connection(s) unserved');
    assert.equal(warnings.length, 2);
  });
});
