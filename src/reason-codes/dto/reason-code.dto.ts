import { ApiProperty } from '@nestjs/swagger';
import { PaginatedList } from '../../common/pagination/pagination.dto.js';
import { type NamedEnum, REASON_CODE_PATTERN } from '../../common/validation/property.decorators.js';

/** What a reason code explains: a pause (a status record's `reason_code`) or a suppression (its `reason`). */
export const REASON_CODE_USES = ['pause', 'suppression'] as const;
export type ReasonCodeUse = (typeof REASON_CODE_USES)[number];
export const REASON_CODE_USE_ENUM: NamedEnum<ReasonCodeUse> = { enumName: 'ReasonCodeUse', enum: REASON_CODE_USES };

export class ReasonCodeDto {
  @ApiProperty({ pattern: REASON_CODE_PATTERN.source, example: 'parental_leave' })
  code: string;

  @ApiProperty({
    ...REASON_CODE_USE_ENUM,
    isArray: true,
    description: '`pause`: a paused status record may carry it as `reason_code`. `suppression`: a known `reason` (or `restore_reason`) of suppressions.',
    example: ['pause'],
  })
  applies_to: ReasonCodeUse[];

  @ApiProperty({ description: 'What a coordinator reads.', example: 'Parental leave' })
  label: string;

  @ApiProperty({ example: 'The mentor is on parental leave.' })
  description: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T00:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T00:00:00.000Z' })
  updated_at: string;
}

export class ReasonCodeListDto extends PaginatedList(ReasonCodeDto) {}
