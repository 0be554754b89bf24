import { encodeCursor, queryFingerprint } from '../common/pagination/cursor.js';
import { ActiveChapterMentorListDto, PausedChapterMentorListDto } from './dto/chapter-mentor.dto.js';
import { ChapterSummaryDto } from './dto/chapter-summary.dto.js';

// The Mentor Status Repository contract's examples; times carry milliseconds, as the service writes them.

export const ACTIVE_LIST_EXAMPLE: ActiveChapterMentorListDto = {
  data: [
    { mentor_id: 'mntr_01HX4V2K8P', full_name: 'Sarah Chen', chapter_id: 'chpt_03AZ', status: 'active', is_eligible_for_assignment: true },
    { mentor_id: 'mntr_05DF9N2QW', full_name: 'Amara Diallo', chapter_id: 'chpt_03AZ', status: 'active', is_eligible_for_assignment: true },
  ],
  pagination: {
    page: 1,
    limit: 20,
    total: 31,
    total_exact: true,
    next_cursor: encodeCursor(queryFingerprint('chapter-active', { chapter_id: 'chpt_03AZ', include_ineligible: false }), {
      skipped: 20,
      after: ['Amara Diallo', 'mntr_05DF9N2QW'],
    }),
  },
};

export const PAUSED_LIST_EXAMPLE: PausedChapterMentorListDto = {
  data: [
    {
      mentor_id: 'mntr_02BY7M3RL',
      full_name: 'James Okafor',
      chapter_id: 'chpt_03AZ',
      status: 'paused',
      paused_at: '2026-03-02T01:00:03.000Z',
      pause_reason: 'Certification expired',
      pause_reason_code: 'certification_expired',
      resumes_at: null,
      is_eligible_for_assignment: false,
    },
  ],
  pagination: { page: 1, limit: 20, total: 4, total_exact: true, next_cursor: null },
};

export const SUMMARY_EXAMPLE: ChapterSummaryDto = {
  chapter_id: 'chpt_03AZ',
  as_of: '2026-03-26T09:15:00.000Z',
  mentors: 3,
  active_eligible: 2,
  active_suppressed: 0,
  paused: 1,
  paused_by_reason_code: [{ reason_code: 'certification_expired', count: 1 }],
  resuming_within_7_days: 0,
  certifications_expiring_within_30_days: 1,
};
