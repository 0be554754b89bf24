import { ApiProperty, SchemaObject } from '@nestjs/swagger';

const CHECKS_BY_NAME: { type: 'object'; additionalProperties: SchemaObject } = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
  },
};

/** Terminus's health check result, as GET /health gives it when every check passes. */
export class HealthCheckDto {
  @ApiProperty({ enum: ['ok'], description: '`ok`: every check passed.', example: 'ok' })
  status: 'ok';

  @ApiProperty({ ...CHECKS_BY_NAME, description: 'The checks that passed, by name.', example: { database: { status: 'up' } } })
  info: Record<string, { status: 'up' | 'down' }>;

  @ApiProperty({ ...CHECKS_BY_NAME, description: 'The checks that failed, by name: empty on a 200.', example: {} })
  error: Record<string, { status: 'up' | 'down' }>;

  @ApiProperty({ ...CHECKS_BY_NAME, description: 'Every check, by name.', example: { database: { status: 'up' } } })
  details: Record<string, { status: 'up' | 'down' }>;
}
