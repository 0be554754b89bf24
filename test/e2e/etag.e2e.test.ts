import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { waitUntil } from '../support/poll.js';

const STRONG_ETAG = /^"[A-Za-z0-9_-]{32}"$/;

interface Resource {
  name: string;
  /** Creates the resource; returns its URL and the row lock statement of its table. */
  create(t: TestApp, suffix: string): Promise<{ url: string; lockRow: string }>;
  /** Two different valid PUT bodies. */
  bodies: [object, object];
  /** What is stored, to prove a refused PUT changed nothing. */
  stored(t: TestApp, url: string): Promise<unknown>;
}

const profile = (t: TestApp, mentorId: string) =>
  request(t.http)
    .put(`/api/v1/mentors/${mentorId}`)
    .send({ full_name: `Mentor ${mentorId}`, chapter_id: 'chpt_etag' });

const RESOURCES: Resource[] = [
  {
    name: 'a mentor status record',
    async create(t, suffix) {
      await profile(t, `mntr_etag_s${suffix}`);
      const posted = await request(t.http)
        .post('/api/v1/mentor-statuses')
        .send({ mentor_id: `mntr_etag_s${suffix}`, status: 'paused', reason: 'Leave', changed_by: 'user_etag' });
      const id = posted.body.mentor_status_id as string;
      return { url: `/api/v1/mentor-statuses/${id}`, lockRow: `SELECT 1 FROM mentor_status_records WHERE id = '${id}' FOR UPDATE` };
    },
    bodies: [{ reason: 'Leave, extended' }, { reason: 'Leave, shortened' }],
    stored: async (t, url) => (await t.db.query('SELECT reason, updated_at FROM mentor_status_records WHERE id = $1', [url.split('/').pop()])).rows[0],
  },
  {
    name: "a mentor's current suppression",
    async create(t, suffix) {
      const mentorId = `mntr_etag_p${suffix}`;
      await profile(t, mentorId);
      await request(t.http).post('/api/v1/mentor-suppressions').send({ mentor_id: mentorId, coordinator_id: 'coord_etag', reason: 'conduct_review' });
      return { url: `/api/v1/mentor-suppressions/${mentorId}`, lockRow: `SELECT 1 FROM mentor_suppressions WHERE mentor_id = '${mentorId}' FOR UPDATE` };
    },
    bodies: [{ coordinator_id: 'coord_first' }, { coordinator_id: 'coord_second' }],
    stored: async (t, url) => (await t.db.query('SELECT * FROM mentor_suppressions WHERE mentor_id = $1', [url.split('/').pop()])).rows,
  },
  {
    name: 'a mentor profile',
    async create(t, suffix) {
      await profile(t, `mntr_etag_m${suffix}`);
      return { url: `/api/v1/mentors/mntr_etag_m${suffix}`, lockRow: `SELECT 1 FROM mentors WHERE mentor_id = 'mntr_etag_m${suffix}' FOR UPDATE` };
    },
    bodies: [
      { full_name: 'First Name', chapter_id: 'chpt_etag' },
      { full_name: 'Second Name', chapter_id: 'chpt_etag' },
    ],
    stored: async (t, url) => (await t.db.query('SELECT * FROM mentors WHERE mentor_id = $1', [url.split('/').pop()])).rows[0],
  },
];

describe('ETag and If-Match', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  for (const resource of RESOURCES) {
    describe(resource.name, () => {
      let suffix = 0;
      const fresh = () => resource.create(t, `${++suffix}`);
      const etagOf = async (url: string) => {
        const read = await request(t.http).get(url);
        assert.equal(read.status, 200);
        assert.match(String(read.headers.etag), STRONG_ETAG);
        return String(read.headers.etag);
      };
      const put = (url: string, body: object, ifMatch?: string) => {
        const call = request(t.http).put(url);
        return (ifMatch === undefined ? call : call.set('If-Match', ifMatch)).send(body);
      };

      it('GET gives a strong ETag that stays while nothing changes and moves when it does', async () => {
        const { url } = await fresh();
        const first = await etagOf(url);
        assert.equal(await etagOf(url), first);
        assert.equal((await put(url, resource.bodies[0])).status, 200);
        assert.notEqual(await etagOf(url), first);
      });

      it('PUT with the current ETag, with it among others, or with * succeeds', async () => {
        const { url } = await fresh();
        assert.equal((await put(url, resource.bodies[0], await etagOf(url))).status, 200);
        assert.equal((await put(url, resource.bodies[1], `"other", ${await etagOf(url)}`)).status, 200);
        assert.equal((await put(url, resource.bodies[0], '*')).status, 200);
      });

      it('PUT with a stale ETag is 412 problem+json and changes nothing', async () => {
        const { url } = await fresh();
        const seen = await etagOf(url);
        assert.equal((await put(url, resource.bodies[0])).status, 200, 'someone else writes first');
        const before = await resource.stored(t, url);
        const stale = await put(url, resource.bodies[1], seen);
        assertProblem(stale, 412);
        assert.equal(stale.body.type, '/problems/precondition-failed');
        assert.deepEqual(await resource.stored(t, url), before);
      });

      it('a weak ETag never matches: If-Match compares strongly', async () => {
        const { url } = await fresh();
        assertProblem(await put(url, resource.bodies[0], `W/${await etagOf(url)}`), 412);
      });

      it('PUT without If-Match still works, as the contracts have it', async () => {
        const { url } = await fresh();
        assert.equal((await put(url, resource.bodies[1])).status, 200);
      });

      it('of eight PUTs sent at once with the same ETag, exactly one succeeds', async () => {
        const { url, lockRow } = await fresh();
        const seen = await etagOf(url);
        // Holding the row lock makes all eight (fewer than the pool's connections) reach the check before any of them can write.
        const holder = await t.db.connect();
        let answers: request.Response[];
        try {
          await holder.query('BEGIN');
          await holder.query(lockRow);
          const pending = Array.from({ length: 8 }, (_, i) => put(url, resource.bodies[i % 2], seen).then((response) => response));
          await waitUntil(
            async () =>
              Number(
                (await t.db.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n,
              ) >= 8,
            'the PUTs all wait for the row lock',
          );
          await holder.query('COMMIT');
          answers = await Promise.all(pending);
        } finally {
          holder.release();
        }
        assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, ...Array<number>(7).fill(412)]);
      });
    });
  }

  describe('If-Match on a profile that does not exist', () => {
    for (const ifMatch of ['"anything"', '*']) {
      it(`${ifMatch} is 412 and creates nothing`, async () => {
        const response = await request(t.http)
          .put('/api/v1/mentors/mntr_etag_none')
          .set('If-Match', ifMatch)
          .send({ full_name: 'None', chapter_id: 'chpt_etag' });
        assertProblem(response, 412);
        assert.equal((await t.db.query(`SELECT count(*)::int AS n FROM mentors WHERE mentor_id = 'mntr_etag_none'`)).rows[0].n, 0);
      });
    }
  });

  it('a status record deleted since it was read is 404, not 412', async () => {
    await profile(t, 'mntr_etag_gone');
    const posted = await request(t.http).post('/api/v1/mentor-statuses').send({ mentor_id: 'mntr_etag_gone', status: 'active', changed_by: 'user_etag' });
    const url = `/api/v1/mentor-statuses/${posted.body.mentor_status_id}`;
    const seen = String((await request(t.http).get(url)).headers.etag);
    await request(t.http).delete(url);
    assertProblem(await request(t.http).put(url).set('If-Match', seen).send({ reason: 'Too late' }), 404);
  });
});
