import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { chapterId, COORDINATORS, coordinatorId, DatasetShape, mentorId, recordId, suppressedMentorIndexes } from './dataset.js';

export interface BenchRequest {
  path: string;
  /** JSON, for a write: sent with the key of {@link BENCH_API_KEY}. */
  body?: string;
}

/** Writes need an API key as in production: the app runs with this one as API_KEYS. */
export const BENCH_API_KEY = { name: 'bench', key: randomBytes(24).toString('base64url') };

/** The n-th request of one run. */
export type RequestSource = (n: number) => BenchRequest;

export interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  /** Called before every run (warm-up included), so each run starts from what the database holds. */
  prepare(): Promise<RequestSource>;
}

const API = '/api/v1';
// Multiplying by a prime spreads consecutive requests over the whole id range, the same way on every run and server.
const spread = (n: number, size: number) => (n * 7919) % size;

const fixed = (source: RequestSource) => async () => source;

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
      name: 'POST /mentor-statuses',
      method: 'POST',
      prepare: () => statusChanges(shape, databaseUrl),
    },
  ];
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
