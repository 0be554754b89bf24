import { Injectable } from '@nestjs/common';
import { PageRequest } from '../common/pagination/page.js';
import { COUNT_LIMIT } from '../common/pagination/pagination.dto.js';
import { ExportCursor, ExportCursors } from '../database/export-cursor.js';
import type { RecordedBy } from '../common/auth/principal.js';
import type { Queryable } from '../database/sql.js';
import type { MentorStatus } from '../mentor-directory/mentor-status.js';

export interface StatusRecordRow {
  id: string;
  mentor_id: string;
  status: MentorStatus;
  reason: string | null;
  reason_code: string | null;
  resume_at: Date | null;
  changed_at: Date;
  changed_by: string;
  created_at: Date;
  recorded_by_kind: RecordedBy['kind'] | null;
  recorded_by_id: string | null;
  recorded_by_client_id: string | null;
  recorded_by_request_id: string | null;
}

export interface StatusRecordDetailRow extends StatusRecordRow {
  previous_status: MentorStatus | null;
}

/** A mentor's current status: the latest live record, as the database keeps it in mentor_current_statuses. */
export interface CurrentStatusRow {
  mentor_id: string;
  record_id: string;
  status: MentorStatus;
  reason: string | null;
  reason_code: string | null;
  resume_at: Date | null;
  changed_at: Date;
  changed_by: string;
}

/** A current pause with an end, for the resume sweep's walk in (resume_at, mentor_id) order. */
export interface EndingPauseRow {
  mentor_id: string;
  resume_at: Date;
}

export interface NewStatusRecord {
  id: string;
  mentorId: string;
  status: MentorStatus;
  reason: string | null;
  reasonCode: string | null;
  resumeAt: Date | null;
  changedBy: string;
  /** The verified principal of the write; null for the service's own sweeps and while writes are open. */
  recordedBy: RecordedBy | null;
  /**
   * `changed_at` of the mentor's current record, which the new one must follow; null for a first
   * record. Several records of one mentor in one insert all give it, and follow each other in the order given.
   */
  follows: Date | null;
}

/** What a PUT may correct in a record. */
export interface StatusCorrection {
  reason: string | null;
  reasonCode: string | null;
  resumeAt: Date | null;
  recordedBy: RecordedBy | null;
}

export interface StatusCorrectionRow {
  reason: string | null;
  reason_code: string | null;
  resume_at: Date | null;
}

export interface StatusRecordFilters {
  mentor_id?: string;
  status?: MentorStatus;
  reason_code?: string;
  changed_by?: string;
  recorded_by?: string;
  changed_from?: string;
  changed_to?: string;
}

const RECORD_COLUMNS =
  'r.id, r.mentor_id, r.status, r.reason, r.reason_code, r.resume_at, r.changed_at, r.changed_by, r.created_at, ' +
  'r.recorded_by_kind, r.recorded_by_id, r.recorded_by_client_id, r.recorded_by_request_id';
const RECORDED_BY_COLUMNS = ['recorded_by_kind', 'recorded_by_id', 'recorded_by_client_id', 'recorded_by_request_id'];
/** A correction that changes nothing keeps the principal of the write before it, as it records no event. */
const UNCORRECTED = '(reason, reason_code, resume_at) IS NOT DISTINCT FROM ($2::varchar, $3::varchar, $4::timestamptz)';
/** The audit log's order: newest first. */
const ORDER = 'ORDER BY r.changed_at DESC, r.id DESC';
// changed_at never repeats or goes back within a mentor's history, whatever the clock does; milliseconds are the API's precision.
// One instant per statement: a mentor's k-th record of it comes k milliseconds after the first, which is max(now, follows + 1 ms).
const STAMP = `greatest(instant.now, given.follows + interval '1 millisecond') + given.later * interval '1 millisecond'`;

/**
 * The condition on `r` (mentor_status_records) that the list's filters make, its values appended
 * to `values`: the one definition for the list and the export. `status` comes first, as the
 * list's count by status reads it as `$1`.
 */
function filterCondition(filters: StatusRecordFilters, values: unknown[]): string {
  const conditions = ['r.deleted_at IS NULL'];
  const filter = (condition: string, value: unknown) => conditions.push(`${condition} $${values.push(value)}`);
  if (filters.status !== undefined) filter('r.status =', filters.status);
  if (filters.mentor_id !== undefined) filter('r.mentor_id =', filters.mentor_id);
  if (filters.reason_code !== undefined) filter('r.reason_code =', filters.reason_code);
  if (filters.changed_by !== undefined) filter('r.changed_by =', filters.changed_by);
  if (filters.recorded_by !== undefined) filter('r.recorded_by_id =', filters.recorded_by);
  if (filters.changed_from !== undefined) filter('r.changed_at >=', filters.changed_from);
  if (filters.changed_to !== undefined) filter('r.changed_at <', filters.changed_to);
  return conditions.join(' AND ');
}

/** The SQL of the status audit log and of each mentor's current status. */
@Injectable()
export class StatusRepository {
  constructor(private readonly exports: ExportCursors) {}

  /** The current status of each given mentor that has one: the one place that reads it. */
  async currentStatuses(db: Queryable, mentorIds: readonly string[]): Promise<Map<string, CurrentStatusRow>> {
    const rows: CurrentStatusRow[] = await db.query(
      'SELECT mentor_id, record_id, status, reason, reason_code, resume_at, changed_at, changed_by FROM mentor_current_statuses WHERE mentor_id = ANY($1::varchar[])',
      [mentorIds],
    );
    return new Map(rows.map((row) => [row.mentor_id, row]));
  }

  /**
   * Up to `limit` mentors whose current status is a pause with `resume_at` at or before `now`,
   * after `after` in (resume_at, mentor_id) order. The index holds current pauses with an end only.
   */
  pausesEndingBy(db: Queryable, now: Date, after: EndingPauseRow | undefined, limit: number): Promise<EndingPauseRow[]> {
    return db.query(
      `SELECT mentor_id, resume_at FROM mentor_current_statuses
       WHERE resume_at <= $1 AND (resume_at, mentor_id) > ($2::timestamptz, $3::varchar) AND status = 'paused'
       ORDER BY resume_at, mentor_id
       LIMIT $4`,
      [now, after?.resume_at ?? '-infinity', after?.mentor_id ?? '', limit],
    );
  }

  /** Inserts the records in one statement; each `changed_at` is now, or just after the record it follows. */
  async insert(db: Queryable, records: readonly NewStatusRecord[]): Promise<StatusRecordRow[]> {
    if (records.length === 0) return [];
    return db.query(
      `WITH instant AS (SELECT date_trunc('milliseconds', clock_timestamp()) AS now),
       given AS (
         SELECT g.*, row_number() OVER (PARTITION BY g.mentor_id ORDER BY g.n) - 1 AS later
         FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::timestamptz[], $7::varchar[], $8::timestamptz[],
                     $9::varchar[], $10::varchar[], $11::varchar[], $12::varchar[])
           WITH ORDINALITY AS g(id, mentor_id, status, reason, reason_code, resume_at, changed_by, follows,
                                recorded_by_kind, recorded_by_id, recorded_by_client_id, recorded_by_request_id, n)
       )
       INSERT INTO mentor_status_records AS r (id, mentor_id, status, reason, reason_code, resume_at, changed_at, changed_by, created_at, updated_at,
                                               recorded_by_kind, recorded_by_id, recorded_by_client_id, recorded_by_request_id)
       SELECT given.id, given.mentor_id, given.status, given.reason, given.reason_code, given.resume_at, ${STAMP}, given.changed_by, ${STAMP}, ${STAMP},
              given.recorded_by_kind, given.recorded_by_id, given.recorded_by_client_id, given.recorded_by_request_id
       FROM given CROSS JOIN instant
       RETURNING ${RECORD_COLUMNS}`,
      [
        records.map((record) => record.id),
        records.map((record) => record.mentorId),
        records.map((record) => record.status),
        records.map((record) => record.reason),
        records.map((record) => record.reasonCode),
        records.map((record) => record.resumeAt),
        records.map((record) => record.changedBy),
        records.map((record) => record.follows),
        records.map((record) => record.recordedBy?.kind ?? null),
        records.map((record) => record.recordedBy?.id ?? null),
        records.map((record) => record.recordedBy?.client_id ?? null),
        records.map((record) => record.recordedBy?.request_id ?? null),
      ],
    );
  }

  /** A live record with the status of the record before it; `lock` holds its row until the transaction ends. */
  async findDetail(db: Queryable, id: string, { lock = false } = {}): Promise<StatusRecordDetailRow | undefined> {
    const [row]: StatusRecordDetailRow[] = await db.query(
      `SELECT ${RECORD_COLUMNS}, previous.status AS previous_status
       FROM mentor_status_records r
       LEFT JOIN LATERAL (
         SELECT p.status FROM mentor_status_records p
         WHERE p.mentor_id = r.mentor_id AND p.deleted_at IS NULL AND (p.changed_at, p.id) < (r.changed_at, r.id)
         ORDER BY p.changed_at DESC, p.id DESC
         LIMIT 1
       ) previous ON true
       WHERE r.id = $1 AND r.deleted_at IS NULL
       ${lock ? 'FOR UPDATE OF r' : ''}`,
      [id],
    );
    return row;
  }

  /** The mentor of a live record, or undefined. */
  async mentorOf(db: Queryable, id: string): Promise<string | undefined> {
    const [row]: { mentor_id: string }[] = await db.query('SELECT mentor_id FROM mentor_status_records WHERE id = $1 AND deleted_at IS NULL', [id]);
    return row?.mentor_id;
  }

  /** Sets the correctable fields of a live record. */
  async correct(db: Queryable, id: string, correction: StatusCorrection): Promise<(StatusCorrectionRow & { updated_at: Date }) | undefined> {
    const by = correction.recordedBy;
    const [row] = await db.query<StatusCorrectionRow & { updated_at: Date }>(
      `UPDATE mentor_status_records SET reason = $2, reason_code = $3, resume_at = $4, updated_at = now(),
         ${RECORDED_BY_COLUMNS.map((column, n) => `${column} = CASE WHEN ${UNCORRECTED} THEN ${column} ELSE $${n + 5} END`).join(', ')}
       WHERE id = $1 AND deleted_at IS NULL RETURNING reason, reason_code, resume_at, updated_at`,
      [id, correction.reason, correction.reasonCode, correction.resumeAt, by?.kind ?? null, by?.id ?? null, by?.client_id ?? null, by?.request_id ?? null],
    );
    return row;
  }

  async softDelete(db: Queryable, id: string): Promise<Date | undefined> {
    const [row] = await db.query<{ deleted_at: Date }>(
      `UPDATE mentor_status_records SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING deleted_at`,
      [id],
    );
    return row?.deleted_at;
  }

  /**
   * One page of live records, newest first, and the number matching the filters, from one snapshot.
   * Filtered by status at most, the count is the sum of the counts the table's triggers keep (exact,
   * and no cost as the log grows); otherwise it walks the page's own index and stops at
   * COUNT_LIMIT + 1. A page after an offset finds its ids in the index alone, then reads only its
   * own rows: the deepest offset page (10,000 in) costs about as much again as the count.
   */
  async list(db: Queryable, filters: StatusRecordFilters, page: PageRequest): Promise<{ rows: StatusRecordRow[]; counted: number; exact: boolean }> {
    const values: unknown[] = [];
    const where = filterCondition(filters, values);
    const exact = [filters.mentor_id, filters.reason_code, filters.changed_by, filters.recorded_by, filters.changed_from, filters.changed_to].every(
      (value) => value === undefined,
    );
    const counted = exact
      ? `SELECT coalesce(sum(c.live), 0)::int AS total FROM mentor_status_record_counts c ${filters.status === undefined ? '' : 'WHERE c.status = $1'}`
      : `SELECT count(*)::int AS total FROM (SELECT 1 FROM mentor_status_records r WHERE ${where} ${ORDER} LIMIT ${COUNT_LIMIT + 1}) matching`;
    const after = page.after ? `AND (r.changed_at, r.id) < ($${values.push(page.after[0])}::timestamptz, $${values.push(page.after[1])}::varchar)` : '';
    const window = `LIMIT $${values.push(page.limit + 1)} OFFSET $${values.push(page.offset)}`;
    const rows =
      page.offset === 0
        ? `SELECT ${RECORD_COLUMNS} FROM mentor_status_records r WHERE ${where} ${after} ${ORDER} ${window}`
        : `SELECT ${RECORD_COLUMNS} FROM (SELECT r.id FROM mentor_status_records r WHERE ${where} ${ORDER} ${window}) ids
           JOIN mentor_status_records r USING (id) ${ORDER}`;
    // The count row is always there, so a page past the end still tells the total.
    const found: (StatusRecordRow & { total: number })[] = await db.query(
      `SELECT page.*, counted.total FROM (${counted}) counted LEFT JOIN LATERAL (${rows}) page ON true
       ORDER BY page.changed_at DESC, page.id DESC`,
      values,
    );
    return { rows: found.filter((row) => row.id !== null), counted: found[0].total, exact };
  }

  /** Every live record the list's filters match, in the list's order, through a cursor on the primary (see ExportCursor). */
  exportCursor(filters: StatusRecordFilters): Promise<ExportCursor<StatusRecordRow>> {
    const values: unknown[] = [];
    return this.exports.open(`SELECT ${RECORD_COLUMNS} FROM mentor_status_records r WHERE ${filterCondition(filters, values)} ${ORDER}`, values);
  }
}
