import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { RecordedBy } from '../../common/auth/principal.js';
import { ApiRecordedBy } from '../../common/auth/recorded-by.dto.js';
import { PaginatedList } from '../../common/pagination/pagination.dto.js';
import { REASON_CODE_PATTERN } from '../../common/validation/property.decorators.js';

export class MentorSuppressionDto {
  @ApiProperty({ format: 'uuid', example: 'c3d4e5f6-a7b8-4012-8def-123456789012' })
  suppression_id: string;

  @ApiProperty({ example: 'mntr_02BY7M3RL' })
  mentor_id: string;

  @ApiProperty({ example: 'coord_maya_patel' })
  coordinator_id: string;

  @ApiProperty({
    pattern: REASON_CODE_PATTERN.source,
    description: 'Why the mentor is suppressed, e.g. `certification_expired`, `conduct_review`.',
    example: 'certification_expired',
  })
  reason: string;

  @ApiProperty({ format: 'date-time', description: 'When the suppression was made (server time).', example: '2026-03-26T00:01:00.000Z' })
  suppressed_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '`null` while the suppression is active.', example: null })
  restored_at: string | null;

  @ApiProperty({ description: '`true` until the suppression is restored; a mentor has at most one active suppression.', example: true })
  is_active: boolean;

  @ApiPropertyOptional({
    pattern: REASON_CODE_PATTERN.source,
    description: 'Why visibility was restored, e.g. `certification_renewed`, `review_cleared`. Present only once set.',
    example: 'certification_renewed',
  })
  restore_reason?: string;

  @ApiRecordedBy("the suppression's latest write (its creation, a correction or its restore)")
  recorded_by: RecordedBy | null;
}

export class MentorSuppressionListDto extends PaginatedList(MentorSuppressionDto) {}

export class MentorSuppressionDeletedDto {
  @ApiProperty({ enum: [true], example: true })
  deleted: true;

  @ApiProperty({ example: 'mntr_02BY7M3RL' })
  mentor_id: string;
}
