import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { encodeCursor, queryFingerprint } from '../src/common/pagination/cursor.js';
import { chapterId, COORDINATORS, coordinatorId, DatasetShape, mentorId, recordId, suppressedMentorIndexes } from './dataset.js';

export interface BenchRequest {
  path: string;
  /** JSON, for a write: sent with the key of {@link BENCH_API_KEY}. */
  body?: string;
  headers?: Record<string, string>;
}

/** Writes need an API key as in production: the app runs with this one as API_KEYS. */
export const BENCH_API_KEY = { name: 'bench', key: randomBytes(24).toString('base64url') };

/** The n-th request of one run. */
export type RequestSource = (n: number) => BenchRequest;

export interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  /** The one status every answer must have; without it, any 2xx. Any other answer counts as an error. */
  expectedStatus?: number;
  /** A field of the answer that holds the instant it was made (so no two answers, nor their ETags, are alike). */
  instantField?: string;
  /**
   * Called before every run (warm-up included), so each run starts from what the database holds;
   * `baseUrl` is the server about to be loaded (one of them, for several instances).
   */
  prepare(baseUrl: string): Promise<RequestSource>;
}

const API = '/api/v1';
// Multiplying by a prime spreads consecutive requests over the whole id range, the same way on every run and server.
const spread = (n: number, size: number) => (n * 7919) % size;

const fixed = (source: RequestSource) => async () => source;

/** Requests that depend on the data but not on what the runs change: made once, on first use. */
function once(make: () => Promise<RequestSource>): () => Promise<RequestSource> {
  let made: Promise<RequestSource> | undefined;
  return () => (made ??= make());
}

/** Every endpoint of the benchmark, in the order they are measured: reads first, the write last. */
export function endpoints(shape: DatasetShape, databaseUrl: string): Endpoint[] {
  const suppressed = suppressedMentorIndexes(shape).map(mentorId);
  return [
    {
      name: 'GET /mentor-statuses/:id',
      method: 'GET',
      prepare: fixed((n) => ({ path: `${API}/mentor-statuses/${recordId(spread(n, shape.records))}` })),
    },
    {
      name: 'GET /mentor-statuses?mentor_id=',
      method: 'GET',
      prepare: fixed((n) => ({ path: `${API}/mentor-statuses?mentor_id=${mentorId(spread(n, shape.mentors))}` })),
    },
    {
      name: 'GET /mentor-statuses',
      method: 'GET',
      prepare: fixed(() => ({ path: `${API}/mentor-statuses` })),
    },
    {
      name: 'GET /chapters/:id/mentors/active',
      method: 'GET',
      prepare: fixed((n) => ({ path: `${API}/chapters/${chapterId(n % shape.chapters)}/mentors/active` })),
    },
    {
      name: 'GET /chapters/:id/mentors/paused',
      method: 'GET',
      prepare: fixed((n) => ({ path: `${API}/chapters/${chapterId(n % shape.chapters)}/mentors/paused` })),
    },
    {
      name: 'GET /chapters/:id/summary',
      method: 'GET',
      instantField: 'as_of',
      prepare: fixed((n) => ({ path: `${API}/chapters/${chapterId(n % shape.chapters)}/summary` })),
    },
    {
      name: 'GET /mentor-suppressions/:mentor_id',
      method: 'GET',
      prepare: fixed((n) => ({ path: `${API}/mentor-suppressions/${suppressed[spread(n, suppressed.length)]}` })),
    },
    {
      name: 'GET /mentor-suppressions?coordinator_id=',
      method: 'GET',
      prepare: fixed((n) => ({ path: `${API}/mentor-suppressions?coordinator_id=${coordinatorId(n % COORDINATORS)}` })),
    },
    {
      name: 'GET /mentor-statuses?mentor_id=&cursor=',
      method: 'GET',
      prepare: once(async () => {
        const pages = await secondPages(shape, databaseUrl);
        return (n) => ({ path: pages[spread(n, pages.length)] });
      }),
    },
    {
      name: 'GET /events?after=',
      method: 'GET',
      prepare: once(async () => {
        const cursors = await feedCursors(databaseUrl);
        return (n) => ({ path: `${API}/events?after=${cursors[spread(n, cursors.length)]}` });
      }),
    },
    {
      name: 'GET /mentor-statuses/:id → 304',
      method: 'GET',
      expectedStatus: 304,
      prepare: (baseUrl) => conditionalReads(baseUrl, shape),
    },
    {
      name: 'POST /mentor-statuses',
      method: 'POST',
      prepare: () => statusChanges(shape, databaseUrl),
    },
  ];
}

async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Mentors whose histories the cursor pages walk; each has a second page (20 records each, 10 a page). */
const PAGED_MENTORS = 5_000;
const PAGE_OF_HISTORY = 10;

/**
 * The second page of mentors' histories, as a client that followed `next_cursor` from the first
 * page asks for it: the cursor is made from the first page's last record, as the app makes it.
 */
async function secondPages(shape: DatasetShape, databaseUrl: string): Promise<string[]> {
  const mentors = Array.from({ length: Math.min(PAGED_MENTORS, shape.mentors) }, (_, n) => mentorId(spread(n, shape.mentors)));
  const rows = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ mentor_id: string; id: string; changed_at: Date }>(
      `SELECT given.mentor_id, last.id, last.changed_at FROM unnest($1::varchar[]) AS given(mentor_id)
       CROSS JOIN LATERAL (
         SELECT r.id, r.changed_at FROM mentor_status_records r
         WHERE r.mentor_id = given.mentor_id AND r.deleted_at IS NULL
         ORDER BY r.changed_at DESC, r.id DESC OFFSET $2 LIMIT 1
       ) last`,
      [mentors, PAGE_OF_HISTORY - 1],
    );
    return rows;
  });
  return rows.map((row) => {
    const cursor = encodeCursor(queryFingerprint('mentor-statuses', { mentor_id: row.mentor_id }), {
      skipped: PAGE_OF_HISTORY,
      after: [row.changed_at.toISOString(), row.id],
    });
    return `${API}/mentor-statuses?mentor_id=${row.mentor_id}&limit=${PAGE_OF_HISTORY}&cursor=${cursor}`;
  });
}

/** Where the feed reads start: positions spread over the outbox, each with a full answer (100 events) after it. */
const FEED_STARTS = 1_000;
const FEED_ANSWER = 100;

async function feedCursors(databaseUrl: string): Promise<string[]> {
  const rows = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ xid: string; seq: string }>(
      `SELECT xid::text, seq::text FROM (
         SELECT xid, seq, row_number() OVER (ORDER BY xid, seq) AS n, count(*) OVER () AS events FROM event_outbox
       ) numbered
       WHERE n <= events - $1 AND n % greatest((events - $1) / $2, 1) = 0`,
      [FEED_ANSWER, FEED_STARTS],
    );
    return rows;
  });
  if (rows.length === 0) throw new Error('the dataset has no change events to read');
  const fingerprint = queryFingerprint('events', {});
  return rows.map((row) => encodeCursor(fingerprint, { skipped: 0, after: [row.xid, row.seq] }));
}

/** Records read conditionally: a client that has them cached sends back the ETag it got. */
const CACHED_RECORDS = 500;

/** The first endpoint's paths, each with the ETag the server gives it now: every answer is 304 while nothing changes. */
async function conditionalReads(baseUrl: string, shape: DatasetShape): Promise<RequestSource> {
  const paths = Array.from({ length: Math.min(CACHED_RECORDS, shape.records) }, (_, n) => `${API}/mentor-statuses/${recordId(spread(n, shape.records))}`);
  const tags: string[] = [];
  for (const path of paths) {
    const answer = await fetch(`${baseUrl}${path}`);
    await answer.arrayBuffer();
    const tag = answer.headers.get('etag');
    if (answer.status !== 200 || !tag) throw new Error(`${path} answered ${answer.status} without an ETag`);
    tags.push(tag);
  }
  return (n) => ({ path: paths[n % paths.length], headers: { 'if-none-match': tags[n % paths.length] } });
}

/** Mentors that the POST runs change; a mentor's next change comes this many requests later. */
const POST_POOL = 10_000;

/**
 * Status changes that are all real transitions (201, never 409): each run reads the current
 * status of the pool's mentors, then flips each mentor in turn, going round the pool.
 */
async function statusChanges(shape: DatasetShape, databaseUrl: string): Promise<RequestSource> {
  const pool = Array.from({ length: Math.min(POST_POOL, shape.mentors) }, (_, index) => mentorId(index));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let current: Map<string, string>;
  try {
    await untilWritesSettle(client);
    const { rows } = await client.query<{ mentor_id: string; status: string }>(
      `SELECT given.mentor_id, latest.status FROM unnest($1::varchar[]) AS given(mentor_id)
       CROSS JOIN LATERAL (
         SELECT r.status FROM mentor_status_records r
         WHERE r.mentor_id = given.mentor_id AND r.deleted_at IS NULL
         ORDER BY r.changed_at DESC, r.id DESC LIMIT 1
       ) latest`,
      [pool],
    );
    current = new Map(rows.map((row) => [row.mentor_id, row.status]));
  } finally {
    await client.end();
  }
  return (n) => {
    const mentor = pool[n % pool.length];
    const round = Math.floor(n / pool.length);
    const wasPaused = current.get(mentor) === 'paused';
    const pause = round % 2 === 0 ? !wasPaused : wasPaused;
    const body = pause
      ? { mentor_id: mentor, status: 'paused', reason: 'Benchmark pause', changed_by: 'bench_load' }
      : { mentor_id: mentor, status: 'active', changed_by: 'bench_load' };
    return { path: `${API}/mentor-statuses`, body: JSON.stringify(body) };
  };
}

/**
 * The previous run's last requests may still be committing when the next run starts: wait
 * until no other session of the database has been busy for a few samples in a row.
 */
async function untilWritesSettle(client: pg.Client): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (let quiet = 0; quiet < 3 && Date.now() < deadline;) {
    const { rows } = await client.query<{ busy: number }>(
      `SELECT count(*)::int AS busy FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
    );
    quiet = rows[0].busy === 0 ? quiet + 1 : 0;
    await sleep(50);
  }
}
