import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorFunction } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { DATABASE_RETRY_AFTER_SECONDS } from '../common/errors/postgres-error.js';
import { PROBLEM_CONTENT_TYPE } from '../common/errors/problem.js';
import { ProblemDto } from '../common/errors/problem.dto.js';
import { ProblemException } from '../common/errors/problem.exception.js';
import type { ProblemType } from '../common/errors/problem-types.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { DatabaseHealthIndicator } from './database-health.indicator.js';
import { HealthCheckDto } from './dto/health-check.dto.js';
import { ReadinessChecks } from './readiness-checks.js';
import { ShutdownIndicator } from './shutdown.indicator.js';

/** The process answers: nothing is asked of anything else, so a slow database never gets a live instance restarted. */
const ALIVE: HealthCheckDto = Object.freeze({ status: 'ok', info: {}, error: {}, details: {} });

@ApiTags('health')
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly shutdown: ShutdownIndicator,
    private readonly readiness: ReadinessChecks,
  ) {}

  @Get()
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    operationId: 'getHealth',
    summary: 'The service and its database',
    description: '200 when the database answers within 2 seconds, 503 (problem+json, with the checks) when it does not.',
  })
  @ApiOkResponse({ type: HealthCheckDto, description: 'The service and its database are up.' })
  @ApiProblemResponses()
  getHealth(): Promise<HealthCheckResult> {
    return this.checked([() => this.database.check('database')], '/problems/database-unavailable', () => 'The database is not answering.');
  }

  @Get('live')
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'Liveness: the process answers',
    description:
      'For a liveness probe: 200 whenever the process can answer at all; the database is not asked, so an outage of it never gets the instance restarted. ' +
      '503 only once the service has begun shutting down and its server has stopped taking requests.',
  })
  @ApiOkResponse({ type: HealthCheckDto, description: 'The process is alive.' })
  @ApiResponse({
    status: 503,
    description: 'The service is shutting down (type `/problems/shutting-down`).',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
  })
  @ApiProblemResponses()
  getLiveness(): HealthCheckDto {
    return ALIVE;
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    operationId: 'getReadiness',
    summary: 'Readiness: this instance can serve requests',
    description: [
      'For a readiness probe or a load balancer: 200 when every check passes, 503 (problem+json, with the checks in `checks`) when one fails:',
      '`shutdown` (down from the moment the service begins shutting down, while it still finishes the requests in flight),',
      '`database` (answers `SELECT 1` within 2 seconds, over a connection of its own) and',
      "`migrations` (every migration of this version is applied; the database may have newer ones). Further checks may be listed, e.g. the replicas'.",
    ].join(' '),
  })
  @ApiOkResponse({ type: HealthCheckDto, description: 'Ready to serve.' })
  @ApiResponse({
    status: 503,
    description: 'Not ready (type `/problems/not-ready`): shutting down, the database not answering, a migration missing, or another listed check failing.',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
  })
  @ApiProblemResponses()
  getReadiness(): Promise<HealthCheckResult> {
    return this.checked(
      [() => this.shutdown.check('shutdown'), () => this.database.check('database'), () => this.database.migrations('migrations'), ...this.readiness.all()],
      '/problems/not-ready',
      (failing) => `Not ready: ${failing.join(', ')}.`,
    );
  }

  /** The checks' result, or a 503 problem of `type` whose detail `unavailable` words from the names of the failing checks. */
  private async checked(checks: HealthIndicatorFunction[], type: ProblemType, unavailable: (failing: string[]) => string): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      throw new ProblemException(503, unavailable(Object.keys(result.error ?? {})), {
        type,
        extensions: { checks: result },
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      });
    }
  }
}
