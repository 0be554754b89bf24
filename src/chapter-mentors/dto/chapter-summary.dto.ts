import { ApiProperty } from '@nestjs/swagger';

export const RESUMING_WITHIN_DAYS = 7;
export const EXPIRING_WITHIN_DAYS = 30;

export class PausedByReasonCodeDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The pausing record's `reason_code`; `null` counts the pauses without one.",
    example: 'parental_leave',
  })
  reason_code: string | null;

  @ApiProperty({ type: 'integer', minimum: 1, example: 1 })
  count: number;
}

export class ChapterSummaryDto {
  @ApiProperty({ example: 'chpt_03AZ' })
  chapter_id: string;

  @ApiProperty({ format: 'date-time', description: 'The instant the counts are for.', example: '2026-03-26T09:15:00.000Z' })
  as_of: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: "The chapter's mentor profiles, with or without a status record.", example: 3 })
  mentors: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Current status `active` and no active suppression: eligible for assignment.', example: 2 })
  active_eligible: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Current status `active`, but hidden by an active suppression.', example: 0 })
  active_suppressed: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Current status `paused`.', example: 1 })
  paused: number;

  @ApiProperty({
    type: [PausedByReasonCodeDto],
    description:
      "The paused mentors by the pausing record's `reason_code` (labels: `listReasonCodes`), codes in order, the pauses without a code last; only codes with a count.",
  })
  paused_by_reason_code: PausedByReasonCodeDto[];

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: `Paused mentors whose pause has a \`resume_at\` within the next ${RESUMING_WITHIN_DAYS} days (one already due, not yet resumed by the sweep, included).`,
    example: 0,
  })
  resuming_within_7_days: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: `Mentors, whatever their status, whose certification lapses after now and within ${EXPIRING_WITHIN_DAYS} days: \`listExpiringChapterMentors\` with \`within_days=${EXPIRING_WITHIN_DAYS}\`.`,
    example: 1,
  })
  certifications_expiring_within_30_days: number;
}
