import { ApiProperty } from '@nestjs/swagger';
import { PaginatedList } from '../../common/pagination/pagination.dto.js';
import { MENTOR_STATUS_ENUM, type MentorStatus } from '../../mentor-directory/mentor-status.js';

export class ExpiringChapterMentorDto {
  @ApiProperty({ example: 'mntr_05DF9N2QW' })
  mentor_id: string;

  @ApiProperty({ example: 'Amara Diallo' })
  full_name: string;

  @ApiProperty({ example: 'chpt_03AZ' })
  chapter_id: string;

  @ApiProperty({ format: 'date-time', description: 'When the certification lapses.', example: '2026-04-10T00:00:00.000Z' })
  certification_expires_at: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'Days left, rounded up: 1 means it lapses within the next 24 hours. Never more than `within_days`.',
    example: 15,
  })
  days_remaining: number;

  @ApiProperty({
    ...MENTOR_STATUS_ENUM,
    nullable: true,
    description: 'The current status; `null` when the mentor has no status record.',
    example: 'active',
  })
  status: MentorStatus | null;
}

export class ExpiringChapterMentorListDto extends PaginatedList(ExpiringChapterMentorDto) {}
