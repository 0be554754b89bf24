import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { CertificationSweepService } from '../../src/certification/certification-sweep.service.js';
import { DatabaseLock } from '../../src/database/database-lock.js';
import { StatusService } from '../../src/status/status.service.js';
import { SuppressionService } from '../../src/suppression/suppression.service.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

const T0 = '2030-01-01T00:00:00.000Z';
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const FAR_FUTURE = '2100-01-01T00:00:00.000Z';
const ACTIONS = ['paused', 'suppressed', 'restored', 'reactivated'] as const;

type Action = (typeof ACTIONS)[number];
type Report = Record<Action, { count: number; mentor_ids: string[] }> & { started_at: string; finished_at: string };

const at = (clock: TestClock, offset: number) => new Date(clock.now().getTime() + offset).toISOString();

/** The API calls every scenario needs, against one app. */
function api(t: () => TestApp) {
  const profile = async (mentorId: string, certificationExpiresAt: string | null, chapterId = 'chpt_cert', fullName = mentorId) => {
    const response = await request(t().http)
      .put(`/api/v1/mentors/${mentorId}`)
      .send({ full_name: fullName, chapter_id: chapterId, certification_expires_at: certificationExpiresAt });
    assert.ok([200, 201].includes(response.status), JSON.stringify(response.body));
  };
  const change = async (mentorId: string, status: 'active' | 'paused', reason?: string) => {
    const response = await request(t().http)
      .post('/api/v1/mentor-statuses')
      .send({ mentor_id: mentorId, status, changed_by: 'user_coord', ...(reason !== undefined && { reason }) });
    assert.equal(response.status, 201, JSON.stringify(response.body));
  };
  const sweep = async (): Promise<Report> => {
    const response = await request(t().http).post('/api/v1/certification-sweeps');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };
  /** The report as `{ action: mentor_ids }`, leaving out the actions that did nothing. */
  const changes = (report: Report) =>
    Object.fromEntries(ACTIONS.filter((action) => report[action].count > 0).map((action) => [action, report[action].mentor_ids]));
  const history = async (mentorId: string) => {
    const response = await request(t().http).get(`/api/v1/mentor-statuses?mentor_id=${mentorId}&limit=100`);
    return response.body.data as { status: string; reason: string | null; changed_by: string }[];
  };
  const suppression = async (mentorId: string) => {
    const response = await request(t().http).get(`/api/v1/mentor-suppressions/${mentorId}`);
    return response.status === 404 ? null : response.body;
  };
  const chapterList = async (which: 'active' | 'paused', query = '') => {
    const response = await request(t().http).get(`/api/v1/chapters/chpt_cert/mentors/${which}?limit=100${query}`);
    return response.body.data as { mentor_id: string; is_eligible_for_assignment: boolean; pause_reason?: string }[];
  };
  return { profile, change, sweep, changes, history, suppression, chapterList };
}

describe('certification expiry sweep', () => {
  const clock = new TestClock(T0);
  let t: TestApp;
  before(async () => {
    t = await startTestApp({}, { clock });
  });
  after(() => t.close());
  const { profile, change, sweep, changes, history, suppression, chapterList } = api(() => t);

  it('pauses and hides a mentor at the first sweep at or after the expiry, not before', async () => {
    await profile('ce_a', at(clock, HOUR));
    await change('ce_a', 'active');

    assert.deepEqual(changes(await sweep()), {});
    clock.set(at(clock, HOUR - 1));
    assert.deepEqual(changes(await sweep()), {}, 'one millisecond before the expiry nothing happens');

    clock.advance(1);
    const report = await sweep();
    assert.deepEqual(changes(report), { paused: ['ce_a'], suppressed: ['ce_a'] });
    assert.equal(report.started_at, '2030-01-01T01:00:00.000Z');

    const [latest] = await history('ce_a');
    assert.deepEqual(latest, {
      ...latest,
      status: 'paused',
      reason: 'Certification expired',
      reason_code: 'certification_expired',
      changed_by: 'system_auto_pause',
    });
    const hidden = await suppression('ce_a');
    assert.deepEqual(hidden, { ...hidden, coordinator_id: 'system', reason: 'certification_expired', is_active: true, restored_at: null });
    assert.deepEqual(
      (await chapterList('active', '&include_ineligible=true')).map((row) => row.mentor_id),
      [],
    );
    assert.deepEqual(
      (await chapterList('paused')).map((row) => [row.mentor_id, row.pause_reason]),
      [['ce_a', 'Certification expired']],
    );
  });

  it('changes nothing when repeated', async () => {
    assert.deepEqual(changes(await sweep()), {});
    assert.equal((await history('ce_a')).length, 2);
    const { rows } = await t.db.query("SELECT count(*)::int AS n FROM mentor_suppressions WHERE mentor_id = 'ce_a'");
    assert.equal(rows[0].n, 1);
  });

  it('restores visibility and lifts its own pause once the certification is renewed', async () => {
    await profile('ce_a', FAR_FUTURE);
    assert.deepEqual(changes(await sweep()), { restored: ['ce_a'], reactivated: ['ce_a'] });

    const restored = await suppression('ce_a');
    assert.equal(restored.is_active, false);
    assert.equal(restored.restore_reason, 'certification_renewed');
    assert.match(restored.restored_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const [latest] = await history('ce_a');
    assert.deepEqual(latest, { ...latest, status: 'active', reason: 'Certification renewed', changed_by: 'system_auto_restore' });
    assert.deepEqual(await chapterList('active'), [
      { mentor_id: 'ce_a', full_name: 'ce_a', chapter_id: 'chpt_cert', status: 'active', is_eligible_for_assignment: true },
    ]);
    assert.deepEqual(changes(await sweep()), {});
  });

  it('never undoes a pause it did not make, but still restores its own suppression', async () => {
    await profile('ce_manual', at(clock, HOUR));
    await change('ce_manual', 'active');
    await change('ce_manual', 'paused', 'Personal leave');
    await profile('ce_overruled', at(clock, HOUR));
    await change('ce_overruled', 'active');
    clock.advance(HOUR);
    assert.deepEqual(changes(await sweep()), { paused: ['ce_overruled'], suppressed: ['ce_manual', 'ce_overruled'] });
    // A coordinator takes over the sweep's pause with one of their own.
    await change('ce_overruled', 'active');
    await change('ce_overruled', 'paused', 'Conduct review');

    await profile('ce_manual', FAR_FUTURE);
    await profile('ce_overruled', FAR_FUTURE);
    assert.deepEqual(changes(await sweep()), { restored: ['ce_manual', 'ce_overruled'] });
    for (const [mentorId, reason] of [
      ['ce_manual', 'Personal leave'],
      ['ce_overruled', 'Conduct review'],
    ]) {
      const [latest] = await history(mentorId);
      assert.deepEqual(latest, { ...latest, status: 'paused', reason, changed_by: 'user_coord' });
    }
  });

  it('neither duplicates nor restores a suppression a coordinator made', async () => {
    await profile('ce_coord', at(clock, HOUR));
    await change('ce_coord', 'active');
    const made = await request(t.http)
      .post('/api/v1/mentor-suppressions')
      .send({ mentor_id: 'ce_coord', coordinator_id: 'coord_maya', reason: 'conduct_review' });
    assert.equal(made.status, 201);
    clock.advance(HOUR);
    assert.deepEqual(changes(await sweep()), { paused: ['ce_coord'] });

    await profile('ce_coord', FAR_FUTURE);
    assert.deepEqual(changes(await sweep()), { reactivated: ['ce_coord'] });
    assert.deepEqual(await suppression('ce_coord'), made.body);
  });

  it('pauses again a mentor reactivated by hand while the certification is still expired', async () => {
    await profile('ce_again', at(clock, HOUR));
    await change('ce_again', 'active');
    clock.advance(HOUR);
    assert.deepEqual(changes(await sweep()), { paused: ['ce_again'], suppressed: ['ce_again'] });
    await change('ce_again', 'active');
    assert.deepEqual(changes(await sweep()), { paused: ['ce_again'] });
    await profile('ce_again', FAR_FUTURE);
    assert.deepEqual(changes(await sweep()), { restored: ['ce_again'], reactivated: ['ce_again'] });
  });

  it('only hides a mentor with no status record, and leaves mentors without an expiry alone', async () => {
    await profile('ce_unrecorded', at(clock, HOUR));
    await profile('ce_untracked', null);
    await change('ce_untracked', 'active');
    clock.advance(HOUR);
    assert.deepEqual(changes(await sweep()), { suppressed: ['ce_unrecorded'] });
    assert.deepEqual(await history('ce_unrecorded'), []);

    await profile('ce_unrecorded', FAR_FUTURE);
    assert.deepEqual(changes(await sweep()), { restored: ['ce_unrecorded'] });
    assert.deepEqual(await history('ce_unrecorded'), []);
    assert.equal(await suppression('ce_untracked'), null);
  });

  it('does not count a cleared expiry as a renewal', async () => {
    await profile('ce_cleared', at(clock, HOUR));
    await change('ce_cleared', 'active');
    clock.advance(HOUR);
    assert.deepEqual(changes(await sweep()), { paused: ['ce_cleared'], suppressed: ['ce_cleared'] });
    await profile('ce_cleared', null);
    assert.deepEqual(changes(await sweep()), {});
    assert.equal((await suppression('ce_cleared')).is_active, true);
  });

  it('stops between batches when asked to (shutdown), leaving the rest to the next sweep', async () => {
    await profile('ce_stopped', at(clock, HOUR));
    await change('ce_stopped', 'active');
    clock.advance(HOUR);
    const stopped = await t.app.get(CertificationSweepService).sweep(AbortSignal.abort());
    assert.deepEqual(changes(stopped), {});
    assert.deepEqual(changes(await sweep()), { paused: ['ce_stopped'], suppressed: ['ce_stopped'] });
  });

  it('answers 409 with Retry-After and changes nothing while another sweep holds the lock; a retry with the same Idempotency-Key then runs', async () => {
    await profile('ce_locked', at(clock, HOUR));
    await change('ce_locked', 'active');
    clock.advance(HOUR);
    const holder = await t.db.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [DatabaseLock.CertificationSweep]);
      const refused = await request(t.http).post('/api/v1/certification-sweeps').set('idempotency-key', 'sweep-retry-1');
      assertProblem(refused, 409);
      assert.equal(refused.body.type, '/problems/certification-sweep-running');
      assert.equal(refused.headers['retry-after'], '5');
      assert.equal((await history('ce_locked'))[0].status, 'active');
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1)', [DatabaseLock.CertificationSweep]);
      holder.release();
    }
    const retried = await request(t.http).post('/api/v1/certification-sweeps').set('idempotency-key', 'sweep-retry-1');
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.headers['idempotent-replayed'], undefined, 'the refusal was not kept for replay');
    assert.deepEqual(changes(retried.body), { paused: ['ce_locked'], suppressed: ['ce_locked'] });
  });
});

describe('certification sweeps at once', () => {
  const MENTORS = 1200;
  const clock = new TestClock(T0);
  let t: TestApp;
  let second: TestApp['app'];
  const statusCounts = async () => {
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS records, count(DISTINCT mentor_id)::int AS mentors FROM mentor_status_records WHERE mentor_id LIKE 'bulk_%'`,
    );
    return rows[0];
  };
  const sweepsAtOnce = async () => {
    const answers = await Promise.all(
      [t.http, second.getHttpServer(), t.http, second.getHttpServer()].map((server) => request(server).post('/api/v1/certification-sweeps')),
    );
    for (const answer of answers) assert.ok([200, 409].includes(answer.status), `${answer.status}: ${JSON.stringify(answer.body)}`);
    const reports = answers.filter((answer) => answer.status === 200).map((answer) => answer.body as Report);
    assert.ok(reports.length >= 1);
    const all = (action: Action) => reports.flatMap((report) => report[action].mentor_ids);
    return { paused: all('paused'), suppressed: all('suppressed'), restored: all('restored'), reactivated: all('reactivated') };
  };
  before(async () => {
    t = await startTestApp({}, { clock });
    second = await t.instance({}, { clock });
    // Several batches' worth, written straight into the tables: the API would take a request per row.
    await t.db.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id, certification_expires_at)
       SELECT 'bulk_' || lpad(i::text, 5, '0'), 'Bulk ' || i, 'chpt_bulk', $2::timestamptz - (i || ' minutes')::interval
       FROM generate_series(1, $1::int) i`,
      [MENTORS, T0],
    );
    await t.db.query(
      `INSERT INTO mentor_status_records (id, mentor_id, status, changed_at, changed_by)
       SELECT 'msr_bulk' || lpad(i::text, 5, '0'), 'bulk_' || lpad(i::text, 5, '0'), 'active', $1::timestamptz - interval '1 year', 'user_coord'
       FROM generate_series(1, $2::int) i`,
      [T0, MENTORS],
    );
  });
  after(async () => {
    await second.close();
    await t.close();
  });

  const expected = Array.from({ length: MENTORS }, (_, i) => `bulk_${String(i + 1).padStart(5, '0')}`);

  it('from two instances pause and hide every expired mentor exactly once', async () => {
    const done = await sweepsAtOnce();
    assert.deepEqual(done.paused.sort(), expected);
    assert.deepEqual(done.suppressed.sort(), expected);
    assert.deepEqual(await statusCounts(), { records: 2 * MENTORS, mentors: MENTORS });
    const { rows } = await t.db.query(`SELECT count(*)::int AS n, count(DISTINCT mentor_id)::int AS mentors FROM mentor_suppressions WHERE is_active`);
    assert.deepEqual(rows[0], { n: MENTORS, mentors: MENTORS });
  });

  it('from two instances restore every renewed mentor exactly once', async () => {
    await t.db.query(`UPDATE mentors SET certification_expires_at = $1 WHERE chapter_id = 'chpt_bulk'`, [FAR_FUTURE]);
    const done = await sweepsAtOnce();
    assert.deepEqual(done.restored.sort(), expected);
    assert.deepEqual(done.reactivated.sort(), expected);
    assert.deepEqual(await statusCounts(), { records: 3 * MENTORS, mentors: MENTORS });
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM mentor_suppressions WHERE NOT is_active AND restore_reason = 'certification_renewed'`);
    assert.equal(rows[0].n, MENTORS);
  });

  it('leave nothing for a later sweep to do', async () => {
    const done = await sweepsAtOnce();
    assert.deepEqual(done, { paused: [], suppressed: [], restored: [], reactivated: [] });
  });

  it('are safe even without the sweep lock: the services write each change once', async () => {
    const ids = expected.slice(0, 600);
    const services = [t.app, second].map((app) => ({ statuses: app.get(StatusService), suppressions: app.get(SuppressionService) }));
    const paused = await Promise.all(
      services.map(({ statuses }) => statuses.changeWhereCurrent(ids, { status: 'active' }, { status: 'paused', reason: 'Race', changedBy: 'system_race' })),
    );
    assert.deepEqual(paused.flat().sort(), ids);
    const suppressed = await Promise.all(
      services.map(({ suppressions }) => suppressions.suppressWhereNoneActive(ids, { coordinatorId: 'system_race', reason: 'race' })),
    );
    assert.deepEqual(suppressed.flat().sort(), ids);
    const restored = await Promise.all(
      services.map(({ suppressions }) => suppressions.restoreActiveMadeBy(ids, { coordinatorId: 'system_race', reason: 'race' }, 'race_over')),
    );
    assert.deepEqual(restored.flat().sort(), ids);
    assert.deepEqual(await statusCounts(), { records: 3 * MENTORS + ids.length, mentors: MENTORS });
  });
});

describe('GET /api/v1/chapters/:chapter_id/mentors/expiring', () => {
  const NOW = '2030-06-01T12:00:00.000Z';
  const clock = new TestClock(NOW);
  let t: TestApp;
  before(async () => {
    t = await startTestApp({}, { clock });
    const { profile, change } = api(() => t);
    const now = clock.now().getTime();
    const iso = (offset: number) => new Date(now + offset).toISOString();
    await profile('ex_now', iso(0), 'chpt_exp', 'Lapses Now');
    await profile('ex_past', iso(-DAY), 'chpt_exp', 'Lapsed Yesterday');
    await profile('ex_first', iso(1), 'chpt_exp', 'Just After');
    await profile('ex_b', iso(10 * DAY), 'chpt_exp', 'Same Time Bea');
    await profile('ex_a2', iso(10 * DAY), 'chpt_exp', 'Same Time Ada');
    await profile('ex_a1', iso(10 * DAY), 'chpt_exp', 'Same Time Ada');
    await profile('ex_edge', iso(30 * DAY), 'chpt_exp', 'Window Edge');
    await profile('ex_beyond', iso(30 * DAY + 1), 'chpt_exp', 'Just Beyond');
    await profile('ex_untracked', null, 'chpt_exp', 'No Expiry');
    await profile('ex_elsewhere', iso(DAY), 'chpt_other', 'Other Chapter');
    await change('ex_first', 'active');
    await change('ex_b', 'active');
    await change('ex_b', 'paused', 'Travel');
  });
  after(() => t.close());

  const expiring = (query = '', chapterId = 'chpt_exp') => request(t.http).get(`/api/v1/chapters/${chapterId}/mentors/expiring${query}`);
  const ids = (response: request.Response) => response.body.data.map((row: { mentor_id: string }) => row.mentor_id);

  it('lists, soonest first, the mentors whose certification lapses after now and within 30 days, ends included', async () => {
    const response = await expiring();
    assert.equal(response.status, 200);
    assert.deepEqual(ids(response), ['ex_first', 'ex_a1', 'ex_a2', 'ex_b', 'ex_edge']);
    assert.deepEqual(response.body.pagination, { page: 1, limit: 20, total: 5, total_exact: true, next_cursor: null });
    assert.deepEqual(response.body.data[0], {
      mentor_id: 'ex_first',
      full_name: 'Just After',
      chapter_id: 'chpt_exp',
      certification_expires_at: '2030-06-01T12:00:00.001Z',
      days_remaining: 1,
      status: 'active',
    });
    assert.deepEqual(
      response.body.data.map((row: { days_remaining: number; status: string | null }) => [row.days_remaining, row.status]),
      [
        [1, 'active'],
        [10, null],
        [10, null],
        [10, 'paused'],
        [30, null],
      ],
    );
  });

  it('takes within_days, inclusive of its last instant', async () => {
    assert.deepEqual(ids(await expiring('?within_days=31')), ['ex_first', 'ex_a1', 'ex_a2', 'ex_b', 'ex_edge', 'ex_beyond']);
    assert.deepEqual(ids(await expiring('?within_days=10')), ['ex_first', 'ex_a1', 'ex_a2', 'ex_b']);
    assert.deepEqual(ids(await expiring('?within_days=1')), ['ex_first']);
  });

  it('moves with the clock', async () => {
    clock.set('2030-06-11T12:00:00.000Z');
    try {
      const response = await expiring();
      assert.deepEqual(ids(response), ['ex_edge', 'ex_beyond']);
      assert.deepEqual(
        response.body.data.map((row: { days_remaining: number }) => row.days_remaining),
        [20, 21],
      );
    } finally {
      clock.set(NOW);
    }
  });

  it('pages, and a page past the end is empty with the true total', async () => {
    assert.deepEqual(ids(await expiring('?limit=2&page=2')), ['ex_a2', 'ex_b']);
    assert.deepEqual((await expiring('?limit=2&page=9')).body, { data: [], pagination: { page: 9, limit: 2, total: 5, total_exact: true, next_cursor: null } });
  });

  it('is empty for an unknown chapter', async () => {
    assert.deepEqual((await expiring('', 'chpt_none')).body, { data: [], pagination: { page: 1, limit: 20, total: 0, total_exact: true, next_cursor: null } });
  });

  for (const query of ['within_days=0', 'within_days=366', 'within_days=1.5', 'within_days=soon', 'within_days=']) {
    it(`?${query} → 400 naming within_days`, async () => {
      assertProblem(await expiring(`?${query}`), 400, ['within_days']);
    });
  }
});

describe('npm run sweep', () => {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/sweep.cli.js');
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const runCli = () =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [cli], {
        env: { ...process.env, DATABASE_URL: t.database.url, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('exit', (code) => resolve({ code, output }));
    });

  it('sweeps the database once by the real clock, logs its totals and exits 0', async () => {
    const { profile, change, history } = api(() => t);
    await profile('cli_lapsed', new Date(Date.now() - DAY).toISOString());
    await change('cli_lapsed', 'active');
    const { code, output } = await runCli();
    assert.equal(code, 0, output);
    assert.match(output, /paused 1, suppressed 1, restored 0, reactivated 0/);
    assert.equal((await history('cli_lapsed'))[0].changed_by, 'system_auto_pause');
  });

  it('does nothing, says so and exits 0 while another sweep is running', async () => {
    const holder = await t.db.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [DatabaseLock.CertificationSweep]);
      const { code, output } = await runCli();
      assert.equal(code, 0, output);
      assert.match(output, /skipped: another certification sweep is running/);
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1)', [DatabaseLock.CertificationSweep]);
      holder.release();
    }
  });
});
