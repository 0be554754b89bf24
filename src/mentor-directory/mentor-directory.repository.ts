import { Injectable } from '@nestjs/common';
import { PageRequest } from '../common/pagination/page.js';
import type { LockedMentor } from '../database/database-lock.js';
import { type Queryable, Sql, type Tx } from '../database/sql.js';
import type { MentorStatus } from './mentor-status.js';

/** A mentor as the directory sees it: profile, current status and eligibility. */
export interface DirectoryRow {
  mentor_id: string;
  full_name: string;
  chapter_id: string;
  certification_expires_at: Date | null;
  status: MentorStatus | null;
  status_reason: string | null;
  status_reason_code: string | null;
  status_resume_at: Date | null;
  status_changed_at: Date | null;
  is_eligible_for_assignment: boolean;
}

/** A chapter's counts, one row per pause reason code (null among them) and one overall (`overall`). */
export interface ChapterSummaryRow {
  overall: boolean;
  reason_code: string | null;
  mentors: number;
  active_eligible: number;
  active_suppressed: number;
  paused: number;
  resuming: number;
  expiring: number;
}

/** Whether a mentor is eligible for assignment, and in which chapter: what the history lock reads, keyed by mentor. */
export type Eligibility = Omit<LockedMentor, 'mentor_id'>;

/** Which of a chapter's mentors a listing holds. */
export type ChapterSelection = 'active' | 'active-and-eligible' | 'paused';

const SELECTIONS: Record<ChapterSelection, string> = {
  active: "d.status = 'active'",
  'active-and-eligible': "d.status = 'active' AND d.is_eligible_for_assignment",
  paused: "d.status = 'paused'",
};

const COLUMNS =
  'd.mentor_id, d.full_name, d.chapter_id, d.certification_expires_at, d.status, d.status_reason, d.status_reason_code, d.status_resume_at, ' +
  'd.status_changed_at, d.is_eligible_for_assignment';

/** Where a walk over certification expiries resumes: after this (expiry, mentor). */
export interface ExpiryPosition {
  expiresAt: Date | '-infinity';
  mentorId: string;
}

/** The SQL of the mentor_directory view (src/database/schema/mentor-directory.sql), the read model over profiles, statuses and suppressions. */
@Injectable()
export class MentorDirectoryRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * One page of a chapter's mentors in name order (then id) and their exact number, from one
   * snapshot. The chapter's rows are looked up once (the CTE), then counted and paged: the cost
   * follows the chapter's size, the same for every page.
   */
  chapterPage(db: Queryable, chapterId: string, selection: ChapterSelection, page: PageRequest): Promise<{ rows: DirectoryRow[]; total: number }> {
    return this.page(db, chapterId, SELECTIONS[selection], page, ['full_name', 'mentor_id'], []);
  }

  /** A chapter's mentors, whatever their status, whose certification lapses in (from, until], soonest first. */
  expiringPage(db: Queryable, chapterId: string, from: Date, until: Date, page: PageRequest): Promise<{ rows: DirectoryRow[]; total: number }> {
    return this.page(
      db,
      chapterId,
      'd.certification_expires_at > $2 AND d.certification_expires_at <= $3',
      page,
      ['certification_expires_at', 'full_name', 'mentor_id'],
      [from, until],
    );
  }

  private async page(
    db: Queryable,
    chapterId: string,
    where: string,
    page: PageRequest,
    orderBy: string[],
    params: unknown[],
  ): Promise<{ rows: DirectoryRow[]; total: number }> {
    const values: unknown[] = [chapterId, ...params];
    const keys = orderBy.map((column) => `listing.${column}`).join(', ');
    let after = '';
    if (page.after) {
      const position = orderBy.map((column, index) => `$${values.push(page.after?.[index])}::${column.endsWith('_at') ? 'timestamptz' : 'varchar'}`);
      after = `WHERE (${keys}) > (${position.join(', ')})`;
    }
    const found: (DirectoryRow & { total: number })[] = await db.query(
      `WITH listing AS (SELECT ${COLUMNS} FROM mentor_directory d WHERE d.chapter_id = $1 AND ${where})
       SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM listing) counted
       LEFT JOIN LATERAL (
         SELECT * FROM listing ${after} ORDER BY ${keys} LIMIT $${values.push(page.limit + 1)} OFFSET $${values.push(page.offset)}
       ) page ON true
       ORDER BY ${orderBy.map((column) => `page.${column}`).join(', ')}`,
      values,
    );
    return { rows: found.filter((row) => row.mentor_id !== null), total: found[0].total };
  }

  /**
   * A chapter's counts in one pass over its directory rows (the chapter views' own lookup): overall,
   * and the pauses per reason code. Pauses resume by `resumingBy`; certifications lapse in (now, expiringBy].
   */
  chapterSummary(db: Queryable, chapterId: string, now: Date, resumingBy: Date, expiringBy: Date): Promise<ChapterSummaryRow[]> {
    return db.query(
      `SELECT grouping(d.status_reason_code) = 1 AS overall, d.status_reason_code AS reason_code,
              count(*)::int AS mentors,
              count(*) FILTER (WHERE d.status = 'active' AND d.is_eligible_for_assignment)::int AS active_eligible,
              count(*) FILTER (WHERE d.status = 'active' AND NOT d.is_eligible_for_assignment)::int AS active_suppressed,
              count(*) FILTER (WHERE d.status = 'paused')::int AS paused,
              count(*) FILTER (WHERE d.status = 'paused' AND d.status_resume_at <= $3)::int AS resuming,
              count(*) FILTER (WHERE d.certification_expires_at > $2 AND d.certification_expires_at <= $4)::int AS expiring
       FROM mentor_directory d
       WHERE d.chapter_id = $1
       GROUP BY GROUPING SETS ((), (d.status_reason_code))
       ORDER BY overall DESC, reason_code NULLS LAST`,
      [chapterId, now, resumingBy, expiringBy],
    );
  }

  /**
   * Takes the history locks of these mentors for the rest of the transaction with the database
   * function `lock_mentor_histories` (schema/mentor-writes.sql), which hashes their keys from
   * MENTOR_HISTORY_LOCK_NAMESPACE and takes them in sorted order, so that two writers of
   * overlapping sets cannot deadlock; then reads, with a snapshot taken once the locks are held,
   * whether each is eligible for assignment, and their chapter. One round trip, and a plan the
   * connection keeps. Mentors without a profile are not in the map.
   */
  async lockAndReadEligibility(tx: Tx, mentorIds: readonly string[]): Promise<Map<string, Eligibility>> {
    const sorted = [...new Set(mentorIds)].sort();
    if (sorted.length === 0) return new Map();
    const rows = await tx.query<LockedMentor>('SELECT mentor_id, chapter_id, is_eligible_for_assignment FROM lock_mentor_histories($1::varchar[])', [sorted]);
    return new Map(rows.map(({ mentor_id, ...rest }) => [mentor_id, rest]));
  }

  /**
   * Up to `limit` mentors whose certification expired at or before `now` and who are still active or
   * not suppressed, after `position` in (expiry, mentor) order.
   */
  expiredNeedingChange(now: Date, position: ExpiryPosition, limit: number): Promise<{ mentor_id: string; certification_expires_at: Date }[]> {
    return this.sql.query(
      `SELECT d.mentor_id, d.certification_expires_at FROM mentor_directory d
       WHERE d.certification_expires_at <= $1 AND (d.certification_expires_at, d.mentor_id) > ($2::timestamptz, $3::varchar)
         AND (d.status = 'active' OR d.active_suppression_id IS NULL)
       ORDER BY d.certification_expires_at, d.mentor_id
       LIMIT $4`,
      [now, position.expiresAt, position.mentorId, limit],
    );
  }

  /**
   * Up to `limit` mentors whose certification lies after `now` and who still carry a pause by
   * `pausedBy` as their current status, or an active suppression by `suppressedBy` for `reason`.
   */
  renewedNeedingChange(
    now: Date,
    position: ExpiryPosition,
    limit: number,
    marks: { pausedBy: string; suppressedBy: string; reason: string },
  ): Promise<{ mentor_id: string; certification_expires_at: Date }[]> {
    return this.sql.query(
      `SELECT d.mentor_id, d.certification_expires_at FROM mentor_directory d
       WHERE d.certification_expires_at > $1 AND (d.certification_expires_at, d.mentor_id) > ($2::timestamptz, $3::varchar)
         AND ((d.status = 'paused' AND d.status_changed_by = $5) OR (d.active_suppression_coordinator_id = $6 AND d.active_suppression_reason = $7))
       ORDER BY d.certification_expires_at, d.mentor_id
       LIMIT $4`,
      [now, position.expiresAt, position.mentorId, limit, marks.pausedBy, marks.suppressedBy, marks.reason],
    );
  }
}
