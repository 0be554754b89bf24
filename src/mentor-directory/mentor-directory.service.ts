import { Injectable } from '@nestjs/common';
import { PageRequest } from '../common/pagination/page.js';
import { Sql, type Tx } from '../database/sql.js';
import { ChapterSelection, ChapterSummaryRow, DirectoryRow, Eligibility, ExpiryPosition, MentorDirectoryRepository } from './mentor-directory.repository.js';

export type { ChapterSelection, ChapterSummaryRow, DirectoryRow, Eligibility, ExpiryPosition };

/**
 * The query API of the mentor directory, for the chapter views, the certification sweep and change
 * events. "Eligible for assignment" is decided in one place, the directory itself.
 */
@Injectable()
export class MentorDirectoryService {
  constructor(
    private readonly sql: Sql,
    private readonly directory: MentorDirectoryRepository,
  ) {}

  /** A chapter's mentors in name order (then id), `selection` of them; may be read from a replica. */
  chapterMentors(chapterId: string, selection: ChapterSelection, page: PageRequest): Promise<{ rows: DirectoryRow[]; total: number }> {
    return this.directory.chapterPage(this.sql.replica, chapterId, selection, page);
  }

  /** A chapter's mentors, whatever their status, whose certification lapses in (from, until], soonest first; may be read from a replica. */
  expiringInChapter(chapterId: string, from: Date, until: Date, page: PageRequest): Promise<{ rows: DirectoryRow[]; total: number }> {
    return this.directory.expiringPage(this.sql.replica, chapterId, from, until, page);
  }

  /** A chapter's counts, overall and per pause reason code, as of `now`; may be read from a replica. */
  chapterSummary(chapterId: string, now: Date, resumingBy: Date, expiringBy: Date): Promise<ChapterSummaryRow[]> {
    return this.directory.chapterSummary(this.sql.replica, chapterId, now, resumingBy, expiringBy);
  }

  /** Takes the mentors' history locks, then reads their eligibility as of then, in one round trip; for the start of a write. */
  lockAndReadEligibility(tx: Tx, mentorIds: readonly string[]): Promise<Map<string, Eligibility>> {
    return this.directory.lockAndReadEligibility(tx, mentorIds);
  }

  expiredNeedingChange(now: Date, position: ExpiryPosition, limit: number): Promise<{ mentor_id: string; certification_expires_at: Date }[]> {
    return this.directory.expiredNeedingChange(now, position, limit);
  }

  renewedNeedingChange(
    now: Date,
    position: ExpiryPosition,
    limit: number,
    marks: { pausedBy: string; suppressedBy: string; reason: string },
  ): Promise<{ mentor_id: string; certification_expires_at: Date }[]> {
    return this.directory.renewedNeedingChange(now, position, limit, marks);
  }
}
