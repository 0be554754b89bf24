import { ApiProperty } from '@nestjs/swagger';
import type { RecordedBy } from '../../common/auth/principal.js';
import { ApiRecordedBy } from '../../common/auth/recorded-by.dto.js';
import { MENTOR_STATUS_ENUM, type MentorStatus } from '../../mentor-directory/mentor-status.js';

/** The data of `mentor.status.deleted`. */
export class MentorStatusDeletedDataDto {
  @ApiProperty({ example: 'msr_01KK9T4N2H8Q6V3X7C5D1F0G2J' })
  mentor_status_id: string;

  @ApiProperty({ example: 'mntr_01HX4V2K8P' })
  mentor_id: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-26T11:00:00.000Z' })
  deleted_at: string;

  @ApiProperty({
    ...MENTOR_STATUS_ENUM,
    nullable: true,
    description: "The mentor's current status after the delete (the record before it took over); null when no record is left.",
    example: 'active',
  })
  current_status: MentorStatus | null;

  @ApiRecordedBy('the delete')
  recorded_by: RecordedBy | null;
}
