import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { waitUntil } from '../support/poll.js';
import { startTcpSwitch, TcpSwitch } from '../support/tcp-switch.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const apiKey = randomBytes(24).toString('base64url');
const auth = { authorization: `Bearer ${apiKey}` };
const LISTENER = 'mentor-status-service-listener';
/** Far below the workers' idle check (60 s): only the reconnection's catch-up delivers this soon. */
const CAUGHT_UP_WITHIN_MS = 15_000;

/**
 * The LISTEN connection of one instance is cut (its server session dropped, reconnecting refused for
 * a while), as a failover or a network fault does. Another instance writes meanwhile: its NOTIFY
 * reaches no one on the cut instance. Once it reconnects, the cut instance must find that event in
 * the outbox by itself, and hear of the events written after.
 */
describe('event notifications after their connection is lost', () => {
  let t: TestApp;
  let path: TcpSwitch;
  let delivering: NestFastifyApplication;
  const receiver = new WebhookReceiver();

  const listeners = async () =>
    (
      await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, [
        LISTENER,
      ])
    ).rows[0].n;
  const write = async (mentorId: string) => {
    await request(t.http).put(`/api/v1/mentors/${mentorId}`).set(auth).send({ full_name: mentorId, chapter_id: 'chpt_listen' }).expect(201);
  };
  const delivered = (mentorId: string) => receiver.accepted('/hook').some((delivery) => delivery.body.includes(`"${mentorId}"`));

  before(async () => {
    // The writer delivers no webhooks: the instance whose LISTEN is cut delivers them all.
    t = await startTestApp({ API_KEYS: `admin:${apiKey}`, WEBHOOK_WORKERS: '0', WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    const database = new URL(t.database.url);
    path = await startTcpSwitch(Number(database.port || 5432));
    const direct = new URL(t.database.url);
    direct.hostname = '127.0.0.1';
    direct.port = String(path.port);
    delivering = await t.instance({
      API_KEYS: `admin:${apiKey}`,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      // Its LISTEN session goes through the switch; its pool does not.
      DATABASE_DIRECT_URL: direct.toString(),
    });
    const url = await receiver.start();
    await request(t.http)
      .post('/api/v1/webhook-subscriptions')
      .set(auth)
      .send({ url: `${url}/hook` })
      .expect(201);
  });
  after(async () => {
    await delivering?.close();
    await path?.close();
    await receiver.stop();
    await t?.close();
  });

  it('delivers what another instance wrote while the connection was down, without waiting for a later event, and what it writes after', async () => {
    await write('mntr_listen_before');
    await waitUntil(() => delivered('mntr_listen_before'), 'the event before the cut is delivered');
    assert.equal(await listeners(), 2);

    path.cut();
    await waitUntil(async () => (await listeners()) === 1, "the cut instance's LISTEN session is gone");
    await write('mntr_listen_during');
    path.switchTo(Number(new URL(t.database.url).port || 5432));
    await waitUntil(async () => (await listeners()) === 2, 'the cut instance listens again', CAUGHT_UP_WITHIN_MS);
    await waitUntil(() => delivered('mntr_listen_during'), 'the event written while it was cut off is delivered', CAUGHT_UP_WITHIN_MS);

    await write('mntr_listen_after');
    await waitUntil(() => delivered('mntr_listen_after'), 'the event written after the reconnection is delivered', CAUGHT_UP_WITHIN_MS);
  });
});
