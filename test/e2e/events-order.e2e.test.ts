import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { EventNotifications } from '../../src/events/event-notifications.js';
import { EventsService } from '../../src/events/events.service.js';
import { FeedEvent, FeedFollower, readFeed } from '../support/event-feed.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

describe('change events across two instances', () => {
  let t: TestApp;
  let second: NestFastifyApplication;
  let instances: Server[];
  before(async () => {
    t = await startTestApp();
    second = await t.instance();
    instances = [t.http, second.getHttpServer()];
  });
  after(async () => {
    await second.close();
    await t.close();
  });

  it("keeps one mentor's events in the order of the changes, however the writes race: replaying the feed gives every previous state and eligibility flip", async () => {
    const mentorId = 'mntr_order';
    await request(t.http).put(`/api/v1/mentors/${mentorId}`).send({ full_name: 'Ordered Olga', chapter_id: 'chpt_order' }).expect(201);
    const follower = new FeedFollower(t.http);
    await follower.skipToEnd();
    const writes = Array.from({ length: 40 }, (_, i) => {
      const http = instances[i % 2];
      switch (i % 4) {
        case 0:
          return request(http).post('/api/v1/mentor-statuses').send({ mentor_id: mentorId, status: 'active', changed_by: 'user_order' });
        case 1:
          return request(http).post('/api/v1/mentor-suppressions').send({ mentor_id: mentorId, coordinator_id: 'coord_order', reason: 'conduct_review' });
        case 2:
          return request(http).post('/api/v1/mentor-statuses').send({ mentor_id: mentorId, status: 'paused', reason: 'Race', changed_by: 'user_order' });
        default:
          return request(http).put(`/api/v1/mentor-suppressions/${mentorId}`).send({ is_active: false });
      }
    });
    const answers = await Promise.all(writes);
    for (const answer of answers) assert.ok([200, 201, 404, 409].includes(answer.status), `unexpected ${answer.status}: ${JSON.stringify(answer.body)}`);
    const events = (await follower.next()).filter((event) => event.subject === mentorId);

    let status: string | null = null;
    let suppressed = false;
    let eligible = false;
    const statusRecords: string[] = [];
    for (const event of events) {
      const data = event.data;
      switch (event.type) {
        case 'mentor.status.changed':
          assert.equal(data.previous_status, status, 'each status change names the status before it');
          status = data.status as string;
          statusRecords.push(data.mentor_status_id as string);
          break;
        case 'mentor.suppression.created':
          assert.equal(suppressed, false);
          suppressed = true;
          break;
        case 'mentor.suppression.restored':
          assert.equal(suppressed, true);
          suppressed = false;
          break;
        case 'mentor.eligibility.changed':
          assert.equal(data.is_eligible_for_assignment, status === 'active' && !suppressed, 'the flip matches the state the events before it built');
          assert.notEqual(data.is_eligible_for_assignment, eligible, 'an eligibility event is a flip');
          eligible = data.is_eligible_for_assignment;
          break;
        default:
          assert.fail(`unexpected ${event.type}`);
      }
    }
    const { rows: history } = await t.db.query(`SELECT id FROM mentor_status_records WHERE mentor_id = $1 ORDER BY changed_at, id`, [mentorId]);
    assert.deepEqual(
      statusRecords,
      history.map((row: { id: string }) => row.id),
      'status events come in the order of the history',
    );
    assert.equal(statusRecords.length, answers.filter((answer, i) => i % 2 === 0 && answer.status === 201).length);
    const { body: directory } = await request(t.http).get('/api/v1/chapters/chpt_order/mentors/active').query({ include_ineligible: true });
    const listed = (directory.data as { mentor_id: string; is_eligible_for_assignment: boolean }[]).find((mentor) => mentor.mentor_id === mentorId);
    assert.equal(listed?.is_eligible_for_assignment ?? false, eligible, 'the replayed eligibility is the current one');
  });

  it('wakes a long poll on one instance when an event commits through the other', async () => {
    const follower = new FeedFollower(t.http);
    await follower.skipToEnd();
    const from = follower.position;
    const started = Date.now();
    const waiting = readFeed(second.getHttpServer(), { after: from, wait: 30 });
    const notifications = second.get(EventNotifications);
    while (notifications.waiting === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await request(t.http).put('/api/v1/mentors/mntr_wake').send({ full_name: 'Woken', chapter_id: 'chpt_wake' }).expect(201);
    const answer = await waiting;
    assert.deepEqual(
      answer.data.map((event: FeedEvent) => event.subject),
      ['mntr_wake'],
    );
    assert.ok(Date.now() - started < 20_000, 'answered when the event committed, not when the wait ran out');
  });
});

describe('event retention', () => {
  let t: TestApp;
  const clock = new TestClock(new Date().toISOString());
  before(async () => {
    t = await startTestApp({ EVENTS_RETENTION_DAYS: '30' }, { clock });
  });
  after(() => t.close());

  it('deletes events older than the retention; a cursor from before them is 410, one after them and none at all still work', async () => {
    const beginning = (await readFeed(t.http, {})).next_cursor;
    for (const id of ['mntr_old_a', 'mntr_old_b', 'mntr_old_c']) {
      await request(t.http).put(`/api/v1/mentors/${id}`).send({ full_name: id, chapter_id: 'chpt_old' }).expect(201);
    }
    const follower = new FeedFollower(t.http);
    await follower.next();
    const firstPage = await readFeed(t.http, { limit: 1 });
    assert.equal(firstPage.data[0].subject, 'mntr_old_a');
    const latest = follower.position;
    assert.ok(latest);

    clock.advance(29 * 86_400_000);
    assert.equal(await t.app.get(EventsService).prune(), 0, 'nothing is older than 30 days yet');
    clock.advance(2 * 86_400_000);
    assert.ok((await t.app.get(EventsService).prune()) >= 4);

    for (const cursor of [beginning, firstPage.next_cursor]) {
      const gone = await request(t.http).get('/api/v1/events').query({ after: cursor });
      assertProblem(gone, 410, ['after']);
      assert.equal(gone.body.type, '/problems/cursor-expired');
    }
    assert.deepEqual((await readFeed(t.http, { after: latest })).data, []);
    const fresh = await readFeed(t.http, {});
    assert.deepEqual(fresh.data, []);
    assert.deepEqual(await readFeed(t.http, { after: fresh.next_cursor }), { data: [], next_cursor: fresh.next_cursor }, 'the new beginning is not expired');
    await request(t.http).put('/api/v1/mentors/mntr_new').send({ full_name: 'New', chapter_id: 'chpt_old' }).expect(201);
    const next = await readFeed(t.http, { after: fresh.next_cursor, wait: 10 });
    assert.deepEqual(
      next.data.map((event) => event.subject),
      ['mntr_new'],
    );
  });
});
