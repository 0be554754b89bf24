import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import request from 'supertest';
import { MetricsService } from '../../src/common/metrics/metrics.service.js';
import { RESUME_REASON, RESUMED_BY, ResumeSweepService } from '../../src/resume/resume-sweep.service.js';
import { StatusService } from '../../src/status/status.service.js';
import { FeedFollower } from '../support/event-feed.js';
import { holdMentorHistory } from '../support/mentor-history-lock.js';
import { waitUntil } from '../support/poll.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

const T0 = '2030-05-01T08:00:00.000Z';
const HOUR = 60 * 60 * 1000;
const CHAPTER = 'chpt_resume';

interface HistoryRow {
  status: string;
  reason: string | null;
  changed_by: string;
  resume_at: string | null;
}

/** The API calls the scenarios share, against one app. */
function api(t: () => TestApp) {
  const profile = async (mentorId: string) =>
    assert.equal((await request(t().http).put(`/api/v1/mentors/${mentorId}`).send({ full_name: mentorId, chapter_id: CHAPTER })).status, 201);
  const change = async (mentorId: string, status: 'active' | 'paused', extra: object = {}) => {
    const response = await request(t().http)
      .post('/api/v1/mentor-statuses')
      .send({ mentor_id: mentorId, status, changed_by: 'user_coord', ...(status === 'paused' && { reason: 'Away' }), ...extra });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body as { mentor_status_id: string; changed_at: string };
  };
  const history = async (mentorId: string): Promise<HistoryRow[]> =>
    (await request(t().http).get(`/api/v1/mentor-statuses?mentor_id=${mentorId}&limit=100`)).body.data;
  const sweep = async () => (await t().app.get(ResumeSweepService).sweepIfFree())?.resumed.sort();
  return { profile, change, history, sweep };
}

/** Sessions waiting for an advisory lock of this database. */
async function advisoryLockWaiters(db: pg.Pool): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows[0].n;
}

describe('the resume sweep', () => {
  const clock = new TestClock(T0);
  const at = (offset: number) => new Date(clock.now().getTime() + offset).toISOString();
  let t: TestApp;
  let feed: FeedFollower;
  const { profile, change, history, sweep } = api(() => t);

  before(async () => {
    t = await startTestApp({}, { clock });
    feed = new FeedFollower(t.http);
  });
  after(() => t.close());

  it('writes active by system_auto_resume at resume_at, not a millisecond before, with its events', async () => {
    await profile('mntr_rs_a');
    await change('mntr_rs_a', 'active');
    const resumeAt = at(HOUR);
    await change('mntr_rs_a', 'paused', { reason_code: 'personal_leave', resume_at: resumeAt });
    await feed.skipToEnd();

    assert.deepEqual(await sweep(), []);
    clock.set(new Date(Date.parse(resumeAt) - 1).toISOString());
    assert.deepEqual(await sweep(), [], 'one millisecond before resume_at nothing happens');
    clock.set(resumeAt);
    assert.deepEqual(await sweep(), ['mntr_rs_a']);

    const [latest, pause] = await history('mntr_rs_a');
    assert.deepEqual(latest, { ...latest, status: 'active', reason: RESUME_REASON, changed_by: RESUMED_BY, resume_at: null });
    assert.equal(pause.resume_at, resumeAt, 'the pause keeps its resume_at as history');

    const events = await feed.next();
    assert.deepEqual(
      events.map((event) => event.type),
      ['mentor.status.changed', 'mentor.eligibility.changed'],
    );
    const got = await request(t.http).get(`/api/v1/mentor-statuses/${events[0].data.mentor_status_id as string}`);
    assert.deepEqual(events[0].data, got.body);
    assert.equal(events[0].data.previous_status, 'paused');
    assert.deepEqual(events[1].data, {
      mentor_id: 'mntr_rs_a',
      chapter_id: CHAPTER,
      is_eligible_for_assignment: true,
      previous_chapter_id: null,
      caused_by: events[0].id,
    });
    const active = (await request(t.http).get(`/api/v1/chapters/${CHAPTER}/mentors/active`)).body.data;
    assert.deepEqual(
      active.map((row: { mentor_id: string }) => row.mentor_id),
      ['mntr_rs_a'],
    );
  });

  it('changes nothing when repeated, and counts its runs and resumptions', async () => {
    assert.deepEqual(await sweep(), []);
    assert.equal((await history('mntr_rs_a')).length, 3);
    assert.deepEqual(await feed.next(), []);
    const registry = t.app.get(MetricsService).registry;
    const samples = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values ?? [];
    assert.equal((await samples('resume_sweep_runs_total')).find((sample) => sample.labels.outcome === 'completed')?.value, 4);
    assert.equal((await samples('resume_sweep_changes_total')).find((sample) => sample.labels.action === 'resumed')?.value, 1);
  });

  it('never undoes a later manual change: an activation, or a newer pause without an end', async () => {
    await profile('mntr_rs_b');
    await profile('mntr_rs_c');
    await change('mntr_rs_b', 'paused', { resume_at: at(HOUR) });
    await change('mntr_rs_b', 'active');
    await change('mntr_rs_c', 'paused', { resume_at: at(HOUR) });
    await change('mntr_rs_c', 'active');
    await change('mntr_rs_c', 'paused', { reason: 'Indefinitely' });
    clock.advance(2 * HOUR);
    assert.deepEqual(await sweep(), []);
    assert.deepEqual(
      (await history('mntr_rs_b')).map((row) => [row.status, row.changed_by]),
      [
        ['active', 'user_coord'],
        ['paused', 'user_coord'],
      ],
    );
    assert.deepEqual(
      (await history('mntr_rs_c')).map((row) => row.status),
      ['paused', 'active', 'paused'],
    );
  });

  it('follows a corrected resume_at: later means later, null means never', async () => {
    await profile('mntr_rs_d');
    await profile('mntr_rs_e');
    const later = (await change('mntr_rs_d', 'paused', { resume_at: at(HOUR) })).mentor_status_id;
    const never = (await change('mntr_rs_e', 'paused', { resume_at: at(HOUR) })).mentor_status_id;
    assert.equal(
      (
        await request(t.http)
          .put(`/api/v1/mentor-statuses/${later}`)
          .send({ resume_at: at(3 * HOUR) })
      ).status,
      200,
    );
    assert.equal((await request(t.http).put(`/api/v1/mentor-statuses/${never}`).send({ resume_at: null })).status, 200);
    clock.advance(HOUR);
    assert.deepEqual(await sweep(), []);
    clock.advance(2 * HOUR);
    assert.deepEqual(await sweep(), ['mntr_rs_d']);
    clock.advance(365 * 24 * HOUR);
    assert.deepEqual(await sweep(), []);
  });

  it('resumes a suppressed mentor too, who stays hidden: no eligibility event', async () => {
    await profile('mntr_rs_f');
    await change('mntr_rs_f', 'paused', { resume_at: at(HOUR) });
    assert.equal(
      (await request(t.http).post('/api/v1/mentor-suppressions').send({ mentor_id: 'mntr_rs_f', coordinator_id: 'coord_rs', reason: 'conduct_review' })).status,
      201,
    );
    await feed.skipToEnd();
    clock.advance(HOUR);
    assert.deepEqual(await sweep(), ['mntr_rs_f']);
    assert.deepEqual(
      (await feed.next()).map((event) => event.type),
      ['mentor.status.changed'],
    );
  });

  describe('against a POST for the same mentor', () => {
    /**
     * Holds the mentor's history lock while `first` and then `second` queue for it, then lets them go:
     * PostgreSQL grants a lock to its waiters in the order they came.
     */
    const inTurn = async <A, B>(mentorId: string, first: () => PromiseLike<A>, second: () => PromiseLike<B>): Promise<[A, B]> => {
      const release = await holdMentorHistory(t.db, mentorId);
      let answers: Promise<[A, B]>;
      try {
        // Promise.resolve sends a supertest request at once (it is sent when first awaited).
        const a = Promise.resolve(first());
        await waitUntil(async () => (await advisoryLockWaiters(t.db)) === 1, 'the first waits for the lock');
        const b = Promise.resolve(second());
        await waitUntil(async () => (await advisoryLockWaiters(t.db)) === 2, 'the second waits behind it');
        answers = Promise.all([a, b]);
      } finally {
        await release();
      }
      return answers;
    };
    const activate = (mentorId: string) =>
      request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: mentorId, status: 'active', changed_by: 'user_coord' });

    it('a manual activation that gets the lock first wins: the sweep, deciding again under the lock, writes nothing', async () => {
      await profile('mntr_rs_g');
      await change('mntr_rs_g', 'paused', { resume_at: at(HOUR) });
      clock.advance(HOUR);
      const [posted, swept] = await inTurn('mntr_rs_g', () => activate('mntr_rs_g'), sweep);
      assert.equal(posted.status, 201);
      assert.deepEqual(swept, []);
      assert.deepEqual(
        (await history('mntr_rs_g')).map((row) => [row.status, row.changed_by]),
        [
          ['active', 'user_coord'],
          ['paused', 'user_coord'],
        ],
      );
    });

    it('a sweep that gets the lock first resumes; the manual activation after it is a 409 no-op', async () => {
      await profile('mntr_rs_h');
      await change('mntr_rs_h', 'paused', { resume_at: at(HOUR) });
      clock.advance(HOUR);
      const [swept, posted] = await inTurn('mntr_rs_h', sweep, () => activate('mntr_rs_h'));
      assert.deepEqual(swept, ['mntr_rs_h']);
      assert.equal(posted.status, 409);
      assert.deepEqual(
        (await history('mntr_rs_h')).map((row) => [row.status, row.changed_by]),
        [
          ['active', RESUMED_BY],
          ['paused', 'user_coord'],
        ],
      );
    });
  });
});

describe('the resume sweep on two instances', () => {
  const MENTORS = 1100;
  const clock = new TestClock(T0);
  let t: TestApp;
  let second: NestFastifyApplication;
  const expected = Array.from({ length: MENTORS }, (_, i) => `mntr_rs_bulk_${String(i + 1).padStart(5, '0')}`);

  /** Pauses of every bulk mentor, ending `resumeIn` ms after T0, written straight into the tables: the API would take a request per row. */
  const pauseAll = async (resumeIn: number) => {
    await t.db.query(
      `INSERT INTO mentor_status_records (id, mentor_id, status, reason, resume_at, changed_at, changed_by)
       SELECT 'msr_rsbulk' || $4::text || lpad(i::text, 5, '0'), 'mntr_rs_bulk_' || lpad(i::text, 5, '0'), 'paused', 'Bulk leave',
              $2::timestamptz + ($3::int * interval '1 millisecond'), now(), 'user_bulk'
       FROM generate_series(1, $1::int) i`,
      [MENTORS, T0, resumeIn, resumeIn],
    );
  };
  const resumed = async () =>
    (
      await t.db.query<{ records: number; mentors: number }>(
        `SELECT count(*)::int AS records, count(DISTINCT mentor_id)::int AS mentors FROM mentor_status_records WHERE changed_by = $1`,
        [RESUMED_BY],
      )
    ).rows[0];

  before(async () => {
    t = await startTestApp({ RESUME_SWEEP_INTERVAL_SECONDS: '1' }, { clock });
    second = await t.instance({ RESUME_SWEEP_INTERVAL_SECONDS: '1' }, { clock });
    await t.db.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id) SELECT 'mntr_rs_bulk_' || lpad(i::text, 5, '0'), 'Bulk ' || i, 'chpt_rs_bulk' FROM generate_series(1, $1::int) i`,
      [MENTORS],
    );
  });
  after(async () => {
    await second.close();
    await t.close();
  });

  it('both schedules running: every pause that is due is resumed exactly once, in batches', async () => {
    await pauseAll(-HOUR);
    await waitUntil(async () => (await resumed()).mentors === MENTORS, 'every due pause is resumed', 60_000);
    assert.deepEqual(await resumed(), { records: MENTORS, mentors: MENTORS });
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM mentor_current_statuses WHERE status = 'active' AND changed_by = $1`, [RESUMED_BY]);
    assert.equal(rows[0].n, MENTORS);
  });

  it('two sweeps started at once on the two instances resume each mentor once between them', async () => {
    await t.db.query(`DELETE FROM mentor_status_records WHERE mentor_id LIKE 'mntr_rs_bulk_%'`);
    await pauseAll(HOUR);
    // The schedules keep running; the clock is what makes the pauses due, for every sweep at once.
    clock.advance(HOUR);
    const reports = await Promise.all([t.app, second, t.app, second].map((app) => app.get(ResumeSweepService).sweepIfFree()));
    const resumedByThese = reports.flatMap((report) => report?.resumed ?? []);
    assert.equal(new Set(resumedByThese).size, resumedByThese.length, 'no mentor resumed twice');
    await waitUntil(async () => (await resumed()).mentors === MENTORS, 'the schedules finish whatever these left');
    assert.deepEqual(await resumed(), { records: MENTORS, mentors: MENTORS });
  });

  it('are safe even without the sweep lock: the status service writes each resumption once', async () => {
    await t.db.query(`DELETE FROM mentor_status_records WHERE mentor_id LIKE 'mntr_rs_bulk_%'`);
    // Due an hour from now: the schedules see nothing to do while the services are called directly.
    await pauseAll(3 * HOUR);
    const ids = expected.slice(0, 600);
    const due = new Date(Date.parse(T0) + 3 * HOUR);
    const changed = await Promise.all(
      [t.app, second].map((app) =>
        app
          .get(StatusService)
          .changeWhereCurrent(ids, { status: 'paused', resumeAtOrBefore: due }, { status: 'active', reason: 'Race', changedBy: 'system_race' }),
      ),
    );
    assert.deepEqual(changed.flat().sort(), ids);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM mentor_status_records WHERE changed_by = 'system_race'`);
    assert.equal(rows[0].n, ids.length);
  });
});
