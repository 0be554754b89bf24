import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { parseLsn } from '../../src/database/replica-router.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const apiKey = randomBytes(24).toString('base64url');
const auth = { authorization: `Bearer ${apiKey}` };
const TOKEN = /^[0-9a-f]{16}$/;

const positionOf = (token: unknown): bigint => {
  assert.match(String(token), TOKEN);
  return BigInt(`0x${String(token)}`);
};

/** Without DATABASE_REPLICA_URLS: writes answer their token, reads ignore one (the replicas' side is in test/system/read-replicas). */
describe('Consistency-Token on a service without replicas', () => {
  let t: TestApp;
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
    t = await startTestApp({ API_KEYS: `ryw:${apiKey}`, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    await t.db.query('CREATE EXTENSION pg_walinspect');
  });
  after(() => t.close());

  it('a write answers a token at or after its commit record, and a later write a later one', async () => {
    const from = await insertPosition();
    const created = await request(t.http).put('/api/v1/mentors/mntr_ryw_1').set(auth).send({ full_name: 'First Name', chapter_id: 'chpt_ryw' });
    assert.equal(created.status, 201);
    assert.ok(positionOf(created.headers['consistency-token']) >= (await commitEnd(from, mentor('mntr_ryw_1'))));
    const renamedFrom = await insertPosition();
    const renamed = await request(t.http).put('/api/v1/mentors/mntr_ryw_1').set(auth).send({ full_name: 'Second Name', chapter_id: 'chpt_ryw' });
    assert.equal(renamed.status, 200);
    assert.ok(positionOf(renamed.headers['consistency-token']) >= (await commitEnd(renamedFrom, mentor('mntr_ryw_1'))));
    assert.ok(positionOf(renamed.headers['consistency-token']) > positionOf(created.headers['consistency-token']));
  });

  it('a read ignores a token, even one far ahead, and answers none', async () => {
    const read = await request(t.http).get('/api/v1/mentors/mntr_ryw_1').set('Consistency-Token', 'ffffffffffffffff');
    assert.equal(read.status, 200);
    assert.equal(read.body.full_name, 'Second Name');
    assert.equal(read.headers['consistency-token'], undefined);
  });

  it('refuses a read whose token is not one (400), and a write ignores the header', async () => {
    for (const token of ['0/16B3748', '000000001A2B3C4D', '1a2b3c4d', '000000001a2b3c4d, 000000001a2b3c4e']) {
      assertProblem(await request(t.http).get('/api/v1/mentors/mntr_ryw_1').set('Consistency-Token', token), 400, ['Consistency-Token']);
    }
    const write = await request(t.http)
      .put('/api/v1/mentors/mntr_ryw_1')
      .set(auth)
      .set('Consistency-Token', 'not a token')
      .send({ full_name: 'Third Name', chapter_id: 'chpt_ryw' });
    assert.equal(write.status, 200);
    assert.match(String(write.headers['consistency-token']), TOKEN);
  });

  it("answers a replayed POST with a token at or after the first answer's", async () => {
    const body = { mentor_id: 'mntr_ryw_1', status: 'paused', reason: 'Leave', changed_by: 'user_ryw' };
    const first = await request(t.http).post('/api/v1/mentor-statuses').set(auth).set('Idempotency-Key', 'ryw-replay').send(body);
    assert.equal(first.status, 201);
    const replayed = await request(t.http).post('/api/v1/mentor-statuses').set(auth).set('Idempotency-Key', 'ryw-replay').send(body);
    assert.equal(replayed.headers['idempotent-replayed'], 'true');
    assert.ok(positionOf(replayed.headers['consistency-token']) >= positionOf(first.headers['consistency-token']));
  });

  it('answers a token for writes made by a single statement outside a transaction (webhook subscriptions)', async () => {
    const from = await insertPosition();
    const created = await request(t.http).post('/api/v1/webhook-subscriptions').set(auth).send({ url: 'http://127.0.0.1:9/ryw' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const subscription = { table: 'webhook_subscriptions', key: 'id', id: String(created.body.subscription_id) } as const;
    assert.ok(positionOf(created.headers['consistency-token']) >= (await commitEnd(from, subscription)));
    const deleted = await request(t.http).delete(`/api/v1/webhook-subscriptions/${created.body.subscription_id}`).set(auth);
    assert.equal(deleted.status, 200);
    assert.ok(positionOf(deleted.headers['consistency-token']) > positionOf(created.headers['consistency-token']));
  });
});
