import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { COUNT_LIMIT, MAX_OFFSET } from '../../src/common/pagination/pagination.dto.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const CHAPTER = 'chpt_keys';
const BULK_ACTOR = 'system_bulk';

interface Listed {
  data: Record<string, unknown>[];
  pagination: { page: number; limit: number; total: number; total_exact: boolean; next_cursor: string | null };
}

describe('keyset pagination: ?cursor= on every list and chapter view', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    // 30 mentors, names repeating so that ties are broken by mentor_id; odd ones paused, every third suppressed.
    await t.db.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id, certification_expires_at)
       SELECT 'mntr_key_' || lpad(i::text, 2, '0'), 'Mentor ' || (i % 7), $1, now() + (i % 5 + 1) * interval '1 day'
       FROM generate_series(1, 30) AS i`,
      [CHAPTER],
    );
    await t.db.query(
      `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by)
       SELECT 'msr_01KEYS' || lpad(i::text, 20, '0'), 'mntr_key_' || lpad(i::text, 2, '0'), CASE WHEN i % 2 = 0 THEN 'active' ELSE 'paused' END,
              CASE WHEN i % 2 = 0 THEN NULL ELSE 'Away' END, timestamp '2026-01-01' + (i % 4) * interval '1 hour', 'user_keys'
       FROM generate_series(1, 30) AS i`,
    );
    await t.db.query(
      `INSERT INTO mentor_suppressions (mentor_id, coordinator_id, reason, suppressed_at)
       SELECT 'mntr_key_' || lpad(i::text, 2, '0'), 'coord_keys', 'conduct_review', timestamp '2026-02-01' + (i % 3) * interval '1 minute'
       FROM generate_series(3, 30, 3) AS i`,
    );
    // More records by one actor than totals count exactly: all on mentor 01, a millisecond apart.
    await t.db.query(
      `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by)
       SELECT 'msr_01KBNK' || lpad(i::text, 20, '0'), 'mntr_key_01', CASE WHEN i % 2 = 0 THEN 'active' ELSE 'paused' END,
              CASE WHEN i % 2 = 0 THEN NULL ELSE 'Bulk' END, timestamp '2025-01-01' + i * interval '1 millisecond', $1
       FROM generate_series(1, $2) AS i`,
      [BULK_ACTOR, COUNT_LIMIT + 5],
    );
  });
  after(() => t.close());

  const get = (url: string) => request(t.http).get(url);

  /** Follows next_cursor from the first page to the end, checking each page's number and Link header. */
  async function walk(path: string, query: string, limit: number): Promise<{ items: Record<string, unknown>[]; pages: Listed[] }> {
    const pages: Listed[] = [];
    let url = `${path}?${query}${query ? '&' : ''}limit=${limit}`;
    for (;;) {
      const response = await get(url);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const body = response.body as Listed;
      pages.push(body);
      assert.equal(body.pagination.page, pages.length);
      const next = body.pagination.next_cursor;
      if (next === null) {
        assert.equal(response.headers.link, undefined);
        break;
      }
      const link = /^<([^>]+)>; rel="next"$/.exec(String(response.headers.link));
      assert.ok(link, `a Link header: ${response.headers.link}`);
      const linked = new URL(link[1], 'http://x');
      assert.equal(linked.pathname, path);
      assert.equal(linked.searchParams.get('cursor'), next);
      assert.equal(linked.searchParams.get('page'), null);
      url = `${linked.pathname}${linked.search}`;
      assert.ok(pages.length < 100, 'the walk ends');
    }
    return { items: pages.flatMap((page) => page.data), pages };
  }

  /** Every item of a list, read by offset pages of 100 (the lists are small enough). */
  async function everything(path: string, query: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let page = 1; ; page++) {
      const body = (await get(`${path}?${query}${query ? '&' : ''}limit=100&page=${page}`).expect(200)).body as Listed;
      items.push(...body.data);
      if (body.data.length < 100) return items;
    }
  }

  const lists: [string, string, string][] = [
    ['the status log of one actor', '/api/v1/mentor-statuses', 'changed_by=user_keys'],
    ['the paused records of one actor', '/api/v1/mentor-statuses', 'changed_by=user_keys&status=paused'],
    ['suppressions', '/api/v1/mentor-suppressions', ''],
    ['active suppressions of a coordinator', '/api/v1/mentor-suppressions', 'coordinator_id=coord_keys&is_active=true'],
    ['mentor profiles of a chapter', '/api/v1/mentors', `chapter_id=${CHAPTER}`],
    ['active mentors of a chapter', `/api/v1/chapters/${CHAPTER}/mentors/active`, ''],
    ['active mentors of a chapter, ineligible too', `/api/v1/chapters/${CHAPTER}/mentors/active`, 'include_ineligible=true'],
    ['paused mentors of a chapter', `/api/v1/chapters/${CHAPTER}/mentors/paused`, ''],
    ['mentors of a chapter whose certification lapses soon', `/api/v1/chapters/${CHAPTER}/mentors/expiring`, 'within_days=30'],
  ];
  for (const [what, path, query] of lists) {
    it(`${what}: following next_cursor gives every item once, in the list's order`, async () => {
      const truth = await everything(path, query);
      assert.ok(truth.length > 7, `enough items to page through (${truth.length})`);
      const { items, pages } = await walk(path, query, 7);
      assert.deepEqual(items, truth);
      assert.equal(pages.length, Math.ceil(truth.length / 7));
      for (const page of pages) assert.deepEqual([page.pagination.total, page.pagination.total_exact], [truth.length, true]);
    });
  }

  it('a cursor keeps its place when newer records arrive between pages', async () => {
    const first = (await get('/api/v1/mentor-statuses?changed_by=user_keys&limit=10').expect(200)).body as Listed;
    await t.db.query(
      `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by)
       VALUES ('msr_01KEYSNEWER00000000000000A', 'mntr_key_02', 'paused', 'Later', now(), 'user_keys')`,
    );
    const second = (await get(`/api/v1/mentor-statuses?changed_by=user_keys&limit=10&cursor=${first.pagination.next_cursor}`).expect(200)).body as Listed;
    const offsetSecond = (await get('/api/v1/mentor-statuses?changed_by=user_keys&limit=10&page=2').expect(200)).body as Listed;
    assert.equal(second.data[0].mentor_status_id, offsetSecond.data[1].mentor_status_id, 'the offset page shifted by the new record; the cursor page did not');
    const seen = new Set([...first.data, ...second.data].map((item) => item.mentor_status_id));
    assert.equal(seen.size, 20);
  });

  it(`counts exactly up to ${COUNT_LIMIT.toLocaleString('en')} items, then says so with total_exact: false`, async () => {
    const bounded = (await get(`/api/v1/mentor-statuses?changed_by=${BULK_ACTOR}`).expect(200)).body as Listed;
    assert.deepEqual([bounded.pagination.total, bounded.pagination.total_exact], [COUNT_LIMIT, false]);
    // Filtered by status at most, the kept counts are exact at any size.
    const all = (await get('/api/v1/mentor-statuses').expect(200)).body as Listed;
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM mentor_status_records WHERE deleted_at IS NULL');
    assert.deepEqual([all.pagination.total, all.pagination.total_exact], [rows[0].n, true]);
    assert.ok(all.pagination.total > COUNT_LIMIT);
  });

  it(`refuses a page number reaching past item ${MAX_OFFSET.toLocaleString('en')}, pointing to cursor`, async () => {
    await get(`/api/v1/mentor-statuses?changed_by=${BULK_ACTOR}&limit=20&page=${MAX_OFFSET / 20 + 1}`).expect(200);
    const refused = await get(`/api/v1/mentor-statuses?changed_by=${BULK_ACTOR}&limit=20&page=${MAX_OFFSET / 20 + 2}`);
    assertProblem(refused, 400, ['page']);
    assert.match(refused.body.detail, /cursor/);
    assertProblem(await get(`/api/v1/chapters/${CHAPTER}/mentors/active?limit=100&page=102`), 400, ['page']);
  });

  it('walks past that depth with cursors', async () => {
    let cursor: string | null = null;
    let seen = 0;
    let last: Listed | undefined;
    do {
      last = (await get(`/api/v1/mentor-statuses?changed_by=${BULK_ACTOR}&limit=100${cursor ? `&cursor=${cursor}` : ''}`).expect(200)).body as Listed;
      seen += last.data.length;
      cursor = last.pagination.next_cursor;
    } while (cursor !== null);
    assert.equal(seen, COUNT_LIMIT + 5);
    assert.equal(last.pagination.page, Math.ceil((COUNT_LIMIT + 5) / 100));
  });

  describe('a cursor that cannot be used is 400 naming cursor, never a 500 or a scan', () => {
    let cursor: string;
    before(async () => {
      cursor = ((await get('/api/v1/mentor-statuses?changed_by=user_keys&limit=5').expect(200)).body as Listed).pagination.next_cursor!;
    });

    const flip = (text: string, at: number) => `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
    const refused: [string, () => string][] = [
      ['with page', () => `/api/v1/mentor-statuses?changed_by=user_keys&cursor=${cursor}&page=2`],
      ['edited in its body', () => `/api/v1/mentor-statuses?changed_by=user_keys&cursor=${flip(cursor, 3)}`],
      ['edited in its check', () => `/api/v1/mentor-statuses?changed_by=user_keys&cursor=${flip(cursor, cursor.length - 1)}`],
      ['cut short', () => `/api/v1/mentor-statuses?changed_by=user_keys&cursor=${cursor.slice(0, -4)}`],
      ['made up', () => '/api/v1/mentor-statuses?cursor=not-a-cursor'],
      ['empty', () => '/api/v1/mentor-statuses?cursor='],
      ['with other filters', () => `/api/v1/mentor-statuses?changed_by=someone_else&cursor=${cursor}`],
      ['without its filters', () => `/api/v1/mentor-statuses?cursor=${cursor}`],
      ['of another list', () => `/api/v1/mentor-suppressions?cursor=${cursor}`],
      ['huge', () => `/api/v1/mentor-statuses?cursor=${'A'.repeat(2000)}.AAAAAAAAAAA`],
    ];
    for (const [what, url] of refused) {
      it(what, async () => assertProblem(await get(url()), 400, ['cursor']));
    }

    it('a well-formed cursor whose sort key is not of the list is refused too', async () => {
      const { encodeCursor, queryFingerprint } = await import('../../src/common/pagination/cursor.js');
      const fingerprint = queryFingerprint('mentor-statuses', { changed_by: 'user_keys' });
      for (const after of [
        ['yesterday', 'msr_01KEYS00000000000000000001'],
        ['2026-01-01T00:00:00.000Z', "msr_'; DROP TABLE mentors; --"],
      ]) {
        assertProblem(await get(`/api/v1/mentor-statuses?changed_by=user_keys&cursor=${encodeCursor(fingerprint, { skipped: 5, after })}`), 400, ['cursor']);
      }
    });

    it('a cursor may be followed with another limit', async () => {
      const body = (await get(`/api/v1/mentor-statuses?changed_by=user_keys&cursor=${cursor}&limit=3`).expect(200)).body as Listed;
      assert.equal(body.data.length, 3);
    });
  });
});
