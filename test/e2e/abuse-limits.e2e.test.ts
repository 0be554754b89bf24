import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import request from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { createTestDatabase } from '../support/test-database.js';
import { waitUntil } from '../support/poll.js';

describe('rate limiting', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '5' });
  });
  after(() => t.close());

  it('allows RATE_LIMIT_PER_MINUTE requests a minute per client over all routes, then answers 429 problem+json with Retry-After', async () => {
    const allowed = [
      await request(t.http).get('/api/v1/mentor-statuses'),
      await request(t.http).get('/api/v1/mentor-suppressions'),
      await request(t.http).put('/api/v1/mentors/mntr_rate').send({ full_name: 'Rate', chapter_id: 'chpt_rate' }),
      await request(t.http).get('/api/v1/mentors/mntr_rate'),
      await request(t.http).get('/api/v1/chapters/chpt_rate/mentors/active'),
    ];
    assert.deepEqual(
      allowed.map((response) => response.status),
      [200, 200, 201, 200, 200],
    );
    const refused = await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: 'mntr_rate', status: 'active', changed_by: 'user_rate' });
    assertProblem(refused, 429);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${refused.headers['retry-after']}`);
    assert.equal((await t.db.query('SELECT count(*)::int AS n FROM mentor_status_records')).rows[0].n, 0, 'the refused POST wrote nothing');
  });

  it('never limits /health, so that load balancers keep seeing the truth', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await request(t.http).get('/health')).status, 200);
  });
});

describe('security headers', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('every answer carries them, API and errors alike', async () => {
    for (const response of [await request(t.http).get('/api/v1/mentor-statuses'), await request(t.http).get('/api/v1/mentors/mntr_none')]) {
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
      assert.match(String(response.headers['strict-transport-security']), /max-age=\d+/);
      assert.equal(response.headers['x-powered-by'], undefined);
      assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
      assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/);
    }
  });

  it('the CSP lets Swagger UI at /docs load: only scripts and styles of its own origin, no inline script', async () => {
    const page = await request(t.http).get('/docs');
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/);
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0);
    for (const [, attributes, body] of scripts) {
      assert.equal(body.trim(), '', 'no inline script, which the CSP would block');
      const src = /src=['"]([^'"]+)['"]/.exec(attributes)?.[1];
      assert.ok(src && !/^[a-z]+:/i.test(src) && !src.startsWith('//'), `same-origin script: ${src}`);
    }
    const assets = [...page.text.matchAll(/(?:src|href)=['"]\.?\/?([^'"]+\.(?:js|css))['"]/g)].map((match) => match[1]);
    assert.ok(assets.length >= 3, `assets: ${assets.join(', ')}`);
    for (const asset of assets) {
      const url = asset.startsWith('docs/') ? `/${asset}` : `/docs/${asset.replace(/^\.\//, '')}`;
      assert.equal((await request(t.http).get(url)).status, 200, url);
    }
  });
});

describe('CORS', () => {
  const ALLOWED = 'https://app.example.org';

  describe('with CORS_ORIGINS set', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` });
    });
    after(() => t.close());

    it('answers a preflight from an allowed origin, allowing the write-safety headers', async () => {
      const preflight = await request(t.http)
        .options('/api/v1/mentor-statuses')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key');
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers['access-control-allow-origin'], ALLOWED);
      for (const header of ['authorization', 'content-type', 'idempotency-key', 'if-match']) {
        assert.match(String(preflight.headers['access-control-allow-headers']), new RegExp(header));
      }
    });

    it('lets an allowed origin read the answer and its ETag', async () => {
      const response = await request(t.http).get('/api/v1/mentor-statuses').set('Origin', 'http://localhost:5173');
      assert.equal(response.headers['access-control-allow-origin'], 'http://localhost:5173');
      assert.match(String(response.headers['access-control-expose-headers']), /etag/i);
    });

    it('gives any other origin no access', async () => {
      const response = await request(t.http).get('/api/v1/mentor-statuses').set('Origin', 'https://evil.example.com');
      assert.equal(response.headers['access-control-allow-origin'], undefined);
    });
  });

  it('without CORS_ORIGINS, no origin gets access', async () => {
    const t = await startTestApp();
    try {
      const response = await request(t.http).get('/api/v1/mentor-statuses').set('Origin', ALLOWED);
      assert.equal(response.status, 200);
      assert.equal(response.headers['access-control-allow-origin'], undefined);
    } finally {
      await t.close();
    }
  });
});

describe('request body limit', () => {
  it('a body over BODY_LIMIT_BYTES is 413 problem+json and writes nothing', async () => {
    const t = await startTestApp({ BODY_LIMIT_BYTES: '2048' });
    try {
      const response = await request(t.http)
        .put('/api/v1/mentors/mntr_big')
        .send({ full_name: 'x'.repeat(4096), chapter_id: 'chpt_big' });
      assertProblem(response, 413);
      assert.equal((await t.db.query('SELECT count(*)::int AS n FROM mentors')).rows[0].n, 0);
    } finally {
      await t.close();
    }
  });
});

describe('hostile requests that never reach a route', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('a JSON body nested deeper than 32 levels is 400 problem+json, not a stack overflow', async () => {
    for (const depth of [33, 5_000]) {
      const nested = `{"full_name": ${'['.repeat(depth)}${']'.repeat(depth)}, "chapter_id": "chpt_deep"}`;
      assertProblem(await request(t.http).put('/api/v1/mentors/mntr_deep').set('content-type', 'application/json').send(nested), 400, ['body']);
    }
    assert.equal((await request(t.http).put('/api/v1/mentors/mntr_deep').send({ full_name: 'Shallow', chapter_id: 'chpt_deep' })).status, 201);
  });

  it('a path parameter too long for the router is 414 problem+json', async () => {
    assertProblem(await request(t.http).get(`/api/v1/mentors/${'m'.repeat(200)}`), 414);
  });

  it('headers over the size limit are 431 problem+json', async () => {
    assertProblem(await request(t.http).get('/api/v1/mentor-statuses').set('x-padding', 'p'.repeat(20_000)), 431);
  });
});

describe('bounded database waits', () => {
  it('a statement that runs past DB_STATEMENT_TIMEOUT_MS is cancelled and answered 503 problem+json', async () => {
    const t = await startTestApp({ DB_STATEMENT_TIMEOUT_MS: '300' });
    try {
      await request(t.http).put('/api/v1/mentors/mntr_slow').send({ full_name: 'Slow', chapter_id: 'chpt_slow' });
      const release = await holdMentorHistory(t.db, 'mntr_slow');
      try {
        // Without the timeout this POST would wait for the lock until it is released, after the answer: a hang.
        const response = await request(t.http)
          .post('/api/v1/mentor-statuses')
          .timeout(10_000)
          .send({ mentor_id: 'mntr_slow', status: 'active', changed_by: 'user_slow' });
        assertProblem(response, 503);
        assert.doesNotMatch(response.body.detail, /statement|cancel|SQL/i, 'nothing internal is revealed');
      } finally {
        await release();
      }
      assert.equal(
        (await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: 'mntr_slow', status: 'active', changed_by: 'user_slow' })).status,
        201,
      );
    } finally {
      await t.close();
    }
  });

  it('a request that cannot get a pool connection within DB_CONNECT_TIMEOUT_MS is 503, not a hang', async () => {
    const t = await startTestApp({ DB_POOL_SIZE: '1', DB_CONNECT_TIMEOUT_MS: '300', DB_STATEMENT_TIMEOUT_MS: '0' });
    try {
      await request(t.http).put('/api/v1/mentors/mntr_pool').send({ full_name: 'Pool', chapter_id: 'chpt_pool' });
      const release = await holdMentorHistory(t.db, 'mntr_pool');
      let blocked: Promise<request.Response>;
      try {
        // This POST takes the only connection and waits on the lock inside its transaction.
        blocked = request(t.http)
          .post('/api/v1/mentor-statuses')
          .send({ mentor_id: 'mntr_pool', status: 'active', changed_by: 'user_pool' })
          .then((r) => r);
        await waitUntil(
          async () =>
            Number(
              (await t.db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n,
            ) >= 1,
          'the POST waits for the lock',
        );
        const starved = await request(t.http).get('/api/v1/mentor-statuses').timeout(10_000);
        assertProblem(starved, 503);
      } finally {
        await release();
      }
      assert.equal((await blocked).status, 201, 'the request holding the connection finishes once the lock is free');
    } finally {
      await t.close();
    }
  });

  it('migrations are not bound by the statement timeout: a start-up waiting for another instance to migrate still starts', async () => {
    const database = await createTestDatabase();
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock(802114007)');
      const starting = createApp(
        loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'fatal', METRICS_PORT: '0', DB_STATEMENT_TIMEOUT_MS: '100', CERT_SWEEP_INTERVAL_SECONDS: '0' }),
      );
      await waitUntil(
        async () => (await other.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0].n >= 1,
        'the start-up waits for the migration lock',
      );
      // Until it has waited well past the 100 ms statement timeout that the app's other statements run under.
      await waitUntil(
        async () =>
          (
            await other.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND now() - query_start > interval '500 milliseconds'`,
            )
          ).rows[0].n >= 1,
        'the waiting start-up outlives the statement timeout',
      );
      await other.query('SELECT pg_advisory_unlock(802114007)');
      const app = await starting;
      try {
        assert.equal((await request(app.getHttpServer()).get('/health')).status, 200);
      } finally {
        await app.close();
      }
    } finally {
      await other.end();
      await database.drop();
    }
  });
});
