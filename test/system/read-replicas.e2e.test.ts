import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMentorStatusClient } from '@mentor-status/client';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { parseLsn, ReplicaRouter } from '../../src/database/replica-router.js';
import { PgCluster, startPrivateCluster } from '../../tools/pg-cluster.js';
import { PgReplica, startReplica } from '../../tools/pg-replica.js';
import { waitUntil } from '../support/poll.js';

const DATABASE = 'mss_replica_reads';
const CHAPTER = 'chpt_replica';

/** The position a Consistency-Token stands for (16 hex digits). */
function positionOf(token: unknown): bigint {
  assert.match(String(token), /^[0-9a-f]{16}$/);
  return BigInt(`0x${String(token)}`);
}

/** A primary of the test's own, a streaming replica of it, and apps that read from the replica. */
describe('reads from a streaming replica (DATABASE_REPLICA_URLS)', () => {
  let primary: PgCluster;
  let replica: PgReplica;
  const apps: NestFastifyApplication[] = [];

  const start = async (maxLagMs: number, env: Record<string, string> = {}) => {
    const app = await createApp(
      loadConfig({
        DATABASE_URL: primary.urlFor(DATABASE),
        DATABASE_REPLICA_URLS: replica.urlFor(DATABASE),
        REPLICA_MAX_LAG_MS: String(maxLagMs),
        DB_POOL_SIZE: '4',
        LOG_LEVEL: 'fatal',
        METRICS_PORT: '0',
        DEMO_DATA: 'false',
        CERT_SWEEP_INTERVAL_SECONDS: '0',
        RATE_LIMIT_PER_MINUTE: '0',
        CLIENT_CONCURRENCY: '0',
        ...env,
      }),
    );
    apps.push(app);
    return { app, http: app.getHttpServer(), router: app.get(ReplicaRouter) };
  };
  const conditionOf = (router: ReplicaRouter) => router.state().replicas[0].condition;
  const readsOf = (router: ReplicaRouter) => router.state().replicas[0].reads;

  before(async () => {
    primary = await startPrivateCluster();
    replica = await startReplica(primary);
    await primary.createDatabase(DATABASE);
    await replica.waitForReplay();
  });
  after(async () => {
    for (const app of apps) await app.close();
    await replica?.destroy();
    await primary?.destroy();
  });

  describe('with REPLICA_MAX_LAG_MS at 1000', () => {
    let http: ReturnType<NestFastifyApplication['getHttpServer']>;
    let router: ReplicaRouter;
    before(async () => ({ http, router } = await start(1000)));

    it('finds the replica up at start, and a write becomes visible through it', async () => {
      assert.equal(conditionOf(router), 'up');
      assert.equal((await request(http).put('/api/v1/mentors/mntr_seen').send({ full_name: 'Seen Soon', chapter_id: CHAPTER })).status, 201);
      await waitUntil(async () => (await request(http).get('/api/v1/mentors/mntr_seen')).status === 200, 'the profile can be read');
      const before = readsOf(router);
      for (const path of [
        '/api/v1/mentors/mntr_seen',
        `/api/v1/mentors?chapter_id=${CHAPTER}`,
        `/api/v1/chapters/${CHAPTER}/mentors/active`,
        '/api/v1/mentor-statuses',
      ]) {
        assert.equal((await request(http).get(path)).status, 200, path);
      }
      assert.equal(readsOf(router), before + 4, 'the replica served the four reads');
      const sessions = await replica.query<{ query: string }>(
        `SELECT query FROM pg_stat_activity WHERE datname = $1 AND application_name = 'mentor-status-service' AND backend_type = 'client backend'`,
        [DATABASE],
      );
      // The last read was the status log's page.
      assert.ok(
        sessions.some((session) => session.query.includes('FROM mentor_status_records')),
        `the app's sessions on the replica: ${JSON.stringify(sessions)}`,
      );
    });

    it('skips the replica while it lags more than REPLICA_MAX_LAG_MS, then uses it again once it has caught up', async () => {
      await replica.query('SELECT pg_wal_replay_pause()');
      try {
        assert.equal((await request(http).put('/api/v1/mentors/mntr_lag').send({ full_name: 'Lag Before', chapter_id: CHAPTER })).status, 201);
        await waitUntil(() => conditionOf(router) === 'lagging', 'the replica counts as lagging', 15_000);
        const answer = await request(http).get('/api/v1/mentors/mntr_lag');
        assert.equal(answer.status, 200, 'the primary answers what the replica has not replayed yet');
        assert.ok(router.state().replicas[0].lag_ms! > 1000);
      } finally {
        await replica.query('SELECT pg_wal_replay_resume()');
      }
      await waitUntil(() => conditionOf(router) === 'up', 'the replica is up again', 15_000);
      const before = readsOf(router);
      assert.equal((await request(http).get('/api/v1/mentors/mntr_lag')).status, 200);
      assert.equal(readsOf(router), before + 1);
    });

    it('a replica that stops costs no request: every read answers 200 while it goes down and comes back', async () => {
      const statuses: number[] = [];
      let reading = true;
      const paths = ['/api/v1/mentors/mntr_seen', `/api/v1/chapters/${CHAPTER}/mentors/active`, '/api/v1/mentor-statuses', '/api/v1/mentor-suppressions'];
      const readers = paths.map(async (path) => {
        while (reading) statuses.push((await request(http).get(path)).status);
      });
      try {
        await waitUntil(() => statuses.length >= 20, 'reads are under way');
        await replica.stop();
        await waitUntil(() => conditionOf(router) === 'down', 'the replica counts as down');
        const seen = statuses.length;
        await waitUntil(() => statuses.length >= seen + 20, 'more reads while the replica is down');
        await replica.start();
        await waitUntil(() => conditionOf(router) === 'up', 'the replica is up again', 30_000);
        const reads = readsOf(router);
        await waitUntil(() => readsOf(router) > reads, 'the replica serves reads again');
      } finally {
        reading = false;
        await Promise.all(readers);
      }
      assert.ok(statuses.length > 40);
      assert.deepEqual(
        statuses.filter((status) => status !== 200),
        [],
        `${statuses.length} reads`,
      );
    });
  });

  describe('a replica that stops answering mid-read', () => {
    let http: ReturnType<NestFastifyApplication['getHttpServer']>;
    let router: ReplicaRouter;
    before(async () => ({ http, router } = await start(1000, { DB_STATEMENT_TIMEOUT_MS: '500', DB_QUERY_TIMEOUT_MS: '1000', DB_CONNECT_TIMEOUT_MS: '1000' })));

    it('the read that the replica leaves unanswered is run again on the primary: 200, not 503', async () => {
      assert.equal((await request(http).get('/api/v1/mentors/mntr_seen')).status, 200);
      assert.equal(conditionOf(router), 'up');
      const fallbacks = router.state().fallbacks;
      await replica.freeze();
      try {
        // Sent at once, before any check can have noticed: it goes to the frozen replica and waits out the query timeout there.
        const answer = await request(http).get('/api/v1/mentors/mntr_seen');
        assert.equal(answer.status, 200);
        assert.equal(router.state().fallbacks, fallbacks + 1);
        await waitUntil(() => conditionOf(router) === 'down', 'the replica counts as down');
        assert.equal((await request(http).get('/api/v1/mentors/mntr_seen')).status, 200);
      } finally {
        replica.thaw();
      }
      await waitUntil(() => conditionOf(router) === 'up', 'the replica is up again', 15_000);
    });
  });

  describe('with a replica far behind and REPLICA_MAX_LAG_MS at an hour', () => {
    let http: ReturnType<NestFastifyApplication['getHttpServer']>;
    before(async () => {
      ({ http } = await start(3_600_000));
      assert.equal((await request(http).put('/api/v1/mentors/mntr_stale').send({ full_name: 'Old Name', chapter_id: CHAPTER })).status, 201);
      assert.equal(
        (await request(http).post('/api/v1/mentor-statuses').send({ mentor_id: 'mntr_stale', status: 'active', changed_by: 'user_rep' })).status,
        201,
      );
      await replica.waitForReplay();
      await replica.query('SELECT pg_wal_replay_pause()');
    });
    after(() => replica.query('SELECT pg_wal_replay_resume()'));

    it('GETs, lists and chapter views answer from the replica, as it was', async () => {
      const seen = await request(http).get('/api/v1/mentors/mntr_stale');
      assert.equal((await request(http).put('/api/v1/mentors/mntr_stale').send({ full_name: 'New Name', chapter_id: CHAPTER })).status, 200);
      assert.equal(
        (await request(http).post('/api/v1/mentor-statuses').send({ mentor_id: 'mntr_stale', status: 'paused', reason: 'Away', changed_by: 'user_rep' }))
          .status,
        201,
      );
      assert.equal((await request(http).get('/api/v1/mentors/mntr_stale')).body.full_name, 'Old Name');
      const listed = await request(http).get(`/api/v1/mentors?chapter_id=${CHAPTER}`);
      assert.ok(
        listed.body.data.some((mentor: { mentor_id: string; full_name: string }) => mentor.mentor_id === 'mntr_stale' && mentor.full_name === 'Old Name'),
      );
      const active = await request(http).get(`/api/v1/chapters/${CHAPTER}/mentors/active`);
      assert.ok(
        active.body.data.some((mentor: { mentor_id: string }) => mentor.mentor_id === 'mntr_stale'),
        'still active on the replica',
      );
      assert.equal(seen.headers.etag, (await request(http).get('/api/v1/mentors/mntr_stale')).headers.etag);
    });

    it('writes, the reads they depend on and If-Match stay on the primary', async () => {
      // Created after the replica stopped replaying: only the primary knows this mentor.
      assert.equal((await request(http).put('/api/v1/mentors/mntr_fresh').send({ full_name: 'Fresh', chapter_id: CHAPTER })).status, 201);
      assert.equal((await request(http).get('/api/v1/mentors/mntr_fresh')).status, 404, 'the replica has not seen it');
      assert.equal(
        (await request(http).post('/api/v1/mentor-statuses').send({ mentor_id: 'mntr_fresh', status: 'active', changed_by: 'user_rep' })).status,
        201,
      );
      assert.equal(
        (await request(http).post('/api/v1/mentor-suppressions').send({ mentor_id: 'mntr_fresh', coordinator_id: 'coord_rep', reason: 'on_leave' })).status,
        201,
      );
      // The tag of what the replica shows is stale on the primary, where If-Match is decided.
      const stale = (await request(http).get('/api/v1/mentors/mntr_stale')).headers.etag;
      const put = await request(http).put('/api/v1/mentors/mntr_stale').set('If-Match', String(stale)).send({ full_name: 'Newer Name', chapter_id: CHAPTER });
      assert.equal(put.status, 412);
    });

    it('once replay resumes, the replica shows the writes', async () => {
      await replica.query('SELECT pg_wal_replay_resume()');
      // Up to the primary's last write, the pause after the rename included.
      await replica.waitForReplay();
      assert.equal((await request(http).get('/api/v1/mentors/mntr_stale')).body.full_name, 'New Name');
      const paused = await request(http).get(`/api/v1/chapters/${CHAPTER}/mentors/paused`);
      assert.ok(paused.body.data.some((mentor: { mentor_id: string }) => mentor.mentor_id === 'mntr_stale'));
    });
  });

  describe('Consistency-Token, with REPLICA_MAX_LAG_MS at an hour and replay paused', () => {
    let http: ReturnType<NestFastifyApplication['getHttpServer']>;
    let router: ReplicaRouter;
    const MENTOR = '/api/v1/mentors/mntr_token';
    /** The token of the rename made while replay is paused. */
    let renamed: string;
    before(async () => {
      ({ http, router } = await start(3_600_000));
      assert.equal((await request(http).put(MENTOR).send({ full_name: 'Before', chapter_id: CHAPTER })).status, 201);
      await replica.waitForReplay();
      await replica.query('SELECT pg_wal_replay_pause()');
    });
    after(() => replica.query('SELECT pg_wal_replay_resume()'));

    it('a read with the token of a write shows the write the replica has not replayed: the primary answers it', async () => {
      const write = await request(http).put(MENTOR).send({ full_name: 'After', chapter_id: CHAPTER });
      assert.equal(write.status, 200);
      renamed = String(write.headers['consistency-token']);
      const [reads, ahead] = [readsOf(router), router.state().aheadOfReplicas];
      const read = await request(http).get(MENTOR).set('Consistency-Token', renamed);
      assert.equal(read.status, 200);
      assert.equal(read.body.full_name, 'After');
      assert.equal(readsOf(router), reads, 'not from the replica');
      assert.equal(router.state().aheadOfReplicas, ahead + 1);
      assert.ok(positionOf(read.headers['consistency-token']) >= positionOf(renamed), 'the primary has at least the write');
      // Created after replay stopped: unknown to the replica, found with the token.
      const created = await request(http).put('/api/v1/mentors/mntr_token_new').send({ full_name: 'New', chapter_id: CHAPTER });
      assert.equal(created.status, 201);
      assert.equal((await request(http).get('/api/v1/mentors/mntr_token_new')).status, 404);
      assert.equal(
        (await request(http).get('/api/v1/mentors/mntr_token_new').set('Consistency-Token', String(created.headers['consistency-token']))).status,
        200,
      );
    });

    it('without the token the replica answers, as it was, with the position it has replayed; that token keeps the read there', async () => {
      const reads = readsOf(router);
      const stale = await request(http).get(MENTOR);
      assert.equal(stale.body.full_name, 'Before');
      assert.equal(readsOf(router), reads + 1);
      const [{ replayed }] = await replica.query<{ replayed: string }>('SELECT pg_last_wal_replay_lsn()::text AS replayed', [], DATABASE);
      assert.equal(positionOf(stale.headers['consistency-token']), parseLsn(replayed));
      assert.ok(positionOf(stale.headers['consistency-token']) < positionOf(renamed));
      const again = await request(http).get(MENTOR).set('Consistency-Token', String(stale.headers['consistency-token']));
      assert.equal(again.body.full_name, 'Before');
      assert.equal(readsOf(router), reads + 2);
    });

    it('once replay resumes, a read with the token goes to the replica as soon as the replica is known to have replayed it', async () => {
      await replica.query('SELECT pg_wal_replay_resume()');
      let served: request.Response | undefined;
      await waitUntil(async () => {
        const reads = readsOf(router);
        const answer = await request(http).get(MENTOR).set('Consistency-Token', renamed);
        if (readsOf(router) === reads) return false;
        served = answer;
        return true;
      }, 'the replica serves a read with the token');
      assert.equal(served?.body.full_name, 'After');
      assert.ok(positionOf(served?.headers['consistency-token']) >= positionOf(renamed));
    });
  });

  describe('Consistency-Token, with two replicas, one paused behind the other', () => {
    let ahead: PgReplica;
    let baseUrl: string;
    const mentor = { params: { path: { mentor_id: 'mntr_monotonic' } } };
    before(async () => {
      ahead = await startReplica(primary);
      const { app, router } = await start(3_600_000, { DATABASE_REPLICA_URLS: `${replica.urlFor(DATABASE)},${ahead.urlFor(DATABASE)}` });
      await app.listen(0, '127.0.0.1');
      baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      const http = app.getHttpServer();
      assert.equal((await request(http).put('/api/v1/mentors/mntr_monotonic').send({ full_name: 'Old', chapter_id: CHAPTER })).status, 201);
      await Promise.all([replica.waitForReplay(), ahead.waitForReplay()]);
      await replica.query('SELECT pg_wal_replay_pause()');
      // Someone else's write, whose token the clients below never get.
      assert.equal((await request(http).put('/api/v1/mentors/mntr_monotonic').send({ full_name: 'New', chapter_id: CHAPTER })).status, 200);
      await ahead.waitForReplay();
      await waitUntil(() => router.state().replicas.every((state) => state.condition === 'up'), 'both replicas are up');
    });
    after(async () => {
      await replica.query('SELECT pg_wal_replay_resume()');
      await ahead?.destroy();
    });

    const names = async (api: ReturnType<typeof createMentorStatusClient>) => {
      const seen: string[] = [];
      for (let i = 0; i < 8; i++) {
        const { data } = await api.GET('/api/v1/mentors/{mentor_id}', mentor);
        assert.ok(data);
        seen.push(data.full_name);
      }
      return seen;
    };

    it('a client sending the greatest token it has had (the client package) never reads an older state than one it has seen', async () => {
      const seen = await names(createMentorStatusClient(baseUrl));
      const first = seen.indexOf('New');
      assert.ok(first !== -1, `reads in turn reach the replica that has the rename: ${seen.join(', ')}`);
      assert.deepEqual(seen.slice(first), Array<string>(seen.length - first).fill('New'), seen.join(', '));
    });

    it('without tokens the same reads go back in time, turn by turn', async () => {
      const seen = await names(createMentorStatusClient(baseUrl, { consistency: false }));
      assert.ok(seen.indexOf('Old', seen.indexOf('New')) !== -1, seen.join(', '));
    });
  });
});
