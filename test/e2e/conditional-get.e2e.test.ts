import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { DEMO_CHAPTER_ID, DEMO_STATUS_RECORDS, DEMO_SUPPRESSION } from '../../src/database/seed/demo-data.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** Every GET route of the API that answers JSON, with a URL that exists in the demo data. */
const GETS = [
  '/api/v1/mentor-statuses',
  `/api/v1/mentor-statuses/${DEMO_STATUS_RECORDS[0].id}`,
  `/api/v1/chapters/${DEMO_CHAPTER_ID}/mentors/active`,
  `/api/v1/chapters/${DEMO_CHAPTER_ID}/mentors/paused`,
  `/api/v1/chapters/${DEMO_CHAPTER_ID}/mentors/expiring`,
  '/api/v1/mentor-suppressions',
  `/api/v1/mentor-suppressions/${DEMO_SUPPRESSION.mentorId}`,
  '/api/v1/mentors',
  `/api/v1/mentors/${DEMO_SUPPRESSION.mentorId}`,
  '/api/v1/events',
];

describe('conditional GETs: If-None-Match', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ DEMO_DATA: 'true' });
  });
  after(() => t.close());

  for (const url of GETS) {
    it(`${url}: the current ETag gives 304 with no body and the same ETag; any other tag the 200`, async () => {
      const first = await request(t.http).get(url).expect(200);
      const etag = String(first.headers.etag);
      assert.match(etag, /^"[A-Za-z0-9_-]{32}"$/);
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
        const again = await request(t.http).get(url).set('If-None-Match', ifNoneMatch);
        assert.equal(again.status, 304, ifNoneMatch);
        assert.equal(again.text, '');
        assert.equal(again.headers.etag, etag);
        assert.equal(again.headers['content-type'], undefined);
      }
      const changed = await request(t.http).get(url).set('If-None-Match', '"not-the-current-one"');
      assert.equal(changed.status, 200);
      assert.equal(changed.text, first.text);
    });
  }

  it('a change makes the old ETag stale: the next conditional GET is a 200 with the new representation', async () => {
    const url = `/api/v1/mentors/${DEMO_SUPPRESSION.mentorId}`;
    const etag = String((await request(t.http).get(url).expect(200)).headers.etag);
    await request(t.http).put(url).send({ full_name: 'James Okafor', chapter_id: 'chpt_moved' }).expect(200);
    const after = await request(t.http).get(url).set('If-None-Match', etag).expect(200);
    assert.equal(after.body.chapter_id, 'chpt_moved');
    assert.notEqual(after.headers.etag, etag);
  });

  it('is for GETs only: If-None-Match on a write changes nothing about it', async () => {
    const url = `/api/v1/mentors/${DEMO_SUPPRESSION.mentorId}`;
    const etag = String((await request(t.http).get(url).expect(200)).headers.etag);
    await request(t.http).put(url).set('If-None-Match', etag).send({ full_name: 'James Okafor', chapter_id: DEMO_CHAPTER_ID }).expect(200);
  });
});
