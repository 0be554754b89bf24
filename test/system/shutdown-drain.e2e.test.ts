import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../tools/free-port.js';
import { ServiceProcess, startService, waitForHealth, waitUntil } from '../support/service-process.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

const API_KEY = 'drain-key-8f2c6a0d4e17b953';
/** Longer than any test here waits: the drain ends by a second signal or not at all. */
const LONG_DRAIN_MS = 120_000;

describe('the drain SIGTERM starts (SHUTDOWN_DRAIN_MS)', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database.drop());

  async function started(): Promise<{ service: ServiceProcess; base: string }> {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const service = startService({
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      API_KEYS: `drain:${API_KEY}`,
      CERT_SWEEP_INTERVAL_SECONDS: '0',
      SHUTDOWN_DRAIN_MS: String(LONG_DRAIN_MS),
    });
    await waitForHealth(base, service);
    return { service, base };
  }

  it('turns readiness 503 and serves on, each answer closing its connection, until a second signal ends it', async () => {
    const { service, base } = await started();
    try {
      const put = await fetch(`${base}/api/v1/mentors/mntr_drain`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ full_name: 'Drain', chapter_id: 'chpt_drain' }),
      });
      assert.equal(put.status, 201);
      assert.notEqual(put.headers.get('connection'), 'close');

      service.process.kill('SIGTERM');
      await waitUntil('readiness is 503', () => fetch(`${base}/health/ready`).then((response) => response.status === 503));
      const ready = (await (await fetch(`${base}/health/ready`)).json()) as { checks: { error: Record<string, unknown> } };
      assert.ok('shutdown' in ready.checks.error, JSON.stringify(ready));

      const read = await fetch(`${base}/api/v1/mentors/mntr_drain`, { headers: { authorization: `Bearer ${API_KEY}` } });
      assert.equal(read.status, 200, 'a request during the drain is served');
      assert.equal(read.headers.get('connection'), 'close', 'its connection closes with the answer, so the client reconnects elsewhere');
      const live = await fetch(`${base}/health/live`);
      assert.equal(live.status, 200);
      assert.equal(service.process.exitCode, null, 'the drain is still on');

      service.process.kill('SIGTERM');
      await waitUntil('it exits', () => service.process.exitCode !== null);
      assert.equal(await service.exited, 0, 'a second signal ends the drain, and the shutdown goes on as without one');
      assert.match(service.output(), /ending the drain now/);
    } finally {
      service.process.kill('SIGKILL');
    }
  });

  it('does not drain on SIGINT', async () => {
    const { service, base } = await started();
    try {
      service.process.kill('SIGINT');
      await waitUntil('it exits', () => service.process.exitCode !== null);
      assert.equal(await service.exited, 0);
      assert.doesNotMatch(service.output(), /SHUTDOWN_DRAIN_MS/);
      await assert.rejects(fetch(`${base}/health/live`), 'the server is gone');
    } finally {
      service.process.kill('SIGKILL');
    }
  });
});
