import { Injectable } from '@nestjs/common';
import { PageRequest } from '../common/pagination/page.js';
import { ExportCursor, ExportCursors } from '../database/export-cursor.js';
import { COUNT_LIMIT } from '../common/pagination/pagination.dto.js';
import type { RecordedBy } from '../common/auth/principal.js';
import type { Queryable } from '../database/sql.js';

export interface SuppressionRow {
  id: string;
  mentor_id: string;
  coordinator_id: string;
  reason: string;
  restore_reason: string | null;
  suppressed_at: Date;
  restored_at: Date | null;
  is_active: boolean;
  recorded_by_kind: RecordedBy['kind'] | null;
  recorded_by_id: string | null;
  recorded_by_client_id: string | null;
  recorded_by_request_id: string | null;
}

export interface NewSuppression {
  id: string;
  mentorId: string;
  coordinatorId: string;
  reason: string;
  recordedBy: RecordedBy | null;
}

export interface SuppressionFilters {
  coordinator_id?: string;
  is_active?: boolean;
  mentor_id?: string;
  reason?: string;
}

const COLUMNS =
  's.id, s.mentor_id, s.coordinator_id, s.reason, s.restore_reason, s.suppressed_at, s.restored_at, s.is_active, ' +
  's.recorded_by_kind, s.recorded_by_id, s.recorded_by_client_id, s.recorded_by_request_id';
// Stored times are cut to milliseconds, the precision of the JS Dates they are compared with,
// so a restored_at that passes the check in code cannot fail the table's CHECK on microseconds.
const NOW_TO_THE_MILLISECOND = "date_trunc('milliseconds', clock_timestamp())";

/** A mentor's current suppression: the active one, else the most recently made restored one. */
const CURRENT = `SELECT ${COLUMNS} FROM mentor_suppressions s WHERE s.mentor_id = $1 ORDER BY s.is_active DESC, s.suppressed_at DESC, s.id DESC LIMIT 1`;

/** Suppressions newest first. */
const ORDER = 'ORDER BY s.suppressed_at DESC, s.id DESC';

/** The condition on `s` (mentor_suppressions) that the list's filters make, its values appended to `values`: one definition for the list and the export. */
function filterCondition(filters: SuppressionFilters, values: unknown[]): string {
  const conditions = ['true'];
  const filter = (condition: string, value: unknown) => conditions.push(`${condition} $${values.push(value)}`);
  if (filters.coordinator_id !== undefined) filter('s.coordinator_id =', filters.coordinator_id);
  if (filters.is_active !== undefined) filter('s.is_active =', filters.is_active);
  if (filters.mentor_id !== undefined) filter('s.mentor_id =', filters.mentor_id);
  if (filters.reason !== undefined) filter('s.reason =', filters.reason);
  return conditions.join(' AND ');
}

/** The SQL of visibility suppressions. */
@Injectable()
export class SuppressionRepository {
  constructor(private readonly exports: ExportCursors) {}

  /** Inserts active suppressions with the ids given, in one statement; the one-active index refuses a second one for a mentor. */
  async insert(db: Queryable, suppressions: readonly NewSuppression[]): Promise<SuppressionRow[]> {
    if (suppressions.length === 0) return [];
    return db.query(
      `INSERT INTO mentor_suppressions AS s (id, mentor_id, coordinator_id, reason, suppressed_at,
                                             recorded_by_kind, recorded_by_id, recorded_by_client_id, recorded_by_request_id)
       SELECT given.id, given.mentor_id, given.coordinator_id, given.reason, ${NOW_TO_THE_MILLISECOND},
              given.recorded_by_kind, given.recorded_by_id, given.recorded_by_client_id, given.recorded_by_request_id
       FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[], $7::varchar[], $8::varchar[])
         AS given(id, mentor_id, coordinator_id, reason, recorded_by_kind, recorded_by_id, recorded_by_client_id, recorded_by_request_id)
       RETURNING ${COLUMNS}`,
      [
        suppressions.map((suppression) => suppression.id),
        suppressions.map((suppression) => suppression.mentorId),
        suppressions.map((suppression) => suppression.coordinatorId),
        suppressions.map((suppression) => suppression.reason),
        suppressions.map((suppression) => suppression.recordedBy?.kind ?? null),
        suppressions.map((suppression) => suppression.recordedBy?.id ?? null),
        suppressions.map((suppression) => suppression.recordedBy?.client_id ?? null),
        suppressions.map((suppression) => suppression.recordedBy?.request_id ?? null),
      ],
    );
  }

  /** Suppresses each given mentor that has no active suppression, in one statement; returns the suppressions made. */
  async insertWhereNoneActive(db: Queryable, mentorIds: readonly string[], suppression: { coordinatorId: string; reason: string }): Promise<SuppressionRow[]> {
    return db.query(
      `INSERT INTO mentor_suppressions AS s (mentor_id, coordinator_id, reason, suppressed_at)
       SELECT given.mentor_id, $2, $3, ${NOW_TO_THE_MILLISECOND} FROM unnest($1::varchar[]) AS given(mentor_id)
       ON CONFLICT (mentor_id) WHERE is_active DO NOTHING
       RETURNING ${COLUMNS}`,
      // Distinct and sorted: concurrent callers then take the index's row locks in one order and cannot deadlock.
      [[...new Set(mentorIds)].sort(), suppression.coordinatorId, suppression.reason],
    );
  }

  /** Restores the given mentors' active suppressions made by `coordinatorId` for `reason`, and no others; returns them as restored. */
  async restoreActiveMadeBy(
    db: Queryable,
    mentorIds: readonly string[],
    made: { coordinatorId: string; reason: string },
    restoreReason: string,
  ): Promise<SuppressionRow[]> {
    const rows: SuppressionRow[] = await db.query(
      `UPDATE mentor_suppressions AS s
       SET is_active = false, restored_at = greatest(${NOW_TO_THE_MILLISECOND}, suppressed_at), restore_reason = $4, updated_at = now()
       WHERE s.mentor_id = ANY($1::varchar[]) AND s.is_active AND s.coordinator_id = $2 AND s.reason = $3
       RETURNING ${COLUMNS}`,
      [mentorIds, made.coordinatorId, made.reason, restoreReason],
    );
    return rows;
  }

  /** The id of each given mentor's active suppression, for those that have one. */
  async activeOf(db: Queryable, mentorIds: readonly string[]): Promise<Map<string, string>> {
    const rows: { mentor_id: string; id: string }[] = await db.query(
      'SELECT s.mentor_id, s.id FROM mentor_suppressions s WHERE s.mentor_id = ANY($1::varchar[]) AND s.is_active',
      [mentorIds],
    );
    return new Map(rows.map((row) => [row.mentor_id, row.id]));
  }

  /** The mentor's current suppression; `lock` holds its row until the transaction ends. */
  async findCurrent(db: Queryable, mentorId: string, { lock = false } = {}): Promise<SuppressionRow | undefined> {
    const [row]: SuppressionRow[] = await db.query(`${CURRENT} ${lock ? 'FOR UPDATE' : ''}`, [mentorId]);
    return row;
  }

  /** The current time as suppressions store it. */
  async now(db: Queryable): Promise<Date> {
    const [{ now }]: { now: Date }[] = await db.query(`SELECT ${NOW_TO_THE_MILLISECOND} AS now`);
    return now;
  }

  /** Writes the row's fields, its `recorded_by_*` included. */
  async update(db: Queryable, suppression: SuppressionRow): Promise<SuppressionRow> {
    const [row] = await db.query<SuppressionRow>(
      `UPDATE mentor_suppressions AS s
       SET coordinator_id = $2, reason = $3, restore_reason = $4, restored_at = $5, is_active = $6, updated_at = now(),
           recorded_by_kind = $7, recorded_by_id = $8, recorded_by_client_id = $9, recorded_by_request_id = $10
       WHERE s.id = $1
       RETURNING ${COLUMNS}`,
      [
        suppression.id,
        suppression.coordinator_id,
        suppression.reason,
        suppression.restore_reason,
        suppression.restored_at,
        suppression.is_active,
        suppression.recorded_by_kind,
        suppression.recorded_by_id,
        suppression.recorded_by_client_id,
        suppression.recorded_by_request_id,
      ],
    );
    return row;
  }

  /** Deletes every suppression of the mentor; returns their ids. */
  async deleteAll(db: Queryable, mentorId: string): Promise<string[]> {
    const rows: { id: string }[] = await db.query('DELETE FROM mentor_suppressions WHERE mentor_id = $1 RETURNING id', [mentorId]);
    return rows.map((row) => row.id);
  }

  /** One page of suppressions, newest first, and the number matching (up to COUNT_LIMIT + 1), from one snapshot; offsets as the status log's. */
  async list(db: Queryable, filters: SuppressionFilters, page: PageRequest): Promise<{ rows: SuppressionRow[]; counted: number }> {
    const values: unknown[] = [];
    const where = filterCondition(filters, values);
    const after = page.after ? `AND (s.suppressed_at, s.id) < ($${values.push(page.after[0])}::timestamptz, $${values.push(page.after[1])}::uuid)` : '';
    const window = `LIMIT $${values.push(page.limit + 1)} OFFSET $${values.push(page.offset)}`;
    const rows =
      page.offset === 0
        ? `SELECT ${COLUMNS} FROM mentor_suppressions s WHERE ${where} ${after} ${ORDER} ${window}`
        : `SELECT ${COLUMNS} FROM (SELECT s.id FROM mentor_suppressions s WHERE ${where} ${ORDER} ${window}) ids JOIN mentor_suppressions s USING (id) ${ORDER}`;
    const found: (SuppressionRow & { total: number })[] = await db.query(
      `SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM (SELECT 1 FROM mentor_suppressions s WHERE ${where} ${ORDER} LIMIT ${COUNT_LIMIT + 1}) matching) counted
       LEFT JOIN LATERAL (${rows}) page ON true
       ORDER BY page.suppressed_at DESC, page.id DESC`,
      values,
    );
    return { rows: found.filter((row) => row.id !== null), counted: found[0].total };
  }

  /** Every suppression the list's filters match, in the list's order, through a cursor on the primary (see ExportCursor). */
  exportCursor(filters: SuppressionFilters): Promise<ExportCursor<SuppressionRow>> {
    const values: unknown[] = [];
    return this.exports.open(`SELECT ${COLUMNS} FROM mentor_suppressions s WHERE ${filterCondition(filters, values)} ${ORDER}`, values);
  }
}
