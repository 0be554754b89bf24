/**
 * The raw baseline of the benchmark: node:http and a pg Pool of the same size as the app's,
 * answering the measured routes with the SQL the app's services issue and the JSON the app
 * answers (test/e2e/bench-baseline.e2e.test.ts holds it to that), and nothing else: no
 * framework, no validation, no logging. Run as a child process by bench/run.ts.
 *
 * Environment: DATABASE_URL, PORT, HOST (default 127.0.0.1), DB_POOL_SIZE (default 10).
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { monotonicFactory } from 'ulid';
import pg from 'pg';

const nextUlid = monotonicFactory();
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 10) });

interface Page {
  page: number;
  limit: number;
  offset: number;
}

function pageOf(search: URLSearchParams): Page {
  const page = Number(search.get('page') ?? 1);
  const limit = Number(search.get('limit') ?? 20);
  return { page, limit, offset: (page - 1) * limit };
}

const pagination = ({ page, limit }: Page, total: number) => ({ page, limit, total });

function send(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  response.end(json);
}

const notFound = (response: ServerResponse) => send(response, 404, { status: 404 });

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

const GET_STATUS_RECORD = `SELECT r.id, r.mentor_id, r.status, r.reason, r.changed_at, r.changed_by, r.created_at, previous.status AS previous_status
       FROM mentor_status_records r
       LEFT JOIN LATERAL (
         SELECT p.status FROM mentor_status_records p
         WHERE p.mentor_id = r.mentor_id AND p.deleted_at IS NULL AND (p.changed_at, p.id) < (r.changed_at, r.id)
         ORDER BY p.changed_at DESC, p.id DESC
         LIMIT 1
       ) previous ON true
       WHERE r.id = $1 AND r.deleted_at IS NULL`;

async function getStatusRecord(response: ServerResponse, id: string): Promise<void> {
  const { rows } = await pool.query(GET_STATUS_RECORD, [id]);
  const row = rows[0];
  if (!row) return notFound(response);
  send(response, 200, {
    mentor_status_id: row.id,
    mentor_id: row.mentor_id,
    status: row.status,
    reason: row.reason,
    changed_by: row.changed_by,
    changed_at: iso(row.changed_at),
    created_at: iso(row.created_at),
    previous_status: row.previous_status,
  });
}

function listStatusRecordsSql(filtered: boolean): string {
  const where = filtered ? 'r.deleted_at IS NULL AND r.mentor_id = $1' : 'r.deleted_at IS NULL';
  const counted = filtered
    ? `SELECT count(*)::int AS total FROM mentor_status_records r WHERE ${where}`
    : 'SELECT coalesce(sum(c.live), 0)::int AS total FROM mentor_status_record_counts c ';
  const first = filtered ? 2 : 1;
  return `SELECT page.*, counted.total
       FROM (${counted}) counted
       LEFT JOIN LATERAL (
         SELECT r.id, r.mentor_id, r.status, r.reason, r.changed_at, r.changed_by FROM mentor_status_records r
         WHERE ${where}
         ORDER BY r.changed_at DESC, r.id DESC
         LIMIT $${first} OFFSET $${first + 1}
       ) page ON true
       ORDER BY page.changed_at DESC, page.id DESC`;
}
const LIST_STATUS_RECORDS = listStatusRecordsSql(false);
const LIST_MENTOR_STATUS_RECORDS = listStatusRecordsSql(true);

async function listStatusRecords(response: ServerResponse, search: URLSearchParams): Promise<void> {
  const page = pageOf(search);
  const mentorId = search.get('mentor_id');
  const { rows } = mentorId
    ? await pool.query(LIST_MENTOR_STATUS_RECORDS, [mentorId, page.limit, page.offset])
    : await pool.query(LIST_STATUS_RECORDS, [page.limit, page.offset]);
  send(response, 200, {
    data: rows
      .filter((row) => row.id !== null)
      .map((row) => ({
        mentor_status_id: row.id,
        mentor_id: row.mentor_id,
        status: row.status,
        reason: row.reason,
        changed_at: iso(row.changed_at),
        changed_by: row.changed_by,
      })),
    pagination: pagination(page, rows[0].total),
  });
}

const MENTOR_EXISTS = 'SELECT 1 FROM mentors WHERE mentor_id = $1';
const LOCK_MENTOR_HISTORY = `SELECT pg_advisory_xact_lock(hashtextextended('mentor-status:' || $1, 0))`;
const CURRENT_STATUS_RECORD = `SELECT "MentorStatusRecord"."id" AS "MentorStatusRecord_id", "MentorStatusRecord"."mentor_id" AS "MentorStatusRecord_mentor_id", "MentorStatusRecord"."status" AS "MentorStatusRecord_status", "MentorStatusRecord"."reason" AS "MentorStatusRecord_reason", "MentorStatusRecord"."changed_at" AS "MentorStatusRecord_changed_at", "MentorStatusRecord"."changed_by" AS "MentorStatusRecord_changed_by", "MentorStatusRecord"."created_at" AS "MentorStatusRecord_created_at", "MentorStatusRecord"."updated_at" AS "MentorStatusRecord_updated_at", "MentorStatusRecord"."deleted_at" AS "MentorStatusRecord_deleted_at" FROM "mentor_status_records" "MentorStatusRecord" WHERE ( (("MentorStatusRecord"."mentor_id" = $1)) ) AND ( "MentorStatusRecord"."deleted_at" IS NULL ) ORDER BY "MentorStatusRecord"."changed_at" DESC, "MentorStatusRecord"."id" DESC LIMIT 1`;
const INSERT_STATUS_RECORD = `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by, created_at, updated_at)
           SELECT $1, $2, $3, $4, stamp.at, $5, stamp.at, stamp.at
           FROM (SELECT greatest(
                   date_trunc('milliseconds', clock_timestamp()),
                   (SELECT changed_at + interval '1 millisecond' FROM mentor_status_records WHERE id = $6)
                 ) AS at) stamp
           RETURNING id, mentor_id, status, reason, changed_at, changed_by, created_at`;

async function readJson(request: IncomingMessage): Promise<Record<string, string | null>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function createStatusRecord(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readJson(request);
  const exists = await pool.query(MENTOR_EXISTS, [body.mentor_id]);
  if (exists.rows.length === 0) return send(response, 422, { status: 422 });
  const client = await pool.connect();
  try {
    await client.query('START TRANSACTION');
    await client.query(LOCK_MENTOR_HISTORY, [body.mentor_id]);
    const current = (await client.query(CURRENT_STATUS_RECORD, [body.mentor_id])).rows[0];
    if (current?.MentorStatusRecord_status === body.status) {
      await client.query('ROLLBACK');
      return send(response, 409, { status: 409 });
    }
    const { rows } = await client.query(INSERT_STATUS_RECORD, [
      `msr_${nextUlid()}`,
      body.mentor_id,
      body.status,
      body.reason ?? null,
      body.changed_by,
      current?.MentorStatusRecord_id ?? null,
    ]);
    await client.query('COMMIT');
    const row = rows[0];
    send(response, 201, {
      mentor_status_id: row.id,
      mentor_id: row.mentor_id,
      status: row.status,
      reason: row.reason,
      changed_by: row.changed_by,
      changed_at: iso(row.changed_at),
      created_at: iso(row.created_at),
    });
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

const CHAPTER_MENTORS_WITH_CURRENT_STATUS = `
  SELECT m.mentor_id, m.full_name, m.chapter_id, current.status, current.reason, current.changed_at
  FROM mentors m
  CROSS JOIN LATERAL (
    SELECT cs.status, cs.reason, cs.changed_at FROM mentor_current_statuses cs
    WHERE cs.mentor_id = m.mentor_id
    LIMIT 1
  ) current
  WHERE m.chapter_id = $1`;

const chapterPage = (listing: string) => `WITH listing AS (${listing})
       SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM listing) counted
       LEFT JOIN LATERAL (SELECT * FROM listing ORDER BY full_name, mentor_id LIMIT $2 OFFSET $3) page ON true
       ORDER BY page.full_name, page.mentor_id`;

const ACTIVE_CHAPTER_MENTORS = chapterPage(`SELECT * FROM (
         SELECT c.mentor_id, c.full_name, c.chapter_id, NOT (active_suppression.mentor_id IS NOT NULL) AS is_eligible_for_assignment
         FROM (${CHAPTER_MENTORS_WITH_CURRENT_STATUS}) c LEFT JOIN mentor_suppressions active_suppression ON active_suppression.mentor_id = c.mentor_id AND active_suppression.is_active
         WHERE c.status = 'active'
       ) active WHERE active.is_eligible_for_assignment`);

const PAUSED_CHAPTER_MENTORS = chapterPage(`SELECT c.mentor_id, c.full_name, c.chapter_id, c.changed_at AS paused_at, c.reason AS pause_reason
       FROM (${CHAPTER_MENTORS_WITH_CURRENT_STATUS}) c
       WHERE c.status = 'paused'`);

async function listChapterMentors(response: ServerResponse, chapterId: string, which: string, search: URLSearchParams): Promise<void> {
  const page = pageOf(search);
  const active = which === 'active';
  const { rows } = await pool.query(active ? ACTIVE_CHAPTER_MENTORS : PAUSED_CHAPTER_MENTORS, [chapterId, page.limit, page.offset]);
  const listed = rows.filter((row) => row.mentor_id !== null);
  send(response, 200, {
    data: active
      ? listed.map((row) => ({
          mentor_id: row.mentor_id,
          full_name: row.full_name,
          chapter_id: row.chapter_id,
          status: 'active',
          is_eligible_for_assignment: row.is_eligible_for_assignment,
        }))
      : listed.map((row) => ({
          mentor_id: row.mentor_id,
          full_name: row.full_name,
          chapter_id: row.chapter_id,
          status: 'paused',
          paused_at: iso(row.paused_at),
          pause_reason: row.pause_reason,
          is_eligible_for_assignment: false,
        })),
    pagination: pagination(page, rows[0].total),
  });
}

interface SuppressionRow {
  id: string;
  mentorId: string;
  coordinatorId: string;
  reason: string;
  restoreReason: string | null;
  suppressedAt: Date;
  restoredAt: Date | null;
  isActive: boolean;
}

const suppressionJson = (row: SuppressionRow) => ({
  suppression_id: row.id,
  mentor_id: row.mentorId,
  coordinator_id: row.coordinatorId,
  reason: row.reason,
  suppressed_at: iso(row.suppressedAt),
  restored_at: iso(row.restoredAt),
  is_active: row.isActive,
  ...(row.restoreReason !== null && { restore_reason: row.restoreReason }),
});

const SUPPRESSION_COLUMNS = `id, mentor_id AS "mentorId", coordinator_id AS "coordinatorId", reason, restore_reason AS "restoreReason",
  suppressed_at AS "suppressedAt", restored_at AS "restoredAt", is_active AS "isActive"`;

const CURRENT_SUPPRESSION = `SELECT ${SUPPRESSION_COLUMNS} FROM mentor_suppressions
  WHERE mentor_id = $1
  ORDER BY is_active DESC, suppressed_at DESC, id DESC
  LIMIT 1`;

async function getSuppression(response: ServerResponse, mentorId: string): Promise<void> {
  const row = (await pool.query(CURRENT_SUPPRESSION, [mentorId])).rows[0];
  if (!row) return notFound(response);
  send(response, 200, suppressionJson(row));
}

const COORDINATOR_SUPPRESSIONS = `SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM mentor_suppressions s WHERE true AND s.coordinator_id = $1) counted
       LEFT JOIN LATERAL (
         SELECT ${SUPPRESSION_COLUMNS} FROM mentor_suppressions s
         WHERE true AND s.coordinator_id = $1
         ORDER BY s.suppressed_at DESC, s.id DESC
         LIMIT $2 OFFSET $3
       ) page ON true
       ORDER BY page."suppressedAt" DESC, page.id DESC`;

async function listSuppressions(response: ServerResponse, search: URLSearchParams): Promise<void> {
  const page = pageOf(search);
  const { rows } = await pool.query(COORDINATOR_SUPPRESSIONS, [search.get('coordinator_id'), page.limit, page.offset]);
  send(response, 200, {
    data: rows.filter((row) => row.id !== null).map(suppressionJson),
    pagination: pagination(page, rows[0].total),
  });
}

const STATUS_RECORD = /^\/api\/v1\/mentor-statuses\/([^/]+)$/;
const CHAPTER_MENTORS = /^\/api\/v1\/chapters\/([^/]+)\/mentors\/(active|paused)$/;
const SUPPRESSION = /^\/api\/v1\/mentor-suppressions\/([^/]+)$/;

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://baseline');
  const path = url.pathname;
  let match: RegExpExecArray | null;
  if (request.method === 'POST' && path === '/api/v1/mentor-statuses') return createStatusRecord(request, response);
  if (request.method !== 'GET') return notFound(response);
  if (path === '/api/v1/mentor-statuses') return listStatusRecords(response, url.searchParams);
  if ((match = STATUS_RECORD.exec(path))) return getStatusRecord(response, match[1]);
  if ((match = CHAPTER_MENTORS.exec(path))) return listChapterMentors(response, match[1], match[2], url.searchParams);
  if (path === '/api/v1/mentor-suppressions') return listSuppressions(response, url.searchParams);
  if ((match = SUPPRESSION.exec(path))) return getSuppression(response, match[1]);
  if (path === '/health') return send(response, 200, { status: 'ok' });
  notFound(response);
}

const server = createServer((request, response) => {
  route(request, response).catch((error: unknown) => {
    console.error(error);
    if (!response.headersSent) send(response, 500, { status: 500 });
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT ?? 3001), process.env.HOST ?? '127.0.0.1');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => server.close(() => void pool.end().then(() => process.exit(0))));
}
