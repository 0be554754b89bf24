import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { ListOrder, pageOf, pageRequest, timestampKey } from '../common/pagination/page.js';
import { PageQueryDto } from '../common/pagination/pagination.dto.js';
import { DirectoryRow, MentorDirectoryService } from '../mentor-directory/mentor-directory.service.js';
import { MENTOR_NAME_ORDER_KEYS } from '../mentors/mentors.service.js';
import { ActiveChapterMentorListDto, PausedChapterMentorListDto } from './dto/chapter-mentor.dto.js';
import { ChapterSummaryDto, EXPIRING_WITHIN_DAYS, RESUMING_WITHIN_DAYS } from './dto/chapter-summary.dto.js';
import { ExpiringChapterMentorListDto } from './dto/expiring-chapter-mentor.dto.js';
import { ListActiveChapterMentorsQueryDto } from './dto/list-active-chapter-mentors.query.js';
import { ListExpiringChapterMentorsQueryDto } from './dto/list-expiring-chapter-mentors.query.js';

const DAY_MS = 24 * 60 * 60 * 1000;

const ACTIVE_ORDER: ListOrder = { list: 'chapter-active', keys: MENTOR_NAME_ORDER_KEYS };
const PAUSED_ORDER: ListOrder = { list: 'chapter-paused', keys: MENTOR_NAME_ORDER_KEYS };
const EXPIRING_ORDER: ListOrder = { list: 'chapter-expiring', keys: [timestampKey('certification_expires_at'), ...MENTOR_NAME_ORDER_KEYS] };

/** Whole days until `expiresAt`, rounded up: anything within the next 24 hours is 1. */
export function daysRemaining(expiresAt: Date, now: Date): number {
  return Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS);
}

const nameOrderKey = (row: DirectoryRow) => [row.full_name, row.mentor_id];

/** A chapter's mentors as coordinators see them: the mentor directory, paged and shaped for each view. */
@Injectable()
export class ChapterMentorsService {
  constructor(
    private readonly directory: MentorDirectoryService,
    private readonly clock: Clock,
  ) {}

  async listActive(chapterId: string, query: ListActiveChapterMentorsQueryDto): Promise<ActiveChapterMentorListDto> {
    const request = pageRequest(query, ACTIVE_ORDER, { chapter_id: chapterId, include_ineligible: query.include_ineligible });
    const { rows, total } = await this.directory.chapterMentors(chapterId, query.include_ineligible ? 'active' : 'active-and-eligible', request);
    const page = pageOf(request, rows, total, nameOrderKey, { exact: true });
    return {
      data: page.rows.map((row) => ({
        mentor_id: row.mentor_id,
        full_name: row.full_name,
        chapter_id: row.chapter_id,
        status: 'active',
        is_eligible_for_assignment: row.is_eligible_for_assignment,
      })),
      pagination: page.pagination,
    };
  }

  async listPaused(chapterId: string, query: PageQueryDto): Promise<PausedChapterMentorListDto> {
    const request = pageRequest(query, PAUSED_ORDER, { chapter_id: chapterId });
    const { rows, total } = await this.directory.chapterMentors(chapterId, 'paused', request);
    const page = pageOf(request, rows, total, nameOrderKey, { exact: true });
    return {
      data: page.rows.map((row) => ({
        mentor_id: row.mentor_id,
        full_name: row.full_name,
        chapter_id: row.chapter_id,
        status: 'paused',
        paused_at: row.status_changed_at!.toISOString(),
        pause_reason: row.status_reason!,
        pause_reason_code: row.status_reason_code,
        resumes_at: row.status_resume_at?.toISOString() ?? null,
        is_eligible_for_assignment: false,
      })),
      pagination: page.pagination,
    };
  }

  /** The chapter's counts as of now, from one pass over its directory rows; an unknown chapter has only zeros. */
  async summary(chapterId: string): Promise<ChapterSummaryDto> {
    const now = this.clock.now();
    const after = (days: number) => new Date(now.getTime() + days * DAY_MS);
    const rows = await this.directory.chapterSummary(chapterId, now, after(RESUMING_WITHIN_DAYS), after(EXPIRING_WITHIN_DAYS));
    const overall = rows.find((row) => row.overall);
    return {
      chapter_id: chapterId,
      as_of: now.toISOString(),
      mentors: overall?.mentors ?? 0,
      active_eligible: overall?.active_eligible ?? 0,
      active_suppressed: overall?.active_suppressed ?? 0,
      paused: overall?.paused ?? 0,
      paused_by_reason_code: rows.filter((row) => !row.overall && row.paused > 0).map((row) => ({ reason_code: row.reason_code, count: row.paused })),
      resuming_within_7_days: overall?.resuming ?? 0,
      certifications_expiring_within_30_days: overall?.expiring ?? 0,
    };
  }

  /**
   * Mentors of the chapter whose certification lapses in (now, now + within_days × 24 h]: the
   * window starts where the sweep's "expired" (at or before now) ends, so no mentor is in both.
   */
  async listExpiring(chapterId: string, query: ListExpiringChapterMentorsQueryDto): Promise<ExpiringChapterMentorListDto> {
    const now = this.clock.now();
    const until = new Date(now.getTime() + query.within_days * DAY_MS);
    const request = pageRequest(query, EXPIRING_ORDER, { chapter_id: chapterId, within_days: query.within_days });
    const { rows, total } = await this.directory.expiringInChapter(chapterId, now, until, request);
    const page = pageOf(request, rows, total, (row) => [row.certification_expires_at!.toISOString(), ...nameOrderKey(row)], { exact: true });
    return {
      data: page.rows.map((row) => ({
        mentor_id: row.mentor_id,
        full_name: row.full_name,
        chapter_id: row.chapter_id,
        certification_expires_at: row.certification_expires_at!.toISOString(),
        days_remaining: daysRemaining(row.certification_expires_at!, now),
        status: row.status,
      })),
      pagination: page.pagination,
    };
  }
}
