import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';

type CheckStatus = 'up' | 'down' | 'degraded';

/** One check's result, as Terminus gives it. */
class HealthIndicatorResultDto {
  @ApiProperty({ enum: ['up', 'down', 'degraded'], enumName: 'HealthIndicatorStatus' })
  status: CheckStatus;
}

const CHECKS_BY_NAME = {
  type: 'object' as const,
  additionalProperties: { $ref: getSchemaPath(HealthIndicatorResultDto) },
};

/** Terminus's health check result, as the health routes give it when every check passes. */
@ApiExtraModels(HealthIndicatorResultDto)
export class HealthCheckDto {
  @ApiProperty({
    enum: ['ok', 'degraded'],
    enumName: 'HealthStatus',
    description: '`ok`: every check passed; `degraded` (readiness only): a check reports an impairment that does not stop this instance serving.',
    example: 'ok',
  })
  status: 'ok' | 'degraded';

  @ApiProperty({ ...CHECKS_BY_NAME, description: 'The checks that passed, by name.', example: { database: { status: 'up' } } })
  info: Record<string, { status: CheckStatus }>;

  @ApiProperty({ ...CHECKS_BY_NAME, description: 'The checks that failed, by name: empty on a 200.', example: {} })
  error: Record<string, { status: CheckStatus }>;

  @ApiProperty({ ...CHECKS_BY_NAME, description: 'Every check, by name.', example: { database: { status: 'up' } } })
  details: Record<string, { status: CheckStatus }>;
}
