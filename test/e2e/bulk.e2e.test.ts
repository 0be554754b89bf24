import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request, { Response } from 'supertest';
import { FeedEvent, FeedFollower } from '../support/event-feed.js';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { waitUntil } from '../support/poll.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const STATUSES = '/api/v1/mentor-statuses';
const SUPPRESSIONS = '/api/v1/mentor-suppressions';

interface ItemResult {
  index: number;
  status: number;
  body?: Record<string, unknown>;
  problem?: Record<string, unknown>;
}

const pause = (mentorId: string, reason = 'Leave') => ({ mentor_id: mentorId, status: 'paused', reason, changed_by: 'user_bulk' });
const activate = (mentorId: string) => ({ mentor_id: mentorId, status: 'active', changed_by: 'user_bulk' });
const suppression = (mentorId: string, reason = 'conduct_review') => ({ mentor_id: mentorId, coordinator_id: 'coord_bulk', reason });

/** The batch was processed: 200, one result per item in order, each with a body (201) or a problem (4xx). */
function assertResults(response: Response, expected: number[]): ItemResult[] {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const results = response.body.results as ItemResult[];
  assert.deepEqual(
    results.map((result) => result.status),
    expected,
    JSON.stringify(results),
  );
  results.forEach((result, index) => {
    assert.equal(result.index, index);
    if (result.status === 201) {
      assert.deepEqual(Object.keys(result).sort(), ['body', 'index', 'status']);
    } else {
      assert.deepEqual(Object.keys(result).sort(), ['index', 'problem', 'status']);
      assert.equal(result.problem!.status, result.status);
      for (const member of ['type', 'title', 'detail', 'instance']) assert.equal(typeof result.problem![member], 'string', member);
    }
  });
  return results;
}

describe('bulk writes: POST /api/v1/mentor-statuses/bulk and /api/v1/mentor-suppressions/bulk', () => {
  let t: TestApp;
  let feed: FeedFollower;
  let mentors = 0;

  before(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '4096', BULK_BODY_LIMIT_BYTES: '200000' });
    feed = new FeedFollower(t.http);
  });
  after(() => t.close());

  /** New mentors with profiles (and, given a status, a first record with it). */
  const newMentors = async (count: number, status?: 'active' | 'paused'): Promise<string[]> => {
    const ids = Array.from({ length: count }, () => `mntr_bulk_${++mentors}`);
    await t.db.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id, created_at, updated_at) SELECT id, 'Bulk ' || id, 'chpt_bulk', now(), now() FROM unnest($1::text[]) AS id`,
      [ids],
    );
    if (status) {
      const first = await request(t.http)
        .post(`${STATUSES}/bulk`)
        .send({ items: ids.map((id) => (status === 'active' ? activate(id) : pause(id))) });
      assertResults(
        first,
        ids.map(() => 201),
      );
    }
    return ids;
  };
  const bulkStatuses = (body: unknown) =>
    request(t.http)
      .post(`${STATUSES}/bulk`)
      .send(body as object);
  const bulkSuppressions = (body: unknown) =>
    request(t.http)
      .post(`${SUPPRESSIONS}/bulk`)
      .send(body as object);
  const historyOf = async (mentorId: string) =>
    (
      await t.db.query<{ id: string; status: string; changed_at: Date }>(
        'SELECT id, status, changed_at FROM mentor_status_records WHERE mentor_id = $1 AND deleted_at IS NULL ORDER BY changed_at, id',
        [mentorId],
      )
    ).rows;
  /** What a write adds to; the feed's markers aside. */
  const counts = async () =>
    (
      await t.db.query(
        `SELECT (SELECT count(*) FROM mentor_status_records)::int AS records, (SELECT count(*) FROM mentor_suppressions)::int AS suppressions,
                (SELECT count(*) FROM event_outbox WHERE subject NOT LIKE 'mntr_feed_marker_%')::int AS events`,
      )
    ).rows[0] as { records: number; suppressions: number; events: number };
  const types = (events: FeedEvent[]) => events.map((event) => `${event.type} ${event.subject}`);

  describe('status changes', () => {
    it('writes every item as the single POST would, answers 200 with its record, and records the same events', async () => {
      const [a, b, c] = await newMentors(3);
      await feed.skipToEnd();
      const response = await bulkStatuses({ items: [activate(a), pause(b, 'Parental leave'), activate(c)] });
      const results = assertResults(response, [201, 201, 201]);
      assert.deepEqual([response.body.dry_run, response.body.atomic, response.body.committed], [false, false, true]);
      for (const [index, mentorId] of [a, b, c].entries()) {
        const got = await request(t.http).get(`${STATUSES}/${results[index].body!.mentor_status_id as string}`);
        assert.equal(got.status, 200);
        const { previous_status, ...record } = got.body as Record<string, unknown>;
        assert.deepEqual(results[index].body, record, 'the body is the record as the single POST answers it');
        assert.equal(previous_status, null);
        assert.equal(record.mentor_id, mentorId);
      }
      assert.equal(results[1].body!.reason, 'Parental leave');

      const events = await feed.next();
      assert.deepEqual(types(events), [
        `mentor.status.changed ${a}`,
        `mentor.status.changed ${b}`,
        `mentor.status.changed ${c}`,
        `mentor.eligibility.changed ${a}`,
        `mentor.eligibility.changed ${c}`,
      ]);
      for (const [index, event] of events.slice(0, 3).entries()) assert.deepEqual(event.data, { ...results[index].body, previous_status: null });
      assert.equal(events[3].data.caused_by, events[0].id);
      assert.equal(events[4].data.caused_by, events[2].id);
    });

    it('without atomic, each item stands alone: the valid ones are written, the others answer what the single POST would', async () => {
      const [a, b] = await newMentors(2, 'active');
      await feed.skipToEnd();
      const before = await counts();
      const response = await bulkStatuses({
        items: [pause(a), activate(b), { mentor_id: b, status: 'paused', changed_by: 'user_bulk' }, activate('mntr_bulk_nobody'), pause(b)],
      });
      const results = assertResults(response, [201, 409, 400, 422, 201]);
      assert.equal(response.body.committed, true);
      assert.equal(results[1].problem!.type, '/problems/no-op-transition');
      assert.deepEqual(results[2].problem!.errors, [
        { field: 'reason', message: 'reason must be a string of 1 to 500 characters; it is required when status is paused' },
      ]);
      assert.equal(results[3].problem!.type, '/problems/unknown-mentor');
      assert.equal(results[3].problem!.instance, `${STATUSES}/bulk`);
      assert.equal((await counts()).records, before.records + 2);
      assert.deepEqual(types(await feed.next()), [
        `mentor.status.changed ${a}`,
        `mentor.status.changed ${b}`,
        `mentor.eligibility.changed ${a}`,
        `mentor.eligibility.changed ${b}`,
      ]);
    });

    it("an item's refusal is exactly the single POST's answer to that body, whatever is wrong with it", async () => {
      const [a] = await newMentors(1, 'paused');
      const bodies: Record<string, unknown>[] = [
        pause(a),
        { ...activate(a), extra: 1 },
        { ...activate(a), constructor: 'x' },
        { ...activate(a), reason: 'bad\u0000text' },
        { ...activate(a), status: 'retired' },
        { mentor_id: 42, status: 'active' },
        {},
        activate('mntr_bulk_nobody'),
        { ...pause(a), reason_code: 'no_such_code' },
        { ...activate(a), resume_at: '2030-01-01T00:00:00.000Z' },
        { ...activate(a), reason_code: 'personal_leave' },
      ];
      const response = await bulkStatuses({ items: bodies });
      const results = assertResults(response, [409, 400, 400, 400, 400, 400, 400, 422, 422, 400, 400]);
      assert.equal(results[8].problem!.type, '/problems/unknown-reason-code');
      for (const [index, body] of bodies.entries()) {
        const single = await request(t.http).post(STATUSES).send(body);
        assert.equal(single.status, results[index].status, JSON.stringify(body));
        const { instance, ...problem } = results[index].problem!;
        const { instance: singleInstance, ...singleProblem } = single.body as Record<string, unknown>;
        assert.deepEqual(problem, singleProblem, JSON.stringify(body));
        assert.deepEqual([instance, singleInstance], [`${STATUSES}/bulk`, STATUSES]);
      }
      assert.equal((await historyOf(a)).length, 1, 'nothing written');
    });

    it('items of one mentor are applied in order, each deciding against the one before it', async () => {
      const [a] = await newMentors(1, 'active');
      await feed.skipToEnd();
      const response = await bulkStatuses({ items: [pause(a, 'First'), pause(a, 'Second'), activate(a), activate(a), pause(a, 'Third')] });
      const results = assertResults(response, [201, 409, 201, 409, 201]);
      assert.match(results[1].problem!.detail as string, new RegExp(`already paused \\(record ${results[0].body!.mentor_status_id as string}\\)`));
      assert.match(results[3].problem!.detail as string, new RegExp(`already active \\(record ${results[2].body!.mentor_status_id as string}\\)`));
      const history = await historyOf(a);
      assert.deepEqual(
        history.map((record) => record.status),
        ['active', 'paused', 'active', 'paused'],
      );
      assert.deepEqual(
        history.slice(1).map((record) => record.id),
        [0, 2, 4].map((index) => results[index].body!.mentor_status_id),
      );
      for (let i = 1; i < history.length; i++) assert.ok(history[i].changed_at > history[i - 1].changed_at, 'changed_at strictly increases');
      const events = await feed.next();
      assert.deepEqual(
        events.map((event) => [event.type, event.data.previous_status]),
        [
          ['mentor.status.changed', 'active'],
          ['mentor.status.changed', 'paused'],
          ['mentor.status.changed', 'active'],
          ['mentor.eligibility.changed', undefined],
        ],
      );
      assert.equal(events[3].data.caused_by, events[2].id, 'the eligibility flip is caused by the event that left the mentor paused');
    });

    it('a mentor paused and resumed within one batch records its two changes and no eligibility flip', async () => {
      const [a] = await newMentors(1, 'active');
      await feed.skipToEnd();
      assertResults(await bulkStatuses({ items: [pause(a), activate(a)] }), [201, 201]);
      assert.deepEqual(types(await feed.next()), [`mentor.status.changed ${a}`, `mentor.status.changed ${a}`]);
    });

    it('dry_run decides every item against the current data but writes nothing and emits no events', async () => {
      const [a, b] = await newMentors(2, 'active');
      await feed.skipToEnd();
      const before = await counts();
      const response = await bulkStatuses({ dry_run: true, items: [pause(a), pause(a), activate(b), pause('mntr_bulk_nobody')] });
      const results = assertResults(response, [201, 409, 409, 422]);
      assert.deepEqual([response.body.dry_run, response.body.committed], [true, false]);
      assert.equal(results[0].body!.status, 'paused');
      assert.deepEqual(await counts(), before);
      assert.deepEqual(await feed.next(), []);
      assert.equal((await historyOf(a)).length, 1);
      const got = await request(t.http).get(`${STATUSES}/${results[0].body!.mentor_status_id as string}`);
      assertProblem(got, 404);
    });

    it('atomic: one failed item and nothing is written, no event is recorded, and every item still has its result', async () => {
      const [a, b] = await newMentors(2, 'active');
      await feed.skipToEnd();
      const before = await counts();
      const response = await bulkStatuses({ atomic: true, items: [pause(a), pause(b), activate('mntr_bulk_nobody'), pause(b)] });
      assertResults(response, [201, 201, 422, 409]);
      assert.deepEqual([response.body.atomic, response.body.committed], [true, false]);
      assert.deepEqual(await counts(), before);
      assert.deepEqual(await feed.next(), []);

      const invalid = await bulkStatuses({ atomic: true, items: [pause(a), { ...pause(b), extra: true }] });
      assertResults(invalid, [201, 400]);
      assert.equal(invalid.body.committed, false);
      assert.deepEqual(await counts(), before);
    });

    it('atomic with every item valid commits them all', async () => {
      const [a, b] = await newMentors(2, 'active');
      const response = await bulkStatuses({ atomic: true, items: [pause(a), pause(b)] });
      assertResults(response, [201, 201]);
      assert.equal(response.body.committed, true);
      assert.equal((await historyOf(a)).at(-1)!.status, 'paused');
      assert.equal((await historyOf(b)).at(-1)!.status, 'paused');
    });

    it('takes 500 items, and 0 or 501 are 400 with nothing written', async () => {
      const ids = await newMentors(500);
      assertResults(
        await bulkStatuses({ items: ids.map((id) => activate(id)) }),
        ids.map(() => 201),
      );
      const before = await counts();
      for (const items of [[], ids.concat('mntr_bulk_one_more').map((id) => pause(id))]) {
        const response = await bulkStatuses({ items });
        assertProblem(response, 400, ['items']);
        assert.equal(response.body.errors[0].message, 'items must be an array of 1 to 500 JSON objects');
      }
      assert.deepEqual(await counts(), before);
    });

    it('a malformed batch is 400 as a whole: no items array, items that are not objects, unknown keys, wrong option types', async () => {
      const [a] = await newMentors(1);
      const before = await counts();
      const cases: [unknown, string[]][] = [
        [{}, ['items']],
        [{ items: pause(a) }, ['items']],
        [{ items: 'all' }, ['items']],
        [{ items: [pause(a), 1] }, ['items']],
        [{ items: [pause(a), null] }, ['items']],
        [{ items: [[pause(a)]] }, ['items']],
        [{ items: [pause(a)], force: true }, ['force']],
        [{ items: [pause(a)], __proto__x: 1, constructor: 1 }, ['__proto__x', 'constructor']],
        [{ items: [pause(a)], dry_run: 'yes' }, ['dry_run']],
        [{ items: [pause(a)], atomic: null }, ['atomic']],
        [[pause(a)], ['body']],
      ];
      for (const [body, fields] of cases) {
        const response = await bulkStatuses(body);
        assertProblem(response, 400, fields);
      }
      assert.deepEqual(await counts(), before);
    });
  });

  describe('suppressions', () => {
    it('suppresses each mentor as the single POST would, with its events; a second one for a mentor in the batch is 409 naming the first', async () => {
      const [a, b] = await newMentors(2, 'active');
      await feed.skipToEnd();
      const response = await bulkSuppressions({
        items: [suppression(a), suppression(b, 'certification_expired'), suppression(a), suppression('mntr_bulk_nobody')],
      });
      const results = assertResults(response, [201, 201, 409, 422]);
      const got = await request(t.http).get(`${SUPPRESSIONS}/${a}`);
      assert.deepEqual(results[0].body, got.body);
      assert.equal(results[2].problem!.type, '/problems/active-suppression-exists');
      assert.equal(results[2].problem!.suppression_id, results[0].body!.suppression_id);
      const events = await feed.next();
      assert.deepEqual(types(events), [
        `mentor.suppression.created ${a}`,
        `mentor.suppression.created ${b}`,
        `mentor.eligibility.changed ${a}`,
        `mentor.eligibility.changed ${b}`,
      ]);
      assert.deepEqual(events[0].data, results[0].body);

      const again = await bulkSuppressions({ items: [suppression(b)] });
      const [conflict] = assertResults(again, [409]);
      const single = await request(t.http).post(SUPPRESSIONS).send(suppression(b));
      assertProblem(single, 409);
      assert.deepEqual({ ...conflict.problem, instance: SUPPRESSIONS }, single.body);
    });

    it('dry_run and a failed atomic batch write no suppression and emit nothing', async () => {
      const [a, b] = await newMentors(2, 'active');
      await feed.skipToEnd();
      const before = await counts();
      assertResults(await bulkSuppressions({ dry_run: true, items: [suppression(a), suppression(b)] }), [201, 201]);
      const atomic = await bulkSuppressions({ atomic: true, items: [suppression(a), suppression(b, 'Not A Code')] });
      assertResults(atomic, [201, 400]);
      assert.equal(atomic.body.committed, false);
      assert.deepEqual(await counts(), before);
      assert.deepEqual(await feed.next(), []);
      assertProblem(await request(t.http).get(`${SUPPRESSIONS}/${a}`), 404);
    });
  });

  describe('limits and retries', () => {
    it('the bulk routes take bodies up to BULK_BODY_LIMIT_BYTES while the single POSTs keep BODY_LIMIT_BYTES; beyond it 413 problem+json', async () => {
      const ids = await newMentors(60);
      const items = ids.map((id) => pause(id, 'x'.repeat(100)));
      const body = { items };
      assert.ok(JSON.stringify(body).length > 4096, 'larger than BODY_LIMIT_BYTES');
      assertResults(
        await bulkStatuses(body),
        ids.map(() => 201),
      );
      assertProblem(
        await request(t.http)
          .post(STATUSES)
          .send({ ...pause(ids[0]), reason: 'y'.repeat(5000) }),
        413,
      );

      const before = await counts();
      const oversized = { items: Array.from({ length: 450 }, (_, index) => pause(ids[index % ids.length], 'z'.repeat(450))) };
      assert.ok(JSON.stringify(oversized).length > 200_000);
      for (const route of [`${STATUSES}/bulk`, `${SUPPRESSIONS}/bulk`]) {
        const response = await request(t.http).post(route).send(oversized);
        assertProblem(response, 413);
      }
      assert.deepEqual(await counts(), before);
    });

    it('an Idempotency-Key covers the whole batch: the retry gets the same answer and writes nothing; another batch with the key is 422', async () => {
      const [a, b] = await newMentors(2, 'active');
      const batch = { items: [pause(a), pause(b), pause(a)] };
      const first = await bulkStatuses(batch).set('Idempotency-Key', 'bulk-key-1');
      assertResults(first, [201, 201, 409]);
      await feed.skipToEnd();
      const before = await counts();
      const retry = await request(t.http).post(`${STATUSES}/bulk`).set('Idempotency-Key', 'bulk-key-1').send(batch);
      assert.equal(retry.status, 200);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.deepEqual(retry.body, first.body);
      assert.deepEqual(await counts(), before);
      assert.deepEqual(await feed.next(), []);
      const other = await request(t.http)
        .post(`${STATUSES}/bulk`)
        .set('Idempotency-Key', 'bulk-key-1')
        .send({ items: [activate(a)] });
      assertProblem(other, 422);
      assert.equal(other.body.type, '/problems/idempotency-key-reused');
    });
  });

  describe('races', () => {
    const waiters = async () =>
      (
        await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        )
      ).rows[0].n;

    it('a bulk and a single POST pausing one mentor at once: exactly one wins, the other is 409, the history stays ordered', async () => {
      for (let round = 0; round < 4; round++) {
        const [a, b] = await newMentors(2, 'active');
        const release = await holdMentorHistory(t.db, a);
        const bulk = bulkStatuses({ items: [pause(b), pause(a, 'Bulk')] }).then((response) => response);
        const single = request(t.http)
          .post(STATUSES)
          .send(pause(a, 'Single'))
          .then((response) => response);
        await waitUntil(async () => (await waiters()) === 2, 'the bulk and the single POST wait for the mentor');
        await release();
        const [bulkAnswer, singleAnswer] = await Promise.all([bulk, single]);
        const [, bulkItem] = assertResults(bulkAnswer, [201, bulkAnswer.body.results[1].status as number]);
        const outcomes = [bulkItem.status, singleAnswer.status].sort();
        assert.deepEqual(outcomes, [201, 409], `round ${round}: ${JSON.stringify([bulkItem, singleAnswer.body])}`);
        const winner = bulkItem.status === 201 ? 'Bulk' : 'Single';
        const history = await historyOf(a);
        assert.deepEqual(
          history.map((record) => record.status),
          ['active', 'paused'],
        );
        assert.ok(history[1].changed_at > history[0].changed_at);
        const { rows } = await t.db.query('SELECT reason FROM mentor_current_statuses WHERE mentor_id = $1', [a]);
        assert.equal(rows[0].reason, winner, 'the current status is the winner, no update lost');
      }
    });

    it('two bulks over one set of mentors in opposite orders both finish: no deadlock, each mentor changed once', async () => {
      for (let round = 0; round < 3; round++) {
        const ids = await newMentors(20, 'active');
        const reversed = [...ids].reverse();
        // Both wait, one on the first mentor of its items and one on the first of the other's, so that neither has begun.
        const release = await holdMentorHistory(t.db, [ids[0], reversed[0]]);
        const forward = bulkStatuses({ items: ids.map((id) => pause(id, 'Forward')) }).then((response) => response);
        const backward = bulkStatuses({ items: reversed.map((id) => pause(id, 'Backward')) }).then((response) => response);
        await waitUntil(async () => (await waiters()) === 2, 'both bulks wait for the held mentors');
        await release();
        const [one, two] = await Promise.all([forward, backward]);
        assert.equal(one.status, 200, JSON.stringify(one.body));
        assert.equal(two.status, 200, JSON.stringify(two.body));
        const won = [one, two].map((answer) => (answer.body.results as ItemResult[]).filter((result) => result.status === 201).length);
        assert.deepEqual(won.sort(), [0, 20], 'one bulk took every mentor first, the other found them paused');
        for (const id of ids)
          assert.deepEqual(
            (await historyOf(id)).map((record) => record.status),
            ['active', 'paused'],
          );
      }
    });
  });

  it('documents both routes with named schemas: the request, the 200 answer and its per-item results', async () => {
    const { body } = await request(t.http).get('/docs-json');
    for (const [path, operationId, request, result, item, itemBody] of [
      [
        `${STATUSES}/bulk`,
        'bulkCreateMentorStatuses',
        'MentorStatusBulkDto',
        'MentorStatusBulkResultDto',
        'MentorStatusBulkItemResultDto',
        'CreatedMentorStatusDto',
      ],
      [
        `${SUPPRESSIONS}/bulk`,
        'bulkCreateMentorSuppressions',
        'MentorSuppressionBulkDto',
        'MentorSuppressionBulkResultDto',
        'MentorSuppressionBulkItemResultDto',
        'MentorSuppressionDto',
      ],
    ]) {
      const operation = body.paths[path].post;
      assert.equal(operation.operationId, operationId);
      assert.equal(operation.requestBody.content['application/json'].schema.$ref, `#/components/schemas/${request}`);
      assert.equal(operation.responses['200'].content['application/json'].schema.$ref, `#/components/schemas/${result}`);
      assert.ok(operation.responses['413'] && operation.responses['400']);
      const schemas = body.components.schemas;
      assert.equal(schemas[request].properties.items.maxItems, 500);
      assert.equal(schemas[request].additionalProperties, false);
      assert.equal(schemas[result].properties.results.items.$ref, `#/components/schemas/${item}`);
      assert.equal(schemas[item].properties.body.$ref ?? schemas[item].properties.body.allOf?.[0].$ref, `#/components/schemas/${itemBody}`);
    }
  });
});
