import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloudEvent } from 'cloudevents';
import request from 'supertest';
import pg from 'pg';
import { Sql } from '../../src/database/sql.js';
import { EventsService } from '../../src/events/events.service.js';
import { FeedEvent, FeedFollower, readFeed } from '../support/event-feed.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const ENVELOPE_KEYS = ['data', 'datacontenttype', 'id', 'source', 'specversion', 'subject', 'time', 'type'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The raw JSON shape first (the cloudevents constructor would fill in what is missing), then the SDK's own validation. */
function assertCloudEvent(event: FeedEvent): void {
  assert.deepEqual(Object.keys(event).sort(), ENVELOPE_KEYS);
  assert.equal(event.specversion, '1.0');
  assert.match(event.id, UUID);
  assert.equal(event.source, '/mentor-status-service');
  assert.equal(event.datacontenttype, 'application/json');
  assert.match(event.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  const parsed = new CloudEvent({ ...event }, true);
  assert.equal(parsed.id, event.id);
  assert.equal(parsed.type, event.type);
}

const types = (events: FeedEvent[]) => events.map((event) => event.type);

describe('change events: what each write emits', () => {
  let t: TestApp;
  let feed: FeedFollower;
  const mentorId = 'mntr_events_one';

  before(async () => {
    t = await startTestApp();
    feed = new FeedFollower(t.http);
    await feed.skipToEnd();
  });
  after(() => t.close());

  it('a new profile: mentor.profile.upserted with the profile as GET shows it, and no eligibility event (it was not eligible and still is not)', async () => {
    const put = await request(t.http).put(`/api/v1/mentors/${mentorId}`).send({ full_name: 'Eve Events', chapter_id: 'chpt_ev' });
    assert.equal(put.status, 201);
    const events = await feed.next();
    assert.deepEqual(types(events), ['mentor.profile.upserted']);
    assertCloudEvent(events[0]);
    assert.equal(events[0].subject, mentorId);
    const got = await request(t.http).get(`/api/v1/mentors/${mentorId}`);
    assert.deepEqual(events[0].data, got.body);
  });

  it('a status change: mentor.status.changed with previous_status, then the eligibility flip it caused', async () => {
    const post = await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: mentorId, status: 'active', changed_by: 'user_ev' });
    assert.equal(post.status, 201);
    const events = await feed.next();
    assert.deepEqual(types(events), ['mentor.status.changed', 'mentor.eligibility.changed']);
    events.forEach(assertCloudEvent);
    const got = await request(t.http).get(`/api/v1/mentor-statuses/${post.body.mentor_status_id}`);
    assert.deepEqual(events[0].data, got.body);
    assert.equal(events[0].data.previous_status, null);
    assert.deepEqual(events[1].data, {
      mentor_id: mentorId,
      chapter_id: 'chpt_ev',
      is_eligible_for_assignment: true,
      previous_chapter_id: null,
      caused_by: events[0].id,
    });

    const pause = await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: mentorId, status: 'paused', reason: 'Leave', changed_by: 'user_ev' });
    assert.equal(pause.status, 201);
    const paused = await feed.next();
    assert.deepEqual(types(paused), ['mentor.status.changed', 'mentor.eligibility.changed']);
    assert.equal(paused[0].data.previous_status, 'active');
    assert.equal(paused[1].data.is_eligible_for_assignment, false);
  });

  it('rejected writes emit nothing: a no-op transition (409), an unknown mentor (422), a failed If-Match (412), a bad body (400)', async () => {
    const noop = await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: mentorId, status: 'paused', reason: 'Again', changed_by: 'user_ev' });
    assertProblem(noop, 409);
    const unknown = await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: 'mntr_nobody', status: 'active', changed_by: 'user_ev' });
    assertProblem(unknown, 422);
    const stale = await request(t.http).put(`/api/v1/mentors/${mentorId}`).set('if-match', '"stale"').send({ full_name: 'Eve Changed', chapter_id: 'chpt_ev' });
    assertProblem(stale, 412);
    const bad = await request(t.http).post('/api/v1/mentor-suppressions').send({ mentor_id: mentorId, coordinator_id: 'c', reason: 'Not A Code' });
    assertProblem(bad, 400);
    assert.deepEqual(await feed.next(), []);
  });

  it('a reason correction: mentor.status.corrected; the same reason again emits nothing', async () => {
    const { body: log } = await request(t.http).get('/api/v1/mentor-statuses').query({ mentor_id: mentorId, status: 'paused' });
    const id = log.data[0].mentor_status_id;
    assert.equal((await request(t.http).put(`/api/v1/mentor-statuses/${id}`).send({ reason: 'Leave, extended' })).status, 200);
    const events = await feed.next();
    assert.deepEqual(types(events), ['mentor.status.corrected']);
    assert.deepEqual(events[0].data, (await request(t.http).get(`/api/v1/mentor-statuses/${id}`)).body);
    assert.equal((await request(t.http).put(`/api/v1/mentor-statuses/${id}`).send({ reason: 'Leave, extended' })).status, 200);
    assert.deepEqual(await feed.next(), []);
  });

  it('suppressions: created, a second one refused (nothing), restored, corrected, a repeated restore (nothing), deleted', async () => {
    await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: mentorId, status: 'active', changed_by: 'user_ev' }).expect(201);
    await feed.next();
    const made = await request(t.http).post('/api/v1/mentor-suppressions').send({ mentor_id: mentorId, coordinator_id: 'coord_ev', reason: 'conduct_review' });
    assert.equal(made.status, 201);
    const created = await feed.next();
    assert.deepEqual(types(created), ['mentor.suppression.created', 'mentor.eligibility.changed']);
    assert.deepEqual(created[0].data, made.body);
    assert.equal(created[1].data.is_eligible_for_assignment, false);

    assertProblem(
      await request(t.http).post('/api/v1/mentor-suppressions').send({ mentor_id: mentorId, coordinator_id: 'coord_ev', reason: 'conduct_review' }),
      409,
    );
    assert.deepEqual(await feed.next(), []);

    const restored = await request(t.http).put(`/api/v1/mentor-suppressions/${mentorId}`).send({ is_active: false, restore_reason: 'review_cleared' });
    assert.equal(restored.status, 200);
    const restoredEvents = await feed.next();
    assert.deepEqual(types(restoredEvents), ['mentor.suppression.restored', 'mentor.eligibility.changed']);
    assert.deepEqual(restoredEvents[0].data, restored.body);
    assert.equal(restoredEvents[1].data.is_eligible_for_assignment, true);

    const corrected = await request(t.http).put(`/api/v1/mentor-suppressions/${mentorId}`).send({ coordinator_id: 'coord_other' });
    assert.equal(corrected.status, 200);
    const correctedEvents = await feed.next();
    assert.deepEqual(types(correctedEvents), ['mentor.suppression.updated']);
    assert.equal(correctedEvents[0].data.coordinator_id, 'coord_other');

    assert.equal((await request(t.http).put(`/api/v1/mentor-suppressions/${mentorId}`).send({ is_active: false })).status, 200);
    assert.deepEqual(await feed.next(), []);

    assert.equal((await request(t.http).delete(`/api/v1/mentor-suppressions/${mentorId}`)).status, 200);
    const deleted = await feed.next();
    assert.deepEqual(types(deleted), ['mentor.suppression.deleted']);
    assert.deepEqual(deleted[0].data, { mentor_id: mentorId, suppression_ids: [made.body.suppression_id], recorded_by: null });
    assertProblem(await request(t.http).delete(`/api/v1/mentor-suppressions/${mentorId}`), 404);
    assert.deepEqual(await feed.next(), []);
  });

  it('a chapter move of an eligible mentor: the profile event and an eligibility event naming both chapters', async () => {
    assert.equal((await request(t.http).put(`/api/v1/mentors/${mentorId}`).send({ full_name: 'Eve Events', chapter_id: 'chpt_new' })).status, 200);
    const events = await feed.next();
    assert.deepEqual(types(events), ['mentor.profile.upserted', 'mentor.eligibility.changed']);
    assert.deepEqual(events[1].data, {
      mentor_id: mentorId,
      chapter_id: 'chpt_new',
      is_eligible_for_assignment: true,
      previous_chapter_id: 'chpt_ev',
      caused_by: events[0].id,
    });
    assert.equal((await request(t.http).put(`/api/v1/mentors/${mentorId}`).send({ full_name: 'Eve Renamed', chapter_id: 'chpt_new' })).status, 200);
    assert.deepEqual(types(await feed.next()), ['mentor.profile.upserted']);
  });

  it('a deleted status record: mentor.status.deleted with the status the mentor falls back to', async () => {
    const { body: log } = await request(t.http).get('/api/v1/mentor-statuses').query({ mentor_id: mentorId });
    const [latest, previous] = log.data;
    assert.equal((await request(t.http).delete(`/api/v1/mentor-statuses/${latest.mentor_status_id}`)).status, 200);
    const events = await feed.next();
    assert.deepEqual(types(events), ['mentor.status.deleted', 'mentor.eligibility.changed']);
    assert.equal(events[0].data.mentor_status_id, latest.mentor_status_id);
    assert.equal(events[0].data.current_status, previous.status);
    assert.equal(events[1].data.is_eligible_for_assignment, false);
  });

  it("the certification sweep's set-based writes emit one event per mentor changed, each with its eligibility flip", async () => {
    const expiring = ['mntr_events_cert_a', 'mntr_events_cert_b'];
    for (const id of expiring) {
      await request(t.http)
        .put(`/api/v1/mentors/${id}`)
        .send({ full_name: id, chapter_id: 'chpt_cert', certification_expires_at: '2020-01-01T00:00:00Z' })
        .expect(201);
      await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: id, status: 'active', changed_by: 'user_ev' }).expect(201);
    }
    await feed.next();
    assert.equal((await request(t.http).post('/api/v1/certification-sweeps')).status, 200);
    const events = await feed.next();
    for (const id of expiring) {
      const own = events.filter((event) => event.subject === id);
      assert.deepEqual(types(own), ['mentor.status.changed', 'mentor.eligibility.changed', 'mentor.suppression.created'], id);
      assert.equal(own[0].data.changed_by, 'system_auto_pause');
      assert.equal(own[2].data.coordinator_id, 'system');
    }
    assert.equal(events.length, 6);

    for (const id of expiring) {
      await request(t.http)
        .put(`/api/v1/mentors/${id}`)
        .send({ full_name: id, chapter_id: 'chpt_cert', certification_expires_at: '2999-01-01T00:00:00Z' })
        .expect(200);
    }
    await feed.next();
    assert.equal((await request(t.http).post('/api/v1/certification-sweeps')).status, 200);
    const renewed = await feed.next();
    for (const id of expiring) {
      assert.deepEqual(
        types(renewed.filter((event) => event.subject === id)),
        ['mentor.suppression.restored', 'mentor.status.changed', 'mentor.eligibility.changed'],
        id,
      );
    }
  });
});

describe('the change feed', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('refuses bad input with 400 naming the field', async () => {
    for (const [query, field] of [
      [{ limit: 0 }, 'limit'],
      [{ limit: 501 }, 'limit'],
      [{ limit: 'many' }, 'limit'],
      [{ types: 'mentor.status.exploded' }, 'types'],
      [{ types: 'mentor.status.changed,' }, 'types'],
      [{ mentor_id: 'not a mentor!' }, 'mentor_id'],
      [{ after: 'garbage' }, 'after'],
      [{ after: 'WzEsIm1jbmRvRVdaIiwwLCI3NDIiLCIzIl0.0x2vQ8h3RcS' }, 'after'],
      [{ wait: 31 }, 'wait'],
      [{ wait: 0 }, 'wait'],
      [{ page: 2 }, 'page'],
    ] as const) {
      assertProblem(await request(t.http).get('/api/v1/events').query(query), 400, [field]);
    }
  });

  it('always gives a next_cursor: on an empty feed one for the beginning, and the same one back while nothing is new', async () => {
    const first = await readFeed(t.http, {});
    assert.deepEqual(first.data, []);
    assert.equal(typeof first.next_cursor, 'string');
    const again = await readFeed(t.http, { after: first.next_cursor });
    assert.deepEqual(again, { data: [], next_cursor: first.next_cursor });
  });

  it('pages with limit, filters by types and mentor_id, and moves a filtered reader past what it does not want', async () => {
    for (const id of ['mntr_feed_a', 'mntr_feed_b']) {
      await request(t.http).put(`/api/v1/mentors/${id}`).send({ full_name: id, chapter_id: 'chpt_feed' }).expect(201);
      await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: id, status: 'active', changed_by: 'user_feed' }).expect(201);
    }
    const all: FeedEvent[] = [];
    let cursor: string | undefined;
    const deadline = Date.now() + 30_000;
    while (all.length < 6 && Date.now() < deadline) {
      const page = await readFeed(t.http, { after: cursor, limit: 2, wait: 2 });
      assert.ok(page.data.length <= 2);
      all.push(...page.data);
      cursor = page.next_cursor;
    }
    assert.deepEqual(
      all.map((event) => `${event.subject} ${event.type}`),
      [
        'mntr_feed_a mentor.profile.upserted',
        'mntr_feed_a mentor.status.changed',
        'mntr_feed_a mentor.eligibility.changed',
        'mntr_feed_b mentor.profile.upserted',
        'mntr_feed_b mentor.status.changed',
        'mntr_feed_b mentor.eligibility.changed',
      ],
    );
    const onlyB = await readFeed(t.http, { mentor_id: 'mntr_feed_b', types: 'mentor.status.changed,mentor.eligibility.changed' });
    assert.deepEqual(types(onlyB.data), ['mentor.status.changed', 'mentor.eligibility.changed']);
    const none = await readFeed(t.http, { types: 'mentor.suppression.deleted' });
    assert.deepEqual(none.data, []);
    assert.deepEqual(await readFeed(t.http, { after: none.next_cursor }), { data: [], next_cursor: none.next_cursor }, 'the filtered reader moved to the end');
  });

  it('holds an empty long poll for `wait` seconds, then answers with the same cursor', async () => {
    const { next_cursor } = await readFeed(t.http, { limit: 500 });
    const started = Date.now();
    const answer = await readFeed(t.http, { after: next_cursor, wait: 1 });
    assert.deepEqual(answer, { data: [], next_cursor });
    assert.ok(Date.now() - started >= 900, 'it waited');
  });

  it('never shows a later commit before an earlier transaction: the open one holds it back, then both come in transaction order', async () => {
    await request(t.http).put('/api/v1/mentors/mntr_ooo_late').send({ full_name: 'Late', chapter_id: 'chpt_feed' }).expect(201);
    await request(t.http).put('/api/v1/mentors/mntr_ooo_early').send({ full_name: 'Early', chapter_id: 'chpt_feed' }).expect(201);
    const follower = new FeedFollower(t.http);
    await follower.skipToEnd();
    const from = follower.position;

    // The earlier transaction: it has its id and its event, and has not committed.
    let commit!: () => void;
    const committing = new Promise<void>((resolve) => (commit = resolve));
    let recorded!: () => void;
    const hasRecorded = new Promise<void>((resolve) => (recorded = resolve));
    const earlier = t.app.get(Sql).tx(async (tx) => {
      await t.app.get(EventsService).record(tx, [{ type: 'mentor.profile.upserted', subject: 'mntr_ooo_early', data: { first: true } }]);
      recorded();
      await committing;
    });
    try {
      await hasRecorded;
      // The later transaction commits through the API.
      const later = await request(t.http)
        .post('/api/v1/mentor-statuses')
        .send({ mentor_id: 'mntr_ooo_late', status: 'paused', reason: 'Later', changed_by: 'user_feed' });
      assert.equal(later.status, 201);
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM event_outbox WHERE subject = 'mntr_ooo_late' AND type = 'mentor.status.changed'`);
      assert.equal(rows[0].n, 1, 'the later event has committed');
      assert.ok(from);
      const whileOpen = await readFeed(t.http, { after: from, wait: 1 });
      assert.deepEqual(whileOpen, { data: [], next_cursor: from }, 'the later commit is held back while the earlier transaction is open');
      const waiting = readFeed(t.http, { after: from, wait: 30 });
      commit();
      await earlier;
      const woken = await waiting;
      assert.ok(woken.data.length >= 1);
      const rest = await readFeed(t.http, { after: woken.next_cursor, limit: 500 });
      const both = [...woken.data, ...rest.data].filter((event) => event.subject.startsWith('mntr_ooo_'));
      assert.deepEqual(
        both.map((event) => `${event.subject} ${event.type}`),
        ['mntr_ooo_early mentor.profile.upserted', 'mntr_ooo_late mentor.status.changed'],
      );
      assert.deepEqual(both[0].data, { first: true });
    } finally {
      commit();
      await earlier;
    }
  });

  it('is not held back by a writing transaction open in another database of the same server', async () => {
    await request(t.http).put('/api/v1/mentors/mntr_other_db').send({ full_name: 'Other Database', chapter_id: 'chpt_feed' }).expect(201);
    const follower = new FeedFollower(t.http);
    await follower.skipToEnd();
    const from = follower.position;
    assert.ok(from);
    // The admin database the suites' databases are made from: another database on the same cluster.
    const elsewhere = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await elsewhere.connect();
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()');
      const posted = await request(t.http)
        .post('/api/v1/mentor-statuses')
        .send({ mentor_id: 'mntr_other_db', status: 'paused', reason: 'Elsewhere', changed_by: 'user_feed' });
      assert.equal(posted.status, 201);
      const page = await readFeed(t.http, { after: from, mentor_id: 'mntr_other_db', wait: 5 });
      assert.deepEqual(types(page.data), ['mentor.status.changed'], 'the feed shows the commit while the other transaction is still open');
    } finally {
      await elsewhere.query('ROLLBACK');
      await elsewhere.end();
    }
  });
});
