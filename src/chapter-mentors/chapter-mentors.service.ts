import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import { PageQueryDto, paginationOf } from '../common/pagination/pagination.dto.js';
import type { MentorStatus } from '../status/mentor-status-record.entity.js';
import { SuppressionService } from '../suppression/suppression.service.js';
import { ActiveChapterMentorListDto, PausedChapterMentorListDto } from './dto/chapter-mentor.dto.js';
import { ExpiringChapterMentorListDto } from './dto/expiring-chapter-mentor.dto.js';
import { ListActiveChapterMentorsQueryDto } from './dto/list-active-chapter-mentors.query.js';
import { ListExpiringChapterMentorsQueryDto } from './dto/list-expiring-chapter-mentors.query.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days until `expiresAt`, rounded up: anything within the next 24 hours is 1. */
export function daysRemaining(expiresAt: Date, now: Date): number {
  return Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS);
}

/**
 * Mentors of chapter $1, each with their current status: the latest non-deleted record, which the
 * database keeps per mentor in mentor_current_statuses. One key lookup per mentor of the chapter,
 * however long the histories; the LIMIT keeps the planner from reading every mentor's status to
 * hash it instead.
 */
const CHAPTER_MENTORS_WITH_CURRENT_STATUS = `
  SELECT m.mentor_id, m.full_name, m.chapter_id, current.status, current.reason, current.changed_at
  FROM mentors m
  CROSS JOIN LATERAL (
    SELECT cs.status, cs.reason, cs.changed_at FROM mentor_current_statuses cs
    WHERE cs.mentor_id = m.mentor_id
    LIMIT 1
  ) current
  WHERE m.chapter_id = $1`;

interface ActiveRow {
  mentor_id: string;
  full_name: string;
  chapter_id: string;
  is_eligible_for_assignment: boolean;
}

interface ExpiringRow {
  mentor_id: string;
  full_name: string;
  chapter_id: string;
  certification_expires_at: Date;
  status: MentorStatus | null;
}

interface PausedRow {
  mentor_id: string;
  full_name: string;
  chapter_id: string;
  paused_at: Date;
  pause_reason: string;
}

@Injectable()
export class ChapterMentorsService {
  /** Whether an active mentor (row alias `c`) can be assigned: the one place that decides it. */
  private readonly eligibility: { join: string; isEligible: string };

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    suppressions: SuppressionService,
  ) {
    const { join, isSuppressed } = suppressions.activeSuppressionJoin('c.mentor_id');
    this.eligibility = { join, isEligible: `NOT (${isSuppressed})` };
  }

  async listActive(chapterId: string, query: ListActiveChapterMentorsQueryDto): Promise<ActiveChapterMentorListDto> {
    const { rows, total } = await this.page<ActiveRow>(
      `SELECT * FROM (
         SELECT c.mentor_id, c.full_name, c.chapter_id, ${this.eligibility.isEligible} AS is_eligible_for_assignment
         FROM (${CHAPTER_MENTORS_WITH_CURRENT_STATUS}) c ${this.eligibility.join}
         WHERE c.status = 'active'
       ) active WHERE ${query.include_ineligible ? 'true' : 'active.is_eligible_for_assignment'}`,
      chapterId,
      query,
    );
    return {
      data: rows.map((row) => ({
        mentor_id: row.mentor_id,
        full_name: row.full_name,
        chapter_id: row.chapter_id,
        status: 'active',
        is_eligible_for_assignment: row.is_eligible_for_assignment,
      })),
      pagination: paginationOf(query, total),
    };
  }

  async listPaused(chapterId: string, query: PageQueryDto): Promise<PausedChapterMentorListDto> {
    const { rows, total } = await this.page<PausedRow>(
      `SELECT c.mentor_id, c.full_name, c.chapter_id, c.changed_at AS paused_at, c.reason AS pause_reason
       FROM (${CHAPTER_MENTORS_WITH_CURRENT_STATUS}) c
       WHERE c.status = 'paused'`,
      chapterId,
      query,
    );
    return {
      data: rows.map((row) => ({
        mentor_id: row.mentor_id,
        full_name: row.full_name,
        chapter_id: row.chapter_id,
        status: 'paused',
        paused_at: row.paused_at.toISOString(),
        pause_reason: row.pause_reason,
        is_eligible_for_assignment: false,
      })),
      pagination: paginationOf(query, total),
    };
  }

  /**
   * Mentors of the chapter whose certification lapses in (now, now + within_days × 24 h]: the
   * window starts where the sweep's "expired" (at or before now) ends, so no mentor is in both.
   */
  async listExpiring(chapterId: string, query: ListExpiringChapterMentorsQueryDto): Promise<ExpiringChapterMentorListDto> {
    const now = this.clock.now();
    const until = new Date(now.getTime() + query.within_days * DAY_MS);
    const { rows, total } = await this.page<ExpiringRow>(
      `SELECT m.mentor_id, m.full_name, m.chapter_id, m.certification_expires_at, current.status
       FROM mentors m
       LEFT JOIN LATERAL (
         SELECT r.status FROM mentor_status_records r
         WHERE r.mentor_id = m.mentor_id AND r.deleted_at IS NULL
         ORDER BY r.changed_at DESC, r.id DESC
         LIMIT 1
       ) current ON true
       WHERE m.chapter_id = $1 AND m.certification_expires_at > $4 AND m.certification_expires_at <= $5`,
      chapterId,
      query,
      { orderBy: ['certification_expires_at', 'full_name', 'mentor_id'], params: [now, until] },
    );
    return {
      data: rows.map((row) => ({
        mentor_id: row.mentor_id,
        full_name: row.full_name,
        chapter_id: row.chapter_id,
        certification_expires_at: row.certification_expires_at.toISOString(),
        days_remaining: daysRemaining(row.certification_expires_at, now),
        status: row.status,
      })),
      pagination: paginationOf(query, total),
    };
  }

  /**
   * One page of a listing, ordered by full_name, then mentor_id unless `orderBy` says otherwise,
   * and its total, in one statement: the count row is always there, so a page past the end still
   * tells the true total. The listing's own `params` follow the chapter, limit and offset ($4, …).
   */
  private async page<Row extends { mentor_id: string }>(
    listing: string,
    chapterId: string,
    query: PageQueryDto,
    { orderBy = ['full_name', 'mentor_id'], params = [] }: { orderBy?: string[]; params?: unknown[] } = {},
  ): Promise<{ rows: Row[]; total: number }> {
    const found: (Row & { total: number })[] = await this.dataSource.query(
      `WITH listing AS (${listing})
       SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM listing) counted
       LEFT JOIN LATERAL (SELECT * FROM listing ORDER BY ${orderBy.join(', ')} LIMIT $2 OFFSET $3) page ON true
       ORDER BY ${orderBy.map((column) => `page.${column}`).join(', ')}`,
      [chapterId, query.limit, query.offset, ...params],
    );
    return { rows: found.filter((row) => row.mentor_id !== null), total: found[0].total };
  }
}
