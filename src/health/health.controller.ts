import { Controller, Get, Logger, ServiceUnavailableException } from '@nestjs/common';
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

/**
 * What a health endpoint last found, logged as it changes only: a probe asks every few seconds,
 * and an outage must not write a line per probe. Failing checks are a warning, unless the only
 * one is the shutdown's, which is planned.
 */
class HealthStateLog {
  private readonly logger = new Logger('Health');
  private readonly failing = new Map<string, string>();

  found(endpoint: string, failingChecks: string[], why: string): void {
    const state = failingChecks.join(', ');
    if ((this.failing.get(endpoint) ?? '') === state) return;
    this.failing.set(endpoint, state);
    if (state === '') this.logger.log(`${endpoint}: every check passes again`);
    else if (state === 'shutdown') this.logger.log(`${endpoint}: down, shutting down`);
    else this.logger.warn(`${endpoint}: down (${state}): ${why}`);
  }
}

@ApiTags('health')
@SkipThrottle()
@Controller('health')
export class HealthController {
  private readonly states = new HealthStateLog();

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
    return this.checked('/health', [() => this.database.check('database')], '/problems/database-unavailable', () => 'The database is not answering.');
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
      '`database` (takes a write within 2 seconds, over a connection of its own and through the same pooler or proxy as the writes: a message into the WAL, which a standby refuses and whose commit waits for a synchronous standby) and',
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
      '/health/ready',
      [() => this.shutdown.check('shutdown'), () => this.database.writable('database'), () => this.database.migrations('migrations'), ...this.readiness.all()],
      '/problems/not-ready',
      (failing) => `Not ready: ${failing.join(', ')}.`,
    );
  }

  /**
   * The checks' result, or a 503 problem of `type` whose detail `unavailable` words from the names
   * of the failing checks. A 503 is the probe's routine answer, not a server fault: what changed is
   * logged once (HealthStateLog).
   */
  private async checked(
    endpoint: string,
    checks: HealthIndicatorFunction[],
    type: ProblemType,
    unavailable: (failing: string[]) => string,
  ): Promise<HealthCheckResult> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const failed = error.getResponse() as HealthCheckResult;
      const failing = Object.keys(failed.error ?? {});
      this.states.found(endpoint, failing, JSON.stringify(failed.error));
      throw new ProblemException(503, unavailable(failing), {
        type,
        extensions: { checks: failed },
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
        routine: true,
      });
    }
    this.states.found(endpoint, [], '');
    return result;
  }
}
