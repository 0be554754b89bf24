import { ApiProperty } from '@nestjs/swagger';
import type { RecordedBy } from '../../common/auth/principal.js';
import { ApiRecordedBy } from '../../common/auth/recorded-by.dto.js';
import { PaginatedList } from '../../common/pagination/pagination.dto.js';
import { REASON_CODE_PATTERN } from '../../common/validation/property.decorators.js';
import { MENTOR_STATUS_ENUM, type MentorStatus } from '../../mentor-directory/mentor-status.js';
import { MENTOR_STATUS_ID_PATTERN } from './mentor-status-id.params.js';

const MENTOR_STATUS_ID = { pattern: MENTOR_STATUS_ID_PATTERN.source, example: 'msr_01KK9T4N2H8Q6V3X7C5D1F0G2J' };

/** One record of the audit log, as lists show it. */
export class MentorStatusRecordDto {
  @ApiProperty({ ...MENTOR_STATUS_ID, description: '`msr_` and a ULID.' })
  mentor_status_id: string;

  @ApiProperty({ example: 'mntr_01HX4V2K8P' })
  mentor_id: string;

  @ApiProperty({ ...MENTOR_STATUS_ENUM, example: 'active' })
  status: MentorStatus;

  @ApiProperty({ type: String, nullable: true, description: 'Always set on a pause; may be null on an activation.', example: null })
  reason: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    pattern: REASON_CODE_PATTERN.source,
    description: 'A registered pause reason code (see `listReasonCodes`) beside the free-text `reason`; pauses only, optional.',
    example: null,
  })
  reason_code: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      "Pauses only, optional: when the pause ends. While the pause is still the mentor's current status then, the resume sweep writes an `active` record by `system_auto_resume`.",
    example: null,
  })
  resume_at: string | null;

  @ApiProperty({ format: 'date-time', description: "Set by the server; strictly increasing within one mentor's history.", example: '2026-03-10T09:00:00.000Z' })
  changed_at: string;

  @ApiProperty({ example: 'user_coord_99XZ' })
  changed_by: string;

  @ApiRecordedBy("the record's latest write (its creation or a correction)")
  recorded_by: RecordedBy | null;
}

/** The answer to a POST: the record as written. */
export class CreatedMentorStatusDto extends MentorStatusRecordDto {
  @ApiProperty({ format: 'date-time', description: 'Same instant as `changed_at`.', example: '2026-03-10T09:00:00.000Z' })
  created_at: string;
}

/** A single record, with the status it replaced. */
export class MentorStatusDetailDto extends CreatedMentorStatusDto {
  @ApiProperty({
    ...MENTOR_STATUS_ENUM,
    nullable: true,
    description: "Status of the mentor's preceding non-deleted record (by `changed_at`, then id); null for the first.",
    example: 'paused',
  })
  previous_status: MentorStatus | null;
}

export class MentorStatusListDto extends PaginatedList(MentorStatusRecordDto) {}

export class UpdatedMentorStatusDto {
  @ApiProperty(MENTOR_STATUS_ID)
  mentor_status_id: string;

  @ApiProperty({ type: String, nullable: true, example: 'Personal leave — extended by 2 weeks' })
  reason: string | null;

  @ApiProperty({ type: String, nullable: true, pattern: REASON_CODE_PATTERN.source, example: 'personal_leave' })
  reason_code: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2026-04-23T09:00:00.000Z' })
  resume_at: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-03-26T10:00:00.000Z' })
  updated_at: string;
}

export class DeletedMentorStatusDto {
  @ApiProperty(MENTOR_STATUS_ID)
  mentor_status_id: string;

  @ApiProperty({ type: Boolean, enum: [true], description: 'Always true.', example: true })
  deleted: true;

  @ApiProperty({ format: 'date-time', example: '2026-03-26T11:00:00.000Z' })
  deleted_at: string;
}
