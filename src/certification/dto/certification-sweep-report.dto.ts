import { ApiProperty } from '@nestjs/swagger';

export class CertificationSweepActionDto {
  @ApiProperty({ type: 'integer', minimum: 0, example: 1 })
  count: number;

  @ApiProperty({ type: [String], description: 'The mentors concerned, ordered by `mentor_id`.', example: ['mntr_02BY7M3RL'] })
  mentor_ids: string[];
}

export class CertificationSweepReportDto {
  @ApiProperty({
    format: 'date-time',
    description: 'When the sweep started: the instant every certification was compared with.',
    example: '2026-03-26T00:01:00.000Z',
  })
  started_at: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-26T00:01:00.412Z' })
  finished_at: string;

  @ApiProperty({
    type: CertificationSweepActionDto,
    description:
      'Active mentors whose certification had expired, now `paused` by `system_auto_pause` with reason "Certification expired" and `reason_code: certification_expired`.',
  })
  paused: CertificationSweepActionDto;

  @ApiProperty({
    type: CertificationSweepActionDto,
    description:
      'Mentors whose certification had expired and who had no active suppression, now suppressed by coordinator `system` with reason `certification_expired`.',
  })
  suppressed: CertificationSweepActionDto;

  @ApiProperty({
    type: CertificationSweepActionDto,
    description:
      'Mentors with a renewed certification whose `certification_expired` suppression by `system` was restored with `restore_reason: certification_renewed`.',
  })
  restored: CertificationSweepActionDto;

  @ApiProperty({
    type: CertificationSweepActionDto,
    description: "Mentors with a renewed certification whose current status was the sweep's own pause, now `active` by `system_auto_restore`.",
  })
  reactivated: CertificationSweepActionDto;
}
