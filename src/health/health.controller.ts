import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { DATABASE_RETRY_AFTER_SECONDS } from '../common/errors/postgres-error.js';
import { ProblemException } from '../common/errors/problem.exception.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { DatabaseHealthIndicator } from './database-health.indicator.js';
import { HealthCheckDto } from './dto/health-check.dto.js';

@ApiTags('health')
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    operationId: 'getHealth',
    summary: 'Liveness and readiness',
    description: '200 when the database answers within 2 seconds, 503 (problem+json, with the checks) when it does not.',
  })
  @ApiOkResponse({ type: HealthCheckDto, description: 'The service and its database are up.' })
  @ApiProblemResponses()
  async getHealth(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.database.check('database')]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      throw new ProblemException(503, 'The database is not answering.', {
        extensions: { checks: error.getResponse() },
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      });
    }
  }
}
