import { ApiProperty } from '@nestjs/swagger';
import { PaginationDto } from '../../common/pagination/pagination.dto.js';

export class MentorProfileDto {
  @ApiProperty({ example: 'mntr_01HX4V2K8P' })
  mentor_id: string;

  @ApiProperty({ example: 'Sarah Chen' })
  full_name: string;

  @ApiProperty({ example: 'chpt_03AZ' })
  chapter_id: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T09:00:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T09:00:00.000Z' })
  updated_at: string;
}

export class MentorProfileListDto {
  @ApiProperty({ type: [MentorProfileDto] })
  data: MentorProfileDto[];

  @ApiProperty({ type: PaginationDto })
  pagination: PaginationDto;
}
