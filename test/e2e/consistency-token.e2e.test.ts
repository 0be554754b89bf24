import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { parseLsn, ReplicaRouter } from '../../src/database/replica-router.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const apiKey = randomBytes(24).toString('base64url');
const auth = { authorization: `Bearer ${apiKey}` };
const ORIGIN = 'http://app.example.org';
const SETTINGS = { API_KEYS: `ryw:${apiKey}`, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', CORS_ORIGINS: ORIGIN };
const TOKEN = /^[0-9a-f]{16}$/;

const positionOf = (token: unknown): bigint => {
  assert.match(String(token), TOKEN);
  return BigInt(`0x${String(token)}`);
};

/**
 * Consistency-Token on one database: without replicas, and with a replica that is down (the
 * primary's own URL, which the router refuses as no standby), where every read is the primary's.
 * Routing by the token on a real streaming replica is test/system/read-replicas'.
 */
describe('Consistency-Token', () => {
  let t: TestApp;
  let replicated: NestFastifyApplication;
  let http: Server;
  const insertPosition = async () => (await t.db.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn;
  /** Where the commit record of the transaction that last wrote a row ends (after `from`), as the WAL itself says. */
  const commitEnd = async (from: string, row: { table: 'mentors' | 'webhook_subscriptions'; key: 'mentor_id' | 'id'; id: string }): Promise<bigint> => {
    const { rows } = await t.db.query<{ end_lsn: string }>(
      `SELECT w.end_lsn::text FROM ${row.table} r, pg_get_wal_records_info_till_end_of_wal($1) w
       WHERE r.${row.key} = $2 AND w.xid = r.xmin AND w.resource_manager = 'Transaction' AND w.record_type = 'COMMIT'`,
      [from, row.id],
    );
    assert.equal(rows.length, 1, `one commit record of the writer of ${row.table} ${row.id} after ${from}`);
    return parseLsn(rows[0].end_lsn);
  };
  const mentor = (id: string) => ({ table: 'mentors', key: 'mentor_id', id }) as const;

  before(async () => {
    t = await startTestApp(SETTINGS);
    await t.db.query('CREATE EXTENSION pg_walinspect');
    replicated = await t.instance({ ...SETTINGS, DATABASE_REPLICA_URLS: t.database.url });
    http = replicated.getHttpServer();
    assert.equal(replicated.get(ReplicaRouter).state().replicas[0].condition, 'down');
  });
  after(async () => {
    await replicated.close();
    await t.close();
  });

  describe('without replicas', () => {
    it('answers none, to a write or a read, and a read ignores one, even far ahead', async () => {
      const write = await request(t.http).put('/api/v1/mentors/mntr_ryw_0').set(auth).send({ full_name: 'Only Primary', chapter_id: 'chpt_ryw' });
      assert.equal(write.status, 201);
      assert.equal(write.headers['consistency-token'], undefined);
      const read = await request(t.http).get('/api/v1/mentors/mntr_ryw_0').set('Consistency-Token', 'ffffffffffffffff');
      assert.equal(read.status, 200);
      assert.equal(read.headers['consistency-token'], undefined);
    });

    it('refuses a read whose token is not one (400), as a service with replicas does', async () => {
      for (const server of [t.http, http]) {
        for (const token of ['0/16B3748', '000000001A2B3C4D', '1a2b3c4d', '000000001a2b3c4d, 000000001a2b3c4e']) {
          assertProblem(await request(server).get('/api/v1/mentors/mntr_ryw_0').set('Consistency-Token', token), 400, ['Consistency-Token']);
        }
      }
    });
  });

  describe('with DATABASE_REPLICA_URLS (a replica that is down)', () => {
    it('a write answers a token at or after its commit record, and a later write a later one', async () => {
      const from = await insertPosition();
      const created = await request(http).put('/api/v1/mentors/mntr_ryw_1').set(auth).send({ full_name: 'First Name', chapter_id: 'chpt_ryw' });
      assert.equal(created.status, 201);
      assert.ok(positionOf(created.headers['consistency-token']) >= (await commitEnd(from, mentor('mntr_ryw_1'))));
      const renamedFrom = await insertPosition();
      const renamed = await request(http).put('/api/v1/mentors/mntr_ryw_1').set(auth).send({ full_name: 'Second Name', chapter_id: 'chpt_ryw' });
      assert.equal(renamed.status, 200);
      assert.ok(positionOf(renamed.headers['consistency-token']) >= (await commitEnd(renamedFrom, mentor('mntr_ryw_1'))));
      assert.ok(positionOf(renamed.headers['consistency-token']) > positionOf(created.headers['consistency-token']));
    });

    it("a read from the primary answers the primary's position, at or after every write it can have seen", async () => {
      const write = await request(http).put('/api/v1/mentors/mntr_ryw_1').set(auth).send({ full_name: 'Third Name', chapter_id: 'chpt_ryw' });
      for (const path of ['/api/v1/mentors/mntr_ryw_1', '/api/v1/mentors?chapter_id=chpt_ryw', '/api/v1/events']) {
        const read = await request(http).get(path);
        assert.equal(read.status, 200, path);
        assert.ok(positionOf(read.headers['consistency-token']) >= positionOf(write.headers['consistency-token']), path);
        assert.ok(positionOf(read.headers['consistency-token']) <= parseLsn(await insertPosition()), path);
      }
    });

    it('a write ignores the header', async () => {
      const write = await request(http)
        .put('/api/v1/mentors/mntr_ryw_1')
        .set(auth)
        .set('Consistency-Token', 'not a token')
        .send({ full_name: 'Fourth Name', chapter_id: 'chpt_ryw' });
      assert.equal(write.status, 200);
      assert.match(String(write.headers['consistency-token']), TOKEN);
    });

    it("answers a replayed POST with a token at or after the first answer's", async () => {
      const body = { mentor_id: 'mntr_ryw_1', status: 'paused', reason: 'Leave', changed_by: 'user_ryw' };
      const first = await request(http).post('/api/v1/mentor-statuses').set(auth).set('Idempotency-Key', 'ryw-replay').send(body);
      assert.equal(first.status, 201);
      const replayed = await request(http).post('/api/v1/mentor-statuses').set(auth).set('Idempotency-Key', 'ryw-replay').send(body);
      assert.equal(replayed.headers['idempotent-replayed'], 'true');
      assert.ok(positionOf(replayed.headers['consistency-token']) >= positionOf(first.headers['consistency-token']));
    });

    it('answers a token for a write made by a single statement outside a transaction (webhook subscriptions)', async () => {
      const from = await insertPosition();
      const created = await request(http).post('/api/v1/webhook-subscriptions').set(auth).send({ url: 'http://127.0.0.1:9/ryw' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const subscription = { table: 'webhook_subscriptions', key: 'id', id: String(created.body.subscription_id) } as const;
      assert.ok(positionOf(created.headers['consistency-token']) >= (await commitEnd(from, subscription)));
      const deleted = await request(http).delete(`/api/v1/webhook-subscriptions/${created.body.subscription_id}`).set(auth);
      assert.equal(deleted.status, 200);
      assert.ok(positionOf(deleted.headers['consistency-token']) > positionOf(created.headers['consistency-token']));
    });

    it('lets a browser of an allowed origin send the header on a GET and read it from the answer', async () => {
      const preflight = await request(http)
        .options('/api/v1/mentors/mntr_ryw_1')
        .set('Origin', ORIGIN)
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'consistency-token');
      assert.equal(preflight.status, 204);
      assert.match(String(preflight.headers['access-control-allow-headers']), /consistency-token/);
      const read = await request(http).get('/api/v1/mentors/mntr_ryw_1').set('Origin', ORIGIN);
      assert.match(String(read.headers['access-control-expose-headers']), /consistency-token/);
    });
  });
});
