import { ApiProperty } from '@nestjs/swagger';
import type { RecordedBy } from '../../common/auth/principal.js';
import { ApiRecordedBy } from '../../common/auth/recorded-by.dto.js';

/** The data of `mentor.suppression.deleted`. */
export class MentorSuppressionsDeletedDataDto {
  @ApiProperty({ example: 'mntr_02BY7M3RL' })
  mentor_id: string;

  @ApiProperty({
    type: [String],
    format: 'uuid',
    description: 'Every suppression record of the mentor that was deleted.',
    example: ['c3d4e5f6-a7b8-4012-8def-123456789012'],
  })
  suppression_ids: string[];

  @ApiRecordedBy('the delete')
  recorded_by: RecordedBy | null;
}
