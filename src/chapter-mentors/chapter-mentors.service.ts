import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PageQueryDto, paginationOf } from '../common/pagination/pagination.dto.js';
import { SuppressionService } from '../suppression/suppression.service.js';
import { ActiveChapterMentorListDto, PausedChapterMentorListDto } from './dto/chapter-mentor.dto.js';
import { ListActiveChapterMentorsQueryDto } from './dto/list-active-chapter-mentors.query.js';

/** Mentors of chapter $1, each with their current status: the latest non-deleted record. */
const CHAPTER_MENTORS_WITH_CURRENT_STATUS = `
  SELECT m.mentor_id, m.full_name, m.chapter_id, current.status, current.reason, current.changed_at
  FROM mentors m
  CROSS JOIN LATERAL (
    SELECT r.status, r.reason, r.changed_at FROM mentor_status_records r
    WHERE r.mentor_id = m.mentor_id AND r.deleted_at IS NULL
    ORDER BY r.changed_at DESC, r.id DESC
    LIMIT 1
  ) current
  WHERE m.chapter_id = $1`;

interface ActiveRow {
  mentor_id: string;
  full_name: string;
  chapter_id: string;
  is_eligible_for_assignment: boolean;
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
  private readonly isEligibleForAssignment: string;

  constructor(
    private readonly dataSource: DataSource,
    suppressions: SuppressionService,
  ) {
    this.isEligibleForAssignment = `NOT ${suppressions.activeSuppressionCondition('c.mentor_id')}`;
  }

  async listActive(chapterId: string, query: ListActiveChapterMentorsQueryDto): Promise<ActiveChapterMentorListDto> {
    const { rows, total } = await this.page<ActiveRow>(
      `SELECT * FROM (
         SELECT c.mentor_id, c.full_name, c.chapter_id, ${this.isEligibleForAssignment} AS is_eligible_for_assignment
         FROM (${CHAPTER_MENTORS_WITH_CURRENT_STATUS}) c
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
   * One page of a listing ordered by full_name, then mentor_id, and its total, in one statement:
   * the count row is always there, so a page past the end still tells the true total.
   */
  private async page<Row extends { mentor_id: string }>(
    listing: string,
    chapterId: string,
    query: PageQueryDto,
  ): Promise<{ rows: Row[]; total: number }> {
    const found: (Row & { total: number })[] = await this.dataSource.query(
      `WITH listing AS (${listing})
       SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM listing) counted
       LEFT JOIN LATERAL (SELECT * FROM listing ORDER BY full_name, mentor_id LIMIT $2 OFFSET $3) page ON true
       ORDER BY page.full_name, page.mentor_id`,
      [chapterId, query.limit, query.offset],
    );
    return { rows: found.filter((row) => row.mentor_id !== null), total: found[0].total };
  }
}
