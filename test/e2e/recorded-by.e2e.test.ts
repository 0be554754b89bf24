import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { RecordedBy } from '../../src/common/auth/principal.js';
import { AUDIENCE, OidcIssuer, ServiceClient, startOidcIssuer } from '../support/oidc-issuer.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const OPS_KEY = 'ops-key-0123456789abcdef';
const SERVICE: ServiceClient = { id: 'roster-sync', secret: 'roster-secret-0123456789', scope: 'statuses:write suppressions:write mentors:write admin' };
const ACTOR: ServiceClient = { id: 'hr-bridge', secret: 'bridge-secret-0123456789', scope: 'statuses:write suppressions:write act_as' };
const PERSON = 'coord_ana';

interface Credential {
  label: string;
  authorization: string;
  /** What the body may leave out: the name it is then filled with. */
  author: string;
  expected: (requestId: string) => RecordedBy;
}

describe('the verified principal of every write (recorded_by)', () => {
  let t: TestApp;
  let idp: OidcIssuer;
  let credentials: Credential[];
  let requests = 0;

  const send = (credential: Credential, method: 'post' | 'put' | 'delete', url: string, body?: object) => {
    const requestId = `req-${credential.label.replace(/\W/g, '')}-${++requests}`;
    const pending = request(t.http)[method](url).set('Authorization', credential.authorization).set('X-Request-Id', requestId);
    return { requestId, response: body === undefined ? pending : pending.send(body) };
  };
  const profile = (mentorId: string) =>
    request(t.http).put(`/api/v1/mentors/${mentorId}`).set('Authorization', `Bearer ${OPS_KEY}`).send({ full_name: mentorId, chapter_id: 'chpt_by' });
  const eventData = async (type: string, subject: string) =>
    (await t.db.query('SELECT data FROM event_outbox WHERE type = $1 AND subject = $2 ORDER BY xid DESC, seq DESC LIMIT 1', [type, subject])).rows[0]?.data;
  const counts = async () =>
    (await t.db.query('SELECT (SELECT count(*) FROM mentor_status_records)::int AS r, (SELECT count(*) FROM mentor_suppressions)::int AS s')).rows[0];

  before(async () => {
    idp = await startOidcIssuer({ clients: [SERVICE, ACTOR] });
    t = await startTestApp({ API_KEYS: `ops:${OPS_KEY}`, OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: AUDIENCE });
    credentials = [
      {
        label: 'API key',
        authorization: `Bearer ${OPS_KEY}`,
        author: 'ops',
        expected: (id) => ({ kind: 'api_key', id: 'ops', client_id: null, request_id: id }),
      },
      {
        label: 'service token',
        authorization: `Bearer ${await idp.serviceToken(SERVICE)}`,
        author: SERVICE.id,
        expected: (id) => ({ kind: 'token', id: SERVICE.id, client_id: SERVICE.id, request_id: id }),
      },
      {
        label: 'person token',
        authorization: `Bearer ${await idp.personToken(PERSON)}`,
        author: PERSON,
        expected: (id) => ({ kind: 'token', id: PERSON, client_id: 'browser-app', request_id: id }),
      },
    ];
  });
  after(async () => {
    await t.close();
    await idp.stop();
  });

  it('every write route, with an API key, a service token and a person token: the stored principal is the caller, in the answer, the GET, the event and the table', async () => {
    for (const credential of credentials) {
      const mentor = `mntr_by_${credentials.indexOf(credential)}`;
      const second = `${mentor}_b`;
      assert.equal((await profile(mentor)).status, 201);
      assert.equal((await profile(second)).status, 201);

      // POST a status, its author left out: filled from the caller's own name.
      let { requestId, response } = send(credential, 'post', '/api/v1/mentor-statuses', { mentor_id: mentor, status: 'paused', reason: 'Leave' });
      let answer = await response;
      assert.equal(answer.status, 201, `${credential.label}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.changed_by, credential.author);
      assert.deepEqual(answer.body.recorded_by, credential.expected(requestId), credential.label);
      const recordId = answer.body.mentor_status_id as string;
      assert.deepEqual((await request(t.http).get(`/api/v1/mentor-statuses/${recordId}`)).body.recorded_by, credential.expected(requestId));
      assert.deepEqual((await eventData('mentor.status.changed', mentor)).recorded_by, credential.expected(requestId));

      // PUT a correction: the record now names whoever wrote it last, and so does the event.
      ({ requestId, response } = send(credential, 'put', `/api/v1/mentor-statuses/${recordId}`, { reason: 'Longer leave' }));
      assert.equal((await response).status, 200);
      assert.deepEqual((await request(t.http).get(`/api/v1/mentor-statuses/${recordId}`)).body.recorded_by, credential.expected(requestId));
      assert.deepEqual((await eventData('mentor.status.corrected', mentor)).recorded_by, credential.expected(requestId));

      // Bulk POST of statuses.
      ({ requestId, response } = send(credential, 'post', '/api/v1/mentor-statuses/bulk', { items: [{ mentor_id: second, status: 'active' }] }));
      answer = await response;
      assert.equal(answer.body.results[0].status, 201, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.results[0].body.recorded_by, credential.expected(requestId));

      // DELETE a status record: the event names who deleted it.
      ({ requestId, response } = send(credential, 'delete', `/api/v1/mentor-statuses/${recordId}`));
      assert.equal((await response).status, 200);
      assert.deepEqual((await eventData('mentor.status.deleted', mentor)).recorded_by, credential.expected(requestId));

      // POST a suppression, its coordinator left out; then restore it with PUT.
      ({ requestId, response } = send(credential, 'post', '/api/v1/mentor-suppressions', { mentor_id: mentor, reason: 'conduct_review' }));
      answer = await response;
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.equal(answer.body.coordinator_id, credential.author);
      assert.deepEqual((await request(t.http).get(`/api/v1/mentor-suppressions/${mentor}`)).body.recorded_by, credential.expected(requestId));
      assert.deepEqual((await eventData('mentor.suppression.created', mentor)).recorded_by, credential.expected(requestId));
      ({ requestId, response } = send(credential, 'put', `/api/v1/mentor-suppressions/${mentor}`, { is_active: false }));
      assert.deepEqual((await response).body.recorded_by, credential.expected(requestId));
      assert.deepEqual((await eventData('mentor.suppression.restored', mentor)).recorded_by, credential.expected(requestId));

      // Bulk POST of suppressions, then DELETE of a mentor's suppressions.
      ({ requestId, response } = send(credential, 'post', '/api/v1/mentor-suppressions/bulk', { items: [{ mentor_id: second, reason: 'conduct_review' }] }));
      answer = await response;
      assert.deepEqual(answer.body.results[0].body.recorded_by, credential.expected(requestId), JSON.stringify(answer.body));
      ({ requestId, response } = send(credential, 'delete', `/api/v1/mentor-suppressions/${second}`));
      assert.equal((await response).status, 200);
      assert.deepEqual((await eventData('mentor.suppression.deleted', second)).recorded_by, credential.expected(requestId));

      const { rows } = await t.db.query(
        'SELECT recorded_by_kind, recorded_by_id, recorded_by_client_id FROM mentor_status_records WHERE mentor_id = $1 UNION ALL SELECT recorded_by_kind, recorded_by_id, recorded_by_client_id FROM mentor_suppressions WHERE mentor_id = $1',
        [mentor],
      );
      const { kind, id, client_id } = credential.expected('');
      assert.deepEqual(rows, [
        { recorded_by_kind: kind, recorded_by_id: id, recorded_by_client_id: client_id },
        { recorded_by_kind: kind, recorded_by_id: id, recorded_by_client_id: client_id },
      ]);
    }
  });

  it("a person cannot write in anyone else's name: 403 problem+json naming the field, nothing written; their own name is taken", async () => {
    const person = credentials[2];
    await profile('mntr_by_other');
    const before = await counts();
    const refusals = [
      send(person, 'post', '/api/v1/mentor-statuses', { mentor_id: 'mntr_by_other', status: 'paused', reason: 'Leave', changed_by: 'coord_someone_else' }),
      send(person, 'post', '/api/v1/mentor-suppressions', { mentor_id: 'mntr_by_other', reason: 'conduct_review', coordinator_id: 'coord_someone_else' }),
    ];
    for (const [refusal, field] of [
      [refusals[0], 'changed_by'],
      [refusals[1], 'coordinator_id'],
    ] as const) {
      const response = await refusal.response;
      assertProblem(response, 403);
      assert.equal(response.body.type, '/problems/not-your-name');
      assert.equal(response.body.field, field);
    }
    const bulk = await send(person, 'post', '/api/v1/mentor-statuses/bulk', {
      items: [{ mentor_id: 'mntr_by_other', status: 'active', changed_by: 'coord_x' }],
    }).response;
    assert.equal(bulk.body.results[0].status, 403);
    assert.deepEqual(await counts(), before);
    const own = await send(person, 'post', '/api/v1/mentor-statuses', { mentor_id: 'mntr_by_other', status: 'paused', reason: 'Leave', changed_by: PERSON })
      .response;
    assert.equal(own.status, 201);
    await send(person, 'post', '/api/v1/mentor-suppressions', { mentor_id: 'mntr_by_other', reason: 'conduct_review' }).response;
    const put = await send(person, 'put', '/api/v1/mentor-suppressions/mntr_by_other', { coordinator_id: 'coord_someone_else' }).response;
    assertProblem(put, 403);
    assert.equal((await request(t.http).get('/api/v1/mentor-suppressions/mntr_by_other')).body.coordinator_id, PERSON);
  });

  it('a service names someone else only with act_as, and then what it claimed is kept beside who it is', async () => {
    await profile('mntr_by_act');
    const plain = credentials[1];
    const refused = await send(plain, 'post', '/api/v1/mentor-statuses', { mentor_id: 'mntr_by_act', status: 'active', changed_by: 'user_hr_7' }).response;
    assertProblem(refused, 403);
    assert.equal(refused.body.type, '/problems/not-your-name');
    const actor: Credential = { ...plain, label: 'actor', authorization: `Bearer ${await idp.serviceToken(ACTOR)}` };
    const { requestId, response } = send(actor, 'post', '/api/v1/mentor-statuses', { mentor_id: 'mntr_by_act', status: 'active', changed_by: 'user_hr_7' });
    const answer = await response;
    assert.equal(answer.status, 201);
    assert.equal(answer.body.changed_by, 'user_hr_7');
    assert.deepEqual(answer.body.recorded_by, { kind: 'token', id: ACTOR.id, client_id: ACTOR.id, request_id: requestId });
  });

  it('the audit log filters by recorded_by, the export carries it, and records from before read null', async () => {
    await t.db.query(
      `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by) VALUES ('msr_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'mntr_by_act', 'paused', 'Old', '2001-01-01T00:00:00Z', 'user_old')`,
    );
    const listed = await request(t.http).get('/api/v1/mentor-statuses').query({ recorded_by: PERSON });
    assert.equal(listed.status, 200);
    assert.ok(listed.body.data.length >= 2);
    assert.ok(listed.body.data.every((record: { recorded_by: RecordedBy }) => record.recorded_by.id === PERSON));
    const exported = await request(t.http).get('/api/v1/exports/mentor-statuses').query({ recorded_by: PERSON, format: 'ndjson' });
    const lines = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { recorded_by: RecordedBy });
    assert.deepEqual(
      lines.map((line) => line.recorded_by.id),
      listed.body.data.map(() => PERSON),
    );
    const csv = await request(t.http).get('/api/v1/exports/mentor-statuses').query({ recorded_by: PERSON });
    assert.match(csv.text.split('\r\n')[0], /,recorded_by_kind,recorded_by_id,recorded_by_client_id,recorded_by_request_id$/);
    assert.equal((await request(t.http).get('/api/v1/mentor-statuses/msr_01ARZ3NDEKTSV4RRFFQ69G5FAV')).body.recorded_by, null);
  });

  it('READS_REQUIRE_AUTH=true: reads need a key or a token too, of any scope', async () => {
    const closed = await t.instance({ API_KEYS: `ops:${OPS_KEY}`, OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: AUDIENCE, READS_REQUIRE_AUTH: 'true' });
    try {
      const http = closed.getHttpServer();
      const anonymous = await request(http).get('/api/v1/mentor-statuses');
      assertProblem(anonymous, 401);
      assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
      assert.equal((await request(http).get('/api/v1/mentor-statuses').set('Authorization', `Bearer ${OPS_KEY}`)).status, 200);
      const reader = await idp.serviceToken(ACTOR, 'act_as');
      assert.equal((await request(http).get('/api/v1/mentor-statuses').set('Authorization', `Bearer ${reader}`)).status, 200);
      assert.equal((await request(t.http).get('/api/v1/mentor-statuses')).status, 200, 'the default keeps reads public');
    } finally {
      await closed.close();
    }
  });
});
