import { ApiProperty } from '@nestjs/swagger';
import { PaginatedList } from '../../common/pagination/pagination.dto.js';

export class ActiveChapterMentorDto {
  @ApiProperty({ example: 'mntr_01HX4V2K8P' })
  mentor_id: string;

  @ApiProperty({ example: 'Sarah Chen' })
  full_name: string;

  @ApiProperty({ example: 'chpt_03AZ' })
  chapter_id: string;

  @ApiProperty({ enum: ['active'], example: 'active' })
  status: 'active';

  @ApiProperty({ type: Boolean, description: 'True when the mentor can be assigned: active and not suppressed.', example: true })
  is_eligible_for_assignment: boolean;
}

export class PausedChapterMentorDto {
  @ApiProperty({ example: 'mntr_02BY7M3RL' })
  mentor_id: string;

  @ApiProperty({ example: 'James Okafor' })
  full_name: string;

  @ApiProperty({ example: 'chpt_03AZ' })
  chapter_id: string;

  @ApiProperty({ enum: ['paused'], example: 'paused' })
  status: 'paused';

  @ApiProperty({ format: 'date-time', description: '`changed_at` of the record that paused the mentor.', example: '2026-03-02T01:00:03.000Z' })
  paused_at: string;

  @ApiProperty({ description: 'The reason of the record that paused the mentor.', example: 'Certification expired' })
  pause_reason: string;

  @ApiProperty({ type: String, nullable: true, description: "The pausing record's `reason_code`.", example: 'certification_expired' })
  pause_reason_code: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: "The pausing record's `resume_at`: when the resume sweep makes the mentor active again; null for an open-ended pause.",
    example: null,
  })
  resumes_at: string | null;

  @ApiProperty({ type: Boolean, enum: [false], description: 'A paused mentor is never eligible for assignment.', example: false })
  is_eligible_for_assignment: false;
}

export class ActiveChapterMentorListDto extends PaginatedList(ActiveChapterMentorDto) {}

export class PausedChapterMentorListDto extends PaginatedList(PausedChapterMentorDto) {}
