import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type components, createMentorStatusClient, type MentorStatusClient } from '../../client/index.js';
import { DEMO_CHAPTER_ID, DEMO_SUPPRESSION } from '../../src/database/seed/demo-data.js';
import { MENTOR_STATUS_ID_PATTERN } from '../../src/status/dto/mentor-status-id.params.js';
import { startTestApp, TestApp } from '../support/test-app.js';

type Problem = components['schemas']['ProblemDto'];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** `METHOD /path` of every operation that a document lists. */
function operationsOf(document: unknown): string[] {
  assert.ok(isRecord(document) && isRecord(document.paths));
  return Object.entries(document.paths)
    .flatMap(([path, pathItem]) => (isRecord(pathItem) ? Object.keys(pathItem).map((method) => `${method.toUpperCase()} ${path}`) : []))
    .sort();
}

/**
 * The generated client (client/) against the running app, for every operation of the document.
 * It compiles under the project's strict tsc with no casts: a loose schema becomes `unknown`
 * somewhere below and breaks the build.
 */
describe('the typed client', () => {
  const apiKey = randomBytes(24).toString('base64url');
  const mentorId = 'mntr_typed_client';
  const roundTrips = new Set<string>();
  let t: TestApp;
  let baseUrl: string;
  let client: MentorStatusClient;

  before(async () => {
    t = await startTestApp({ DEMO_DATA: 'true', API_KEYS: `typed-client:${apiKey}` });
    await t.app.listen(0, '127.0.0.1');
    const address = t.http.address();
    assert.ok(isRecord(address) && typeof address.port === 'number');
    baseUrl = `http://127.0.0.1:${address.port}`;
    client = createMentorStatusClient(baseUrl, { headers: { authorization: `Bearer ${apiKey}` } });
    client.use({
      onResponse: ({ request, schemaPath }) => {
        roundTrips.add(`${request.method} ${schemaPath}`);
      },
    });
  });
  after(() => t.close());

  it('reads the health check', async () => {
    const { data, response } = await client.GET('/health');
    assert.equal(response.status, 200);
    assert.ok(data);
    assert.equal(data.status, 'ok');
    assert.equal(data.details.database?.status, 'up');
  });

  it('reads the liveness and readiness probes', async () => {
    const live = await client.GET('/health/live');
    assert.equal(live.response.status, 200);
    assert.equal(live.data?.status, 'ok');
    const ready = await client.GET('/health/ready');
    assert.equal(ready.response.status, 200);
    assert.equal(ready.data?.details.migrations?.status, 'up');
  });

  it('creates, replaces, reads and lists a mentor profile', async () => {
    const path = { mentor_id: mentorId };
    const created = await client.PUT('/api/v1/mentors/{mentor_id}', { params: { path }, body: { full_name: 'Tia Typed', chapter_id: 'chpt_typed' } });
    assert.equal(created.response.status, 201);
    const replaced = await client.PUT('/api/v1/mentors/{mentor_id}', { params: { path }, body: { full_name: 'Tia Typed-Client', chapter_id: 'chpt_typed' } });
    assert.equal(replaced.response.status, 200);
    assert.ok(replaced.data);
    assert.equal(replaced.data.full_name, 'Tia Typed-Client');

    const { data: profile } = await client.GET('/api/v1/mentors/{mentor_id}', { params: { path } });
    assert.ok(profile);
    assert.equal(Date.parse(profile.updated_at) >= Date.parse(profile.created_at), true);

    const { data: list } = await client.GET('/api/v1/mentors', { params: { query: { chapter_id: 'chpt_typed', limit: 10 } } });
    assert.ok(list);
    assert.deepEqual(
      list.data.map((mentor) => mentor.mentor_id),
      [mentorId],
    );
    assert.deepEqual(list.pagination, { page: 1, limit: 10, total: 1, total_exact: true, next_cursor: null });
  });

  it('writes, reads, corrects, lists and deletes a status record; a no-op transition is a typed 409 problem', async () => {
    const created = await client.POST('/api/v1/mentor-statuses', {
      body: { mentor_id: mentorId, status: 'paused', reason: 'Training', changed_by: 'typed_client' },
    });
    assert.equal(created.response.status, 201);
    assert.ok(created.data);
    const id = created.data.mentor_status_id;
    assert.match(id, MENTOR_STATUS_ID_PATTERN);

    const again = await client.POST('/api/v1/mentor-statuses', {
      body: { mentor_id: mentorId, status: 'paused', reason: 'Training', changed_by: 'typed_client' },
    });
    assert.equal(again.response.status, 409);
    assert.equal(again.data, undefined);
    assert.ok(again.error);
    const problem: Problem = again.error;
    assert.equal(problem.type, '/problems/no-op-transition');
    assert.match(problem.detail, /already paused/);

    const { data: detail } = await client.GET('/api/v1/mentor-statuses/{id}', { params: { path: { id } } });
    assert.ok(detail);
    assert.equal(detail.previous_status, null);
    assert.equal(detail.changed_at, created.data.changed_at);

    const { data: corrected } = await client.PUT('/api/v1/mentor-statuses/{id}', { params: { path: { id } }, body: { reason: 'Training, extended' } });
    assert.ok(corrected);
    assert.equal(corrected.reason, 'Training, extended');

    const { data: log } = await client.GET('/api/v1/mentor-statuses', { params: { query: { mentor_id: mentorId, status: 'paused' } } });
    assert.ok(log);
    assert.deepEqual(
      log.data.map((record) => [record.mentor_status_id, record.reason]),
      [[id, 'Training, extended']],
    );

    const { data: deleted } = await client.DELETE('/api/v1/mentor-statuses/{id}', { params: { path: { id } } });
    assert.ok(deleted);
    assert.equal(deleted.deleted, true);
    const gone = await client.GET('/api/v1/mentor-statuses/{id}', { params: { path: { id } } });
    assert.equal(gone.error?.status, 404);
  });

  it("lists a chapter's active, paused and expiring mentors", async () => {
    const path = { chapter_id: DEMO_CHAPTER_ID };
    const { data: active } = await client.GET('/api/v1/chapters/{chapter_id}/mentors/active', { params: { path, query: { include_ineligible: true } } });
    assert.ok(active);
    assert.deepEqual(
      active.data.map((mentor) => [mentor.full_name, mentor.is_eligible_for_assignment]),
      [
        ['Amara Diallo', true],
        ['Sarah Chen', true],
      ],
    );
    const { data: paused } = await client.GET('/api/v1/chapters/{chapter_id}/mentors/paused', { params: { path } });
    assert.ok(paused);
    assert.deepEqual(
      paused.data.map((mentor) => [mentor.full_name, mentor.pause_reason]),
      [['James Okafor', 'Certification expired']],
    );
    // The demo people carry no certification expiry: give one of them one, ten days ahead.
    const expiresAt = new Date(Date.now() + 10 * 24 * 60 * 60 * 1000).toISOString();
    const { response: upserted } = await client.PUT('/api/v1/mentors/{mentor_id}', {
      params: { path: { mentor_id: 'mntr_05DF9N2QW' } },
      body: { full_name: 'Amara Diallo', chapter_id: DEMO_CHAPTER_ID, certification_expires_at: expiresAt },
    });
    assert.equal(upserted.status, 200);
    const { data: expiring } = await client.GET('/api/v1/chapters/{chapter_id}/mentors/expiring', { params: { path, query: { within_days: 365 } } });
    assert.ok(expiring);
    assert.deepEqual(
      expiring.data.map((mentor) => [mentor.mentor_id, mentor.certification_expires_at, mentor.days_remaining, mentor.status]),
      [['mntr_05DF9N2QW', expiresAt, 10, 'active']],
    );
    assert.equal(expiring.pagination.total, 1);
  });

  it('lists, reads, restores and deletes suppressions; a second active suppression is a typed 409 naming the first', async () => {
    const path = { mentor_id: DEMO_SUPPRESSION.mentorId };
    const { data: list } = await client.GET('/api/v1/mentor-suppressions', {
      params: { query: { is_active: true, coordinator_id: DEMO_SUPPRESSION.coordinatorId } },
    });
    assert.ok(list);
    assert.deepEqual(
      list.data.map((suppression) => suppression.suppression_id),
      [DEMO_SUPPRESSION.id],
    );

    const { data: current } = await client.GET('/api/v1/mentor-suppressions/{mentor_id}', { params: { path } });
    assert.ok(current);
    assert.equal(current.is_active, true);
    assert.equal(current.restored_at, null);

    const conflict = await client.POST('/api/v1/mentor-suppressions', {
      body: { mentor_id: DEMO_SUPPRESSION.mentorId, coordinator_id: 'coord_typed', reason: 'conduct_review' },
    });
    assert.equal(conflict.response.status, 409);
    assert.ok(conflict.error);
    const problem: Problem = conflict.error;
    assert.equal(problem.status, 409);
    assert.equal(problem.type, '/problems/active-suppression-exists');
    assert.equal(problem.suppression_id, DEMO_SUPPRESSION.id);

    const { data: restored } = await client.PUT('/api/v1/mentor-suppressions/{mentor_id}', {
      params: { path },
      body: { is_active: false, restore_reason: 'certification_renewed' },
    });
    assert.ok(restored);
    assert.equal(restored.is_active, false);
    assert.equal(restored.restore_reason, 'certification_renewed');
    assert.ok(restored.restored_at !== null && Date.parse(restored.restored_at) >= Date.parse(restored.suppressed_at));

    const created = await client.POST('/api/v1/mentor-suppressions', {
      body: { mentor_id: mentorId, coordinator_id: 'coord_typed', reason: 'conduct_review' },
    });
    assert.equal(created.response.status, 201);
    assert.ok(created.data);
    assert.equal(created.data.is_active, true);

    const { data: deleted } = await client.DELETE('/api/v1/mentor-suppressions/{mentor_id}', { params: { path: { mentor_id: mentorId } } });
    assert.deepEqual(deleted, { deleted: true, mentor_id: mentorId });
  });

  it('runs the certification sweep', async () => {
    const { data: report } = await client.POST('/api/v1/certification-sweeps');
    assert.ok(report);
    assert.ok(Date.parse(report.finished_at) >= Date.parse(report.started_at));
    for (const action of [report.paused, report.suppressed, report.restored, report.reactivated]) {
      assert.equal(action.count, action.mentor_ids.length);
    }
  });

  it('has made a round trip through every operation of the document', async () => {
    const document: unknown = await (await fetch(`${baseUrl}/docs-json`)).json();
    assert.deepEqual([...roundTrips].sort(), operationsOf(document));
  });
});
