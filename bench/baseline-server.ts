/**
 * The raw baseline of the benchmark: node:http and a pg Pool of the same size as the app's,
 * answering the measured routes with the SQL the app's repositories issue and the answers the app
 * gives (test/system/bench-baseline.e2e.test.ts holds it to that: the same bodies, ETags and Link
 * headers, and 304 to the same If-None-Match), and nothing else: no framework, no validation, no
 * logging, no error answers beyond a bare status. Cursors, entity tags and next-page links come from the
 * app's own small modules, so that both sides make the same ones. Run as a child process by bench/run.ts.
 *
 * Environment: DATABASE_URL, PORT, HOST (default 127.0.0.1), DB_POOL_SIZE (default 10).
 */
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { monotonicFactory } from 'ulid';
import pg from 'pg';
import { etagOfJson, notModified } from '../src/common/http/etag.js';
import { decodeCursor, encodeCursor, queryFingerprint } from '../src/common/pagination/cursor.js';
import { nextPageUrl } from '../src/common/pagination/next-link.hook.js';

const nextUlid = monotonicFactory();
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 10) });

const COUNT_LIMIT = 10_000;

class Refused extends Error {
  constructor(readonly status: number) {
    super(String(status));
  }
}

interface Request {
  raw: IncomingMessage;
  search: URLSearchParams;
  /** The path's captured parts. */
  params: string[];
}

interface Answer {
  status: number;
  body: unknown;
  /** The `next_cursor` of a list answer, linked from the `Link` header as the app does. */
  next?: string | null;
}

function send(request: IncomingMessage, response: ServerResponse, { status, body, next }: Answer): void {
  const json = JSON.stringify(body);
  if (request.method === 'GET' && status === 200) {
    const etag = etagOfJson(json);
    response.setHeader('etag', etag);
    if (typeof next === 'string') response.setHeader('link', `<${nextPageUrl(request.url ?? '/', next)}>; rel="next"`);
    if (notModified(request.headers['if-none-match'], etag)) {
      response.writeHead(304).end();
      return;
    }
  }
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) }).end(json);
}

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

interface Page {
  limit: number;
  offset: number;
  skipped: number;
  after: string[] | undefined;
  fingerprint: string;
}

function pageOf(search: URLSearchParams, list: string, filters: Record<string, unknown>): Page {
  const limit = Number(search.get('limit') ?? 20);
  const fingerprint = queryFingerprint(list, filters);
  const cursor = search.get('cursor');
  if (cursor === null) {
    const offset = (Number(search.get('page') ?? 1) - 1) * limit;
    return { limit, offset, skipped: offset, after: undefined, fingerprint };
  }
  const position = decodeCursor(cursor, fingerprint, 2);
  if (typeof position === 'string') throw new Refused(400);
  return { limit, offset: 0, skipped: position.skipped, after: position.after, fingerprint };
}

/** `{ data, pagination }` from up to limit + 1 fetched rows, as the app's pageOf makes it. */
function listAnswer<Row>(page: Page, fetched: Row[], counted: number, exact: boolean, sortKey: (row: Row) => string[], item: (row: Row) => unknown): Answer {
  const rows = fetched.slice(0, page.limit);
  const bounded = !exact && counted > COUNT_LIMIT;
  const next =
    fetched.length > page.limit ? encodeCursor(page.fingerprint, { skipped: page.skipped + rows.length, after: sortKey(rows[rows.length - 1]) }) : null;
  const pagination = {
    page: Math.floor(page.skipped / page.limit) + 1,
    limit: page.limit,
    total: bounded ? COUNT_LIMIT : counted,
    total_exact: !bounded,
    next_cursor: next,
  };
  return { status: 200, body: { data: rows.map(item), pagination }, next };
}

/** A list's page and count in one statement, shaped as the app's repositories shape it. */
function pagedSql(
  table: string,
  alias: string,
  columns: string,
  where: string,
  order: [string, string],
  counted: string,
  after: string,
  window: string,
  offset: number,
) {
  const orderBy = `ORDER BY ${alias}.${order[0]} DESC, ${alias}.${order[1]} DESC`;
  const rows =
    offset === 0
      ? `SELECT ${columns} FROM ${table} ${alias} WHERE ${where} ${after} ${orderBy} ${window}`
      : `SELECT ${columns} FROM (SELECT ${alias}.id FROM ${table} ${alias} WHERE ${where} ${orderBy} ${window}) ids JOIN ${table} ${alias} USING (id) ${orderBy}`;
  return `SELECT page.*, counted.total FROM (${counted}) counted LEFT JOIN LATERAL (${rows}) page ON true
       ORDER BY page.${order[0]} DESC, page.${order[1]} DESC`;
}

/** Who a write was verified to come from, as the app answers it: null unless it was authenticated. */
interface RecordedByColumns {
  recorded_by_kind: string | null;
  recorded_by_id: string | null;
  recorded_by_client_id: string | null;
  recorded_by_request_id: string | null;
}

const recordedBy = (row: RecordedByColumns) =>
  row.recorded_by_kind === null
    ? null
    : { kind: row.recorded_by_kind, id: row.recorded_by_id, client_id: row.recorded_by_client_id, request_id: row.recorded_by_request_id };

const recordedByColumns = (alias: string) => ['kind', 'id', 'client_id', 'request_id'].map((column) => `${alias}.recorded_by_${column}`).join(', ');

const RECORD_COLUMNS = `r.id, r.mentor_id, r.status, r.reason, r.reason_code, r.resume_at, r.changed_at, r.changed_by, r.created_at, ${recordedByColumns('r')}`;

interface RecordRow extends RecordedByColumns {
  id: string;
  mentor_id: string;
  status: string;
  reason: string | null;
  reason_code: string | null;
  resume_at: Date | null;
  changed_at: Date;
  changed_by: string;
  created_at: Date;
}

const recordJson = (row: RecordRow) => ({
  mentor_status_id: row.id,
  mentor_id: row.mentor_id,
  status: row.status,
  reason: row.reason,
  reason_code: row.reason_code,
  resume_at: iso(row.resume_at),
  changed_at: iso(row.changed_at),
  changed_by: row.changed_by,
  recorded_by: recordedBy(row),
});

const createdJson = (row: RecordRow) => ({ ...recordJson(row), created_at: iso(row.created_at) });

const GET_STATUS_RECORD = `SELECT ${RECORD_COLUMNS}, previous.status AS previous_status
       FROM mentor_status_records r
       LEFT JOIN LATERAL (
         SELECT p.status FROM mentor_status_records p
         WHERE p.mentor_id = r.mentor_id AND p.deleted_at IS NULL AND (p.changed_at, p.id) < (r.changed_at, r.id)
         ORDER BY p.changed_at DESC, p.id DESC
         LIMIT 1
       ) previous ON true
       WHERE r.id = $1 AND r.deleted_at IS NULL`;

async function getStatusRecord({ params: [id] }: Request): Promise<Answer> {
  const row = (await pool.query<RecordRow & { previous_status: string | null }>(GET_STATUS_RECORD, [id])).rows[0];
  if (!row) throw new Refused(404);
  return { status: 200, body: { ...createdJson(row), previous_status: row.previous_status } };
}

async function listStatusRecords({ search }: Request): Promise<Answer> {
  const mentorId = search.get('mentor_id') ?? undefined;
  const page = pageOf(search, 'mentor-statuses', { mentor_id: mentorId });
  const values: unknown[] = [];
  const where = mentorId === undefined ? 'r.deleted_at IS NULL' : `r.deleted_at IS NULL AND r.mentor_id = $${values.push(mentorId)}`;
  const counted =
    mentorId === undefined
      ? 'SELECT coalesce(sum(c.live), 0)::int AS total FROM mentor_status_record_counts c '
      : `SELECT count(*)::int AS total FROM (SELECT 1 FROM mentor_status_records r WHERE ${where} ORDER BY r.changed_at DESC, r.id DESC LIMIT ${COUNT_LIMIT + 1}) matching`;
  const after = page.after ? `AND (r.changed_at, r.id) < ($${values.push(page.after[0])}::timestamptz, $${values.push(page.after[1])}::varchar)` : '';
  const window = `LIMIT $${values.push(page.limit + 1)} OFFSET $${values.push(page.offset)}`;
  const sql = pagedSql('mentor_status_records', 'r', RECORD_COLUMNS, where, ['changed_at', 'id'], counted, after, window, page.offset);
  const found = (await pool.query<RecordRow & { total: number }>(sql, values)).rows;
  return listAnswer(
    page,
    found.filter((row) => row.id !== null),
    found[0].total,
    mentorId === undefined,
    (row) => [row.changed_at.toISOString(), row.id],
    recordJson,
  );
}

const WITHOUT_PROFILE =
  'SELECT given.mentor_id FROM unnest($1::varchar[]) AS given(mentor_id) WHERE NOT EXISTS (SELECT 1 FROM mentors m WHERE m.mentor_id = given.mentor_id)';
/** The history lock and the eligibility before, in one call of the database function the app calls. */
const LOCK_AND_READ_ELIGIBILITY = 'SELECT mentor_id, chapter_id, is_eligible_for_assignment FROM lock_mentor_histories($1::varchar[])';
const CURRENT_STATUSES =
  'SELECT mentor_id, record_id, status, reason, reason_code, resume_at, changed_at, changed_by FROM mentor_current_statuses WHERE mentor_id = ANY($1::varchar[])';
const STAMP = `greatest(instant.now, given.follows + interval '1 millisecond') + given.later * interval '1 millisecond'`;
const INSERT_STATUS_RECORDS = `WITH instant AS (SELECT date_trunc('milliseconds', clock_timestamp()) AS now),
       given AS (
         SELECT g.*, row_number() OVER (PARTITION BY g.mentor_id ORDER BY g.n) - 1 AS later
         FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::timestamptz[], $7::varchar[], $8::timestamptz[])
           WITH ORDINALITY AS g(id, mentor_id, status, reason, reason_code, resume_at, changed_by, follows, n)
       )
       INSERT INTO mentor_status_records AS r (id, mentor_id, status, reason, reason_code, resume_at, changed_at, changed_by, created_at, updated_at)
       SELECT given.id, given.mentor_id, given.status, given.reason, given.reason_code, given.resume_at, ${STAMP}, given.changed_by, ${STAMP}, ${STAMP}
       FROM given CROSS JOIN instant
       RETURNING ${RECORD_COLUMNS}`;
/** The events and their eligibility flips, by the database function the app calls. */
const RECORD_MENTOR_EVENTS =
  'SELECT record_mentor_events($1::uuid[], $2::varchar[], $3::varchar[], $4::json[], $5, $6::varchar[], $7::varchar[], $8::boolean[])';

/**
 * The app's NOTIFY after a writing commit, on a connection of its own: one in flight at a time, the
 * next 10 ms after it at the earliest (EventNotifications' gap), the commits meanwhile sharing it.
 */
const notifier = new pg.Client({ connectionString: process.env.DATABASE_URL });
const notifierReady = notifier.connect();
let sending = false;
let owed = false;
let lastSentAt = Number.NEGATIVE_INFINITY;
function announce(): void {
  owed = true;
  if (sending) return;
  sending = true;
  const wait = Math.max(lastSentAt + 10 - performance.now(), 0);
  setTimeout(() => {
    owed = false;
    lastSentAt = performance.now();
    notifierReady
      .then(() => notifier.query('NOTIFY mentor_events'))
      .catch(console.error)
      .finally(() => {
        sending = false;
        if (owed) announce();
      });
  }, wait);
}

async function readJson(request: IncomingMessage): Promise<Record<string, string | undefined>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string | undefined>;
}

/** The statements of the app's POST: one transaction with the history lock and eligibility before, the profile and current status, the insert, and the events with their eligibility flips; the NOTIFY after the commit. */
async function createStatusRecord({ raw }: Request): Promise<Answer> {
  const body = await readJson(raw);
  const mentor = body.mentor_id!;
  const client = await pool.connect();
  try {
    await client.query('START TRANSACTION');
    const before = (await client.query<{ chapter_id: string; is_eligible_for_assignment: boolean }>(LOCK_AND_READ_ELIGIBILITY, [[mentor]])).rows;
    if ((await client.query(WITHOUT_PROFILE, [[mentor]])).rows.length > 0) {
      await client.query('ROLLBACK');
      throw new Refused(422);
    }
    const current = (await client.query<{ record_id: string; status: string; changed_at: Date }>(CURRENT_STATUSES, [[mentor]])).rows[0];
    if (current?.status === body.status) {
      await client.query('ROLLBACK');
      throw new Refused(409);
    }
    const id = `msr_${nextUlid()}`;
    const [row] = (
      await client.query<RecordRow>(INSERT_STATUS_RECORDS, [
        [id],
        [mentor],
        [body.status],
        [body.reason ?? null],
        [null],
        [null],
        [body.changed_by],
        [current?.changed_at ?? null],
      ])
    ).rows;
    const created = createdJson(row);
    await client.query(RECORD_MENTOR_EVENTS, [
      [randomUUID()],
      ['mentor.status.changed'],
      [mentor],
      [JSON.stringify({ ...created, previous_status: current?.status ?? null })],
      null,
      before.map(() => mentor),
      before.map((was) => was.chapter_id),
      before.map((was) => was.is_eligible_for_assignment),
    ]);
    await client.query('COMMIT');
    announce();
    return { status: 201, body: created };
  } catch (error) {
    if (!(error instanceof Refused)) await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

const DIRECTORY_COLUMNS =
  'd.mentor_id, d.full_name, d.chapter_id, d.certification_expires_at, d.status, d.status_reason, d.status_reason_code, d.status_resume_at, ' +
  'd.status_changed_at, d.is_eligible_for_assignment';

interface DirectoryRow {
  mentor_id: string;
  full_name: string;
  chapter_id: string;
  status_reason: string | null;
  status_reason_code: string | null;
  status_resume_at: Date | null;
  status_changed_at: Date | null;
  is_eligible_for_assignment: boolean;
}

async function listChapterMentors({ params: [chapterId, which], search }: Request): Promise<Answer> {
  const active = which === 'active';
  const page = pageOf(
    search,
    active ? 'chapter-active' : 'chapter-paused',
    active ? { chapter_id: chapterId, include_ineligible: false } : { chapter_id: chapterId },
  );
  const values: unknown[] = [chapterId];
  const after = page.after
    ? `WHERE (listing.full_name, listing.mentor_id) > ($${values.push(page.after[0])}::varchar, $${values.push(page.after[1])}::varchar)`
    : '';
  const selection = active ? "d.status = 'active' AND d.is_eligible_for_assignment" : "d.status = 'paused'";
  const found = (
    await pool.query<DirectoryRow & { total: number }>(
      `WITH listing AS (SELECT ${DIRECTORY_COLUMNS} FROM mentor_directory d WHERE d.chapter_id = $1 AND ${selection})
       SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM listing) counted
       LEFT JOIN LATERAL (
         SELECT * FROM listing ${after} ORDER BY listing.full_name, listing.mentor_id LIMIT $${values.push(page.limit + 1)} OFFSET $${values.push(page.offset)}
       ) page ON true
       ORDER BY page.full_name, page.mentor_id`,
      values,
    )
  ).rows;
  const item = active
    ? (row: DirectoryRow) => ({
        mentor_id: row.mentor_id,
        full_name: row.full_name,
        chapter_id: row.chapter_id,
        status: 'active',
        is_eligible_for_assignment: row.is_eligible_for_assignment,
      })
    : (row: DirectoryRow) => ({
        mentor_id: row.mentor_id,
        full_name: row.full_name,
        chapter_id: row.chapter_id,
        status: 'paused',
        paused_at: iso(row.status_changed_at),
        pause_reason: row.status_reason,
        pause_reason_code: row.status_reason_code,
        resumes_at: iso(row.status_resume_at),
        is_eligible_for_assignment: false,
      });
  return listAnswer(
    page,
    found.filter((row) => row.mentor_id !== null),
    found[0].total,
    true,
    (row) => [row.full_name, row.mentor_id],
    item,
  );
}

const DAY_MS = 86_400_000;
const CHAPTER_SUMMARY = `SELECT grouping(d.status_reason_code) = 1 AS overall, d.status_reason_code AS reason_code,
              count(*)::int AS mentors,
              count(*) FILTER (WHERE d.status = 'active' AND d.is_eligible_for_assignment)::int AS active_eligible,
              count(*) FILTER (WHERE d.status = 'active' AND NOT d.is_eligible_for_assignment)::int AS active_suppressed,
              count(*) FILTER (WHERE d.status = 'paused')::int AS paused,
              count(*) FILTER (WHERE d.status = 'paused' AND d.status_resume_at <= $3)::int AS resuming,
              count(*) FILTER (WHERE d.certification_expires_at > $2 AND d.certification_expires_at <= $4)::int AS expiring
       FROM mentor_directory d
       WHERE d.chapter_id = $1
       GROUP BY GROUPING SETS ((), (d.status_reason_code))
       ORDER BY overall DESC, reason_code NULLS LAST`;

interface SummaryRow {
  overall: boolean;
  reason_code: string | null;
  mentors: number;
  active_eligible: number;
  active_suppressed: number;
  paused: number;
  resuming: number;
  expiring: number;
}

async function chapterSummary({ params: [chapterId] }: Request): Promise<Answer> {
  const now = new Date();
  const after = (days: number) => new Date(now.getTime() + days * DAY_MS);
  const rows = (await pool.query<SummaryRow>(CHAPTER_SUMMARY, [chapterId, now, after(7), after(30)])).rows;
  const overall = rows.find((row) => row.overall);
  return {
    status: 200,
    body: {
      chapter_id: chapterId,
      as_of: now.toISOString(),
      mentors: overall?.mentors ?? 0,
      active_eligible: overall?.active_eligible ?? 0,
      active_suppressed: overall?.active_suppressed ?? 0,
      paused: overall?.paused ?? 0,
      paused_by_reason_code: rows.filter((row) => !row.overall && row.paused > 0).map((row) => ({ reason_code: row.reason_code, count: row.paused })),
      resuming_within_7_days: overall?.resuming ?? 0,
      certifications_expiring_within_30_days: overall?.expiring ?? 0,
    },
  };
}

const SUPPRESSION_COLUMNS = `s.id, s.mentor_id, s.coordinator_id, s.reason, s.restore_reason, s.suppressed_at, s.restored_at, s.is_active, ${recordedByColumns('s')}`;

interface SuppressionRow extends RecordedByColumns {
  id: string;
  mentor_id: string;
  coordinator_id: string;
  reason: string;
  restore_reason: string | null;
  suppressed_at: Date;
  restored_at: Date | null;
  is_active: boolean;
}

const suppressionJson = (row: SuppressionRow) => ({
  suppression_id: row.id,
  mentor_id: row.mentor_id,
  coordinator_id: row.coordinator_id,
  reason: row.reason,
  suppressed_at: iso(row.suppressed_at),
  restored_at: iso(row.restored_at),
  is_active: row.is_active,
  ...(row.restore_reason !== null && { restore_reason: row.restore_reason }),
  recorded_by: recordedBy(row),
});

const CURRENT_SUPPRESSION = `SELECT ${SUPPRESSION_COLUMNS} FROM mentor_suppressions s WHERE s.mentor_id = $1 ORDER BY s.is_active DESC, s.suppressed_at DESC, s.id DESC LIMIT 1`;

async function getSuppression({ params: [mentorId] }: Request): Promise<Answer> {
  const row = (await pool.query<SuppressionRow>(CURRENT_SUPPRESSION, [mentorId])).rows[0];
  if (!row) throw new Refused(404);
  return { status: 200, body: suppressionJson(row) };
}

async function listSuppressions({ search }: Request): Promise<Answer> {
  const coordinatorId = search.get('coordinator_id') ?? undefined;
  const page = pageOf(search, 'mentor-suppressions', { coordinator_id: coordinatorId });
  const values: unknown[] = [];
  const where = coordinatorId === undefined ? 'true' : `true AND s.coordinator_id = $${values.push(coordinatorId)}`;
  const counted = `SELECT count(*)::int AS total FROM (SELECT 1 FROM mentor_suppressions s WHERE ${where} ORDER BY s.suppressed_at DESC, s.id DESC LIMIT ${COUNT_LIMIT + 1}) matching`;
  const after = page.after ? `AND (s.suppressed_at, s.id) < ($${values.push(page.after[0])}::timestamptz, $${values.push(page.after[1])}::uuid)` : '';
  const window = `LIMIT $${values.push(page.limit + 1)} OFFSET $${values.push(page.offset)}`;
  const sql = pagedSql('mentor_suppressions', 's', SUPPRESSION_COLUMNS, where, ['suppressed_at', 'id'], counted, after, window, page.offset);
  const found = (await pool.query<SuppressionRow & { total: number }>(sql, values)).rows;
  return listAnswer(
    page,
    found.filter((row) => row.id !== null),
    found[0].total,
    false,
    (row) => [row.suppressed_at.toISOString(), row.id],
    suppressionJson,
  );
}

const HORIZON = '(SELECT event_horizon())';
const EVENTS_AFTER = `WITH h AS (SELECT ${HORIZON} AS horizon),
       summary AS MATERIALIZED (
         SELECT
           (SELECT e.xid || ':' || e.seq FROM event_outbox e WHERE e.xid < h.horizon ORDER BY e.xid DESC, e.seq DESC LIMIT 1) AS tail,
           coalesce((SELECT max(e.xid) FROM event_outbox e) >= h.horizon, false) AS withheld,
           (SELECT p.xid || ':' || p.seq FROM event_positions p WHERE p.name = 'pruned') AS pruned
         FROM h
       )
       SELECT page.*, summary.tail, summary.withheld, summary.pruned
       FROM summary
       LEFT JOIN LATERAL (
         SELECT e.xid, e.seq, e.id, e.type, e.subject, e.time, e.data FROM event_outbox e, h
         WHERE (e.xid, e.seq) > ($1::bigint, $2::bigint) AND e.xid < h.horizon ORDER BY e.xid, e.seq LIMIT $3
       ) page ON true
       ORDER BY page.xid, page.seq`;
const FEED_FINGERPRINT = queryFingerprint('events', {});

const beyond = (a: string[], b: string[]) => BigInt(a[0]) > BigInt(b[0]) || (a[0] === b[0] && BigInt(a[1]) > BigInt(b[1]));

/** The feed without filters or `wait`: what a consumer that follows it asks. */
async function listEvents({ search }: Request): Promise<Answer> {
  const cursor = search.get('after');
  const decoded = cursor === null ? { after: ['0', '0'] } : decodeCursor(cursor, FEED_FINGERPRINT, 2);
  if (typeof decoded === 'string') throw new Refused(400);
  const start = decoded.after;
  const limit = Number(search.get('limit') ?? 100);
  const rows = (
    await pool.query<{ xid: string; seq: string; id: string; type: string; subject: string; time: Date; data: unknown; tail: string | null }>(EVENTS_AFTER, [
      start[0],
      start[1],
      limit,
    ])
  ).rows;
  const events = rows.filter((row) => row.id !== null);
  const tail = rows[0].tail?.split(':');
  const last = events.length === limit ? [events[limit - 1].xid, events[limit - 1].seq] : tail && beyond(tail, start) ? tail : start;
  return {
    status: 200,
    body: {
      data: events.map((row) => ({
        specversion: '1.0',
        id: row.id,
        source: '/mentor-status-service',
        type: row.type,
        subject: row.subject,
        time: row.time.toISOString(),
        datacontenttype: 'application/json',
        data: row.data,
      })),
      next_cursor: encodeCursor(FEED_FINGERPRINT, { skipped: 0, after: last }),
    },
  };
}

/** The measured routes: one entry per route the bench loads (bench/endpoints.ts). */
const ROUTES: { method: string; path: RegExp; handle: (request: Request) => Promise<Answer> }[] = [
  { method: 'GET', path: /^\/api\/v1\/mentor-statuses$/, handle: listStatusRecords },
  { method: 'GET', path: /^\/api\/v1\/mentor-statuses\/([^/]+)$/, handle: getStatusRecord },
  { method: 'POST', path: /^\/api\/v1\/mentor-statuses$/, handle: createStatusRecord },
  { method: 'GET', path: /^\/api\/v1\/chapters\/([^/]+)\/mentors\/(active|paused)$/, handle: listChapterMentors },
  { method: 'GET', path: /^\/api\/v1\/chapters\/([^/]+)\/summary$/, handle: chapterSummary },
  { method: 'GET', path: /^\/api\/v1\/mentor-suppressions$/, handle: listSuppressions },
  { method: 'GET', path: /^\/api\/v1\/mentor-suppressions\/([^/]+)$/, handle: getSuppression },
  { method: 'GET', path: /^\/api\/v1\/events$/, handle: listEvents },
  { method: 'GET', path: /^\/health$/, handle: async () => ({ status: 200, body: { status: 'ok' } }) },
];

async function route(raw: IncomingMessage): Promise<Answer> {
  const url = new URL(raw.url ?? '/', 'http://baseline');
  for (const { method, path, handle } of ROUTES) {
    const match = raw.method === method ? path.exec(url.pathname) : null;
    if (match) return handle({ raw, search: url.searchParams, params: match.slice(1) });
  }
  throw new Refused(404);
}

const server = createServer((request, response) => {
  route(request)
    .catch((error: unknown) => {
      if (error instanceof Refused) return { status: error.status, body: { status: error.status } };
      console.error(error);
      return { status: 500, body: { status: 500 } };
    })
    .then((answer) => send(request, response, answer), console.error);
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT ?? 3001), process.env.HOST ?? '127.0.0.1');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => server.close(() => void pool.end().then(() => process.exit(0))));
}
