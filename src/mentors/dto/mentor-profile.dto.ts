import { ApiProperty } from '@nestjs/swagger';
import { PaginatedList } from '../../common/pagination/pagination.dto.js';

export class MentorProfileDto {
  @ApiProperty({ example: 'mntr_01HX4V2K8P' })
  mentor_id: string;

  @ApiProperty({ example: 'Sarah Chen' })
  full_name: string;

  @ApiProperty({ example: 'chpt_03AZ' })
  chapter_id: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the certification lapses; `null` when no expiry is tracked.',
    example: '2027-03-01T00:00:00.000Z',
  })
  certification_expires_at: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T09:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T09:00:00.000Z' })
  updated_at: string;
}

export class MentorProfileListDto extends PaginatedList(MentorProfileDto) {}
