import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { freePort } from '../../tools/free-port.js';
import { assertProblem } from '../support/problem.js';

/** Long enough for any answer the service gives while its database is gone; a hang fails the test. */
const ANSWER_WITHIN_MS = 5_000;

describe('when the database goes away and comes back', () => {
  let root: string;
  let port: number;
  let server: EmbeddedDatabase;
  let app: NestFastifyApplication;
  const start = () => EmbeddedDatabase.start({ dataDir: join(root, 'cluster'), port, database: 'faults' });
  const http = () => request(app.getHttpServer());

  before(async () => {
    // A cluster of this suite's own: stopping it harms no one else's tests.
    root = await mkdtemp(join(tmpdir(), 'mss-faults-'));
    await chmod(root, 0o755);
    port = await freePort();
    server = await start();
    app = await createApp(
      loadConfig({
        DATABASE_URL: server.url,
        LOG_LEVEL: 'fatal',
        METRICS_PORT: '0',
        DEMO_DATA: 'false',
        RATE_LIMIT_PER_MINUTE: '0',
        CERT_SWEEP_INTERVAL_SECONDS: '0',
      }),
    );
  });
  after(async () => {
    await app?.close();
    await server?.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('serves while the database is up', async () => {
    assert.equal((await http().put('/api/v1/mentors/mntr_fault').send({ full_name: 'Fault', chapter_id: 'chpt_fault' })).status, 201);
    assert.equal((await http().post('/api/v1/mentor-statuses').send({ mentor_id: 'mntr_fault', status: 'active', changed_by: 'user_fault' })).status, 201);
    assert.equal((await http().get('/health')).status, 200);
  });

  it('answers 503 problem+json within seconds while it is down, and /health says 503', async () => {
    await server.stop();
    const answers = await Promise.all([
      http().get('/api/v1/mentor-statuses').timeout(ANSWER_WITHIN_MS),
      http().get('/api/v1/mentors/mntr_fault').timeout(ANSWER_WITHIN_MS),
      http()
        .post('/api/v1/mentor-statuses')
        .timeout(ANSWER_WITHIN_MS)
        .send({ mentor_id: 'mntr_fault', status: 'paused', reason: 'Down', changed_by: 'user_fault' }),
      http()
        .post('/api/v1/mentor-statuses')
        .set('Idempotency-Key', 'key-while-down')
        .timeout(ANSWER_WITHIN_MS)
        .send({ mentor_id: 'mntr_fault', status: 'paused', reason: 'Down', changed_by: 'user_fault' }),
      http().put('/api/v1/mentors/mntr_fault').timeout(ANSWER_WITHIN_MS).send({ full_name: 'Down', chapter_id: 'chpt_fault' }),
    ]);
    for (const answer of answers) {
      assertProblem(answer, 503);
      assert.doesNotMatch(answer.body.detail, /ECONNREFUSED|127\.0\.0\.1|terminat/i, 'nothing internal is revealed');
    }
    assertProblem(await http().get('/health').timeout(ANSWER_WITHIN_MS), 503);
  });

  it('recovers by itself once the database is back, without a restart', async () => {
    server = await start();
    const deadline = Date.now() + 30_000;
    while ((await http().get('/health')).status !== 200) {
      if (Date.now() > deadline) throw new Error('the service did not become healthy again within 30 s');
      await sleep(200);
    }
    const written = await http()
      .post('/api/v1/mentor-statuses')
      .set('Idempotency-Key', 'key-while-down')
      .send({ mentor_id: 'mntr_fault', status: 'paused', reason: 'Down', changed_by: 'user_fault' });
    assert.equal(written.status, 201, JSON.stringify(written.body));
    const list = await http().get('/api/v1/mentor-statuses?mentor_id=mntr_fault');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.data.map((record: { status: string }) => record.status),
      ['paused', 'active'],
    );
  });
});
